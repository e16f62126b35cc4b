import { createHash } from 'node:crypto';
import type { Lang } from '../../../i18n/messages.js';
import { type FigureName, holds, ruleKey, SEVERITY_ZH, type Severity, type WatchdogRule } from './rules.js';

/**
 * The watchdog's evaluation, pure: (rules, figures, previous state, now) → (new state, alerts to
 * send). Prometheus's semantics: a condition starts an alert `pending`; it turns `firing` once it has
 * held for the rule's `for`; it is resolved when it no longer holds (or its series is gone). A
 * pending alert whose condition stops is forgotten. A figure that could not be read this round
 * (`undefined`) changes nothing for its rules: unknown is not recovered.
 */

/** One series of a figure: its own labels (path, type, replica …), its value, and for ratios the request rate it was computed over. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Requests per second behind the value (compared with the rule's traffic floor). */
  traffic?: number;
}

/** The figures of one round; a figure missing (undefined) could not be read. An empty list: no series (nothing to alert on). */
export type Figures = Partial<Record<FigureName, readonly Sample[]>>;

export interface ActiveAlert {
  fingerprint: string;
  rule: string;
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
  /** When the condition started to hold (ms since epoch). */
  activeSince: number;
  /** When it turned firing (its `startsAt`); undefined while pending. */
  firingSince?: number;
  /** Last successful delivery of its firing state; undefined: never delivered. */
  sentAt?: number;
}

export interface ResolvedAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number;
  /** Its firing state was never delivered: send it first, so the episode is recorded whole. */
  firingUnsent: boolean;
}

export interface WatchdogState {
  /** Pending and firing alerts by fingerprint. */
  active: Readonly<Record<string, ActiveAlert>>;
  /** Resolutions not delivered yet. */
  resolved: readonly ResolvedAlert[];
}

export const EMPTY_STATE: WatchdogState = { active: {}, resolved: [] };

/** One alert to hand to the receiver. */
export interface Outgoing {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ms since epoch */
  startsAt: number;
  /** ms since epoch, for resolved alerts */
  endsAt?: number;
}

export interface EvaluateOptions {
  /** `hostname:port` of this process. */
  instance: string;
  lang: Lang;
  /** Re-send a firing alert this long after its last delivery (Alertmanager's repeat_interval). */
  repeatMs: (severity: Severity) => number;
}

/** Alertmanager's repeat_interval per severity in deploy/alertmanager/alertmanager.yml. */
export const REPEAT_MS: Record<Severity, number> = { critical: 3600_000, major: 4 * 3600_000, minor: 12 * 3600_000 };

/** Stable id of an alert: sha256 of its sorted labels, 16 hex characters. */
export function fingerprint(labels: Record<string, string>): string {
  const canonical = JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function alertLabels(rule: WatchdogRule, instance: string, series: Record<string, string> = {}): Record<string, string> {
  return {
    ...series,
    alertname: rule.name,
    severity: rule.severity,
    severity_zh: SEVERITY_ZH[rule.severity],
    category: rule.category,
    instance,
    source: 'watchdog',
  };
}

export function evaluate(rules: readonly WatchdogRule[], figures: Figures, prev: WatchdogState, now: Date, o: EvaluateOptions): { state: WatchdogState; send: Outgoing[] } {
  const t = now.getTime();
  const active: Record<string, ActiveAlert> = {};
  const resolved: ResolvedAlert[] = [...prev.resolved];
  const seen = new Set<string>();

  for (const rule of rules) {
    const key = ruleKey(rule);
    const samples = figures[rule.figure];
    if (samples === undefined) {
      // could not read the figure: its alerts keep their state
      for (const a of Object.values(prev.active)) if (a.rule === key) (active[a.fingerprint] = a), seen.add(a.fingerprint);
      continue;
    }
    for (const s of samples) {
      if (rule.trafficFloor !== undefined && !((s.traffic ?? 0) > rule.trafficFloor)) continue;
      if (!holds(rule, s.value)) continue;
      const labels = alertLabels(rule, o.instance, s.labels);
      const fp = fingerprint(labels);
      if (seen.has(fp)) continue;
      seen.add(fp);
      const annotations = { summary: rule.name, description: rule.describe(s.value, labels, o.lang) };
      const was = prev.active[fp];
      const activeSince = was?.activeSince ?? t;
      const firingSince = was?.firingSince ?? (t - activeSince >= rule.forSeconds * 1000 ? t : undefined);
      active[fp] = { fingerprint: fp, rule: key, severity: rule.severity, labels, annotations, value: s.value, activeSince, firingSince, sentAt: was?.sentAt };
    }
  }
  // what held before and holds no longer: a firing alert resolves, a pending one is dropped
  for (const a of Object.values(prev.active)) {
    if (seen.has(a.fingerprint) || a.firingSince === undefined) continue;
    resolved.push({ fingerprint: a.fingerprint, labels: a.labels, annotations: a.annotations, startsAt: a.firingSince, endsAt: t, firingUnsent: a.sentAt === undefined });
  }

  const send: Outgoing[] = [];
  for (const a of Object.values(active)) {
    if (a.firingSince === undefined) continue;
    if (a.sentAt === undefined || t - a.sentAt >= o.repeatMs(a.severity)) {
      send.push({ fingerprint: a.fingerprint, status: 'firing', labels: a.labels, annotations: a.annotations, startsAt: a.firingSince });
    }
  }
  for (const r of resolved) {
    if (r.firingUnsent) send.push({ fingerprint: r.fingerprint, status: 'firing', labels: r.labels, annotations: r.annotations, startsAt: r.startsAt });
    send.push({ fingerprint: r.fingerprint, status: 'resolved', labels: r.labels, annotations: r.annotations, startsAt: r.startsAt, endsAt: r.endsAt });
  }
  return { state: { active, resolved }, send };
}

/** The state after `sent` was delivered at `now`: firing alerts remember the delivery, delivered resolutions are dropped. */
export function delivered(state: WatchdogState, sent: readonly Outgoing[], now: Date): WatchdogState {
  const active: Record<string, ActiveAlert> = { ...state.active };
  const done = new Set<string>();
  for (const s of sent) {
    const key = `${s.fingerprint}@${s.startsAt}`;
    if (s.status === 'resolved') done.add(key);
    else if (active[s.fingerprint]?.firingSince === s.startsAt) active[s.fingerprint] = { ...active[s.fingerprint]!, sentAt: now.getTime() };
  }
  return { active, resolved: state.resolved.filter((r) => !done.has(`${r.fingerprint}@${r.startsAt}`)) };
}
