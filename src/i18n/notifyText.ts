import type { Lang } from './messages.js';

/** Interim templates (the channels branch brings the full ones). */
export interface TemplateAlert {
  name: string;
  severity: 'critical' | 'major' | 'minor';
  status: 'firing' | 'resolved';
  summary?: string | null;
  description?: string | null;
  labels: Record<string, string>;
  startsAt: string;
  endsAt?: string | null;
  fingerprint: string;
}

const LEVEL = { critical: '紧急', major: '重要', minor: '一般' } as const;

export function alertMessage(a: TemplateAlert, o: { lang: Lang; link?: string; escalation?: number }): { subject: string; text: string; fields: Record<string, string> } {
  const state = a.status === 'firing' ? '告警中' : '已恢复';
  const esc = o.escalation ? `（第${o.escalation}次升级通知）` : '';
  const subject = `【${LEVEL[a.severity]}】${a.name} ${state}${esc}`;
  const text = [
    `告警名称：${a.name}`,
    `级别：${LEVEL[a.severity]}`,
    `状态：${state}`,
    `开始时间：${a.startsAt}`,
    a.summary ? `摘要：${a.summary}` : '',
    o.link ? `详情：${o.link}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return { subject, text, fields: { name: a.name, severity: LEVEL[a.severity], status: state } };
}

export function digestMessage(
  alerts: readonly TemplateAlert[],
  _o: { lang: Lang; link?: string; escalation?: number },
): { subject: string; text: string; fields: Record<string, string> } {
  const subject = `【告警汇总】${alerts.length} 条告警`;
  const text = alerts.map((a) => `【${LEVEL[a.severity]}】${a.name} ${a.status === 'firing' ? '告警中' : '已恢复'}`).join('\n');
  return { subject, text, fields: { count: String(alerts.length) } };
}
