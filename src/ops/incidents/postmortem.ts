import { incidentText } from '../../i18n/incidentText.js';
import type { Lang } from '../../i18n/messages.js';
import type { IncidentDetail } from './model.js';

/**
 * The postmortem report of an incident in Markdown (PagerDuty's template, reduced): overview with
 * MTTA/MTTR, the whole timeline, impact, contributing causes, actions and the §4.2 checklist.
 * Headings in zh-CN by default. Pure: the caller reads the incident.
 */
export function renderPostmortem(i: IncidentDetail, lang: Lang = 'zh-CN'): string {
  const t = incidentText(lang);
  const p = t.postmortem;
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
  const section = (heading: string, body: string | null) => [heading, '', body?.trim() ? body.trim() : p.none, ''];
  const secs = (n: number | null) => (n === null ? '—' : p.seconds(n));
  return [
    p.title(i.id, oneLine(i.title)),
    '',
    p.overview,
    '',
    `- ${p.severity}: ${t.severity[i.severity] ?? i.severity}`,
    `- ${p.type}: ${i.type ? t.type[i.type] : p.unknown}`,
    `- ${p.detected}: ${i.detectedAt}`,
    `- ${p.acknowledged}: ${i.acknowledgedAt ?? '—'}${i.acknowledgedBy ? ` (${i.acknowledgedBy})` : ''}`,
    `- ${p.recovered}: ${i.recoveredAt ?? '—'}${i.resolvedBy ? ` (${i.resolvedBy})` : ''}`,
    `- ${p.mtta}: ${secs(i.ttaSeconds)}`,
    `- ${p.mttr}: ${secs(i.ttrSeconds)}`,
    '',
    p.timeline,
    '',
    ...i.timeline.map(
      (e) =>
        `- ${e.at} ${e.actor}: ${e.kind}${e.from || e.to ? ` (${e.from ? (t.status[e.from] ?? e.from) : ''} → ${e.to ? (t.status[e.to] ?? e.to) : ''})` : ''}${e.message ? ` — ${oneLine(e.message)}` : ''}`,
    ),
    '',
    ...section(p.impact, i.impact),
    ...section(p.causes, i.causes),
    ...section(p.actions, i.actions),
    p.checklist,
    '',
    ...i.checklist.map((c) => `- [${c.done ? 'x' : ' '}] ${c.label}${c.doneBy ? ` (${c.doneBy})` : ''}`),
    '',
  ].join('\n');
}
