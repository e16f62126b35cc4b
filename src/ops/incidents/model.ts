import type { ChecklistItem, RunbookStep } from '../../i18n/incidentText.js';
import type { IncidentStatus, IncidentType, Severity } from './lifecycle.js';

/** What the incident operations return (the API's and the CLI's --json shapes); times in ISO 8601. */
export interface IncidentEvent {
  at: string;
  kind: string;
  actor: string;
  from: string | null;
  to: string | null;
  message: string | null;
}

export interface IncidentSummary {
  id: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  type: IncidentType | null;
  source: string;
  alertName: string | null;
  summary: string | null;
  createdBy: string;
  detectedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  recoveredAt: string | null;
  resolvedBy: string | null;
  closeProposedAt: string | null;
  postmortemAt: string | null;
  /** Seconds from detection to acknowledgement / recovery; null until then. */
  ttaSeconds: number | null;
  ttrSeconds: number | null;
}

export interface IncidentDetail extends IncidentSummary {
  impact: string | null;
  causes: string | null;
  actions: string | null;
  allowedNext: IncidentStatus[];
  canResolve: boolean;
  timeline: IncidentEvent[];
  checklist: { item: ChecklistItem; label: string; done: boolean; doneBy: string | null; doneAt: string | null }[];
  suggestions: RunbookStep[];
}

/** Mean time to acknowledge / recover per severity, in seconds (null when no incident got there). */
export type IncidentStats = Record<Severity, { count: number; open: number; mttaSeconds: number | null; mttrSeconds: number | null }>;
