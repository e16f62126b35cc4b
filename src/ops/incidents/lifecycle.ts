import { conflict } from '../../errors/appError.js';

/**
 * The incident lifecycle of manual §4.1 (SPEC INC-1) as a pure state machine: the table of legal
 * transitions, and `resolve`, which a person may do from any open state (a fault can end before it
 * is classified). No I/O here; src/ops/incidents/incidents.ts applies it to the rows.
 */
export const STATUSES = ['detected', 'notified', 'confirmed', 'classified', 'remediating', 'verifying', 'recovered', 'postmortem'] as const;
export type IncidentStatus = (typeof STATUSES)[number];

export const SEVERITIES = ['critical', 'major', 'minor'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_TYPES = ['application', 'database', 'network', 'other'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

/** §4.1: 发现 → 通知 → 确认 → 分类 → 处理 → 验证 → 恢复 → 复盘. Acknowledging may skip `notified`. */
export const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  detected: ['notified', 'confirmed'],
  notified: ['confirmed'],
  confirmed: ['classified'],
  classified: ['remediating'],
  remediating: ['verifying'],
  // verification failed: back to remediation
  verifying: ['recovered', 'remediating'],
  recovered: ['postmortem'],
  postmortem: [],
};

/** Open: the fault is not over yet (before `recovered`). */
export function isOpen(status: IncidentStatus): boolean {
  return status !== 'recovered' && status !== 'postmortem';
}

export const OPEN_STATUSES: readonly IncidentStatus[] = STATUSES.filter(isOpen);

export function isStatus(s: string): s is IncidentStatus {
  return (STATUSES as readonly string[]).includes(s);
}

/** The states `from` may move to by a transition (not counting `resolve`). */
export function nextStates(from: IncidentStatus): readonly IncidentStatus[] {
  return TRANSITIONS[from];
}

/** Throws CONFLICT (409) with the allowed next states when `from → to` is not in the table. */
export function checkTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (!TRANSITIONS[from].includes(to)) {
    throw conflict(`an incident in state ${from} cannot move to ${to}`, { from, to, allowed: [...TRANSITIONS[from]] });
  }
}

/** `resolve` ends a fault from any open state; a recovered or closed incident is refused. */
export function checkResolve(from: IncidentStatus): void {
  if (!isOpen(from)) throw conflict(`an incident in state ${from} is already resolved`, { from, to: 'recovered', allowed: [...TRANSITIONS[from]] });
}
