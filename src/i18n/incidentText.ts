import type { Lang } from './messages.js';

/**
 * Incident text (manual §4): the runbook suggestions per type, the §4.2 checklist, the postmortem
 * template and the CLI lines, in zh-CN (default) and English.
 */
export const CHECKLIST_ITEMS = ['confirm-symptoms', 'check-logs', 'check-metrics', 'locate-cause', 'plan-fix', 'apply-fix', 'verify-fix', 'write-report'] as const;
export type ChecklistItem = (typeof CHECKLIST_ITEMS)[number];

export interface RunbookStep {
  /** The platform command to run, or undefined for a step done by hand. */
  command?: string;
  text: string;
}

type Runbooks = Record<'application' | 'database' | 'network' | 'other' | 'unclassified', RunbookStep[]>;

const zhRunbooks: Runbooks = {
  unclassified: [
    { command: 'mcp-platform health', text: '检查各服务健康状态（/health、/ready），确认故障现象' },
    { text: '确认故障影响范围后对故障分类：应用 / 数据库 / 网络 / 其他' },
  ],
  application: [
    { command: 'mcp-platform health', text: '检查各服务健康状态，定位故障服务' },
    { text: '查看应用日志（error.log）与监控指标（错误率、响应时间）' },
    { command: 'kubectl rollout restart deployment/mcp-platform', text: '重启故障服务，或扩容副本（kubectl scale）' },
  ],
  database: [
    { command: 'mcp-platform db status', text: '检查数据库主从状态、复制延迟与连接数' },
    { command: 'mcp-platform db switchover', text: '主库不可用时切换到最新的从库' },
    { command: 'mcp-platform backup verify latest', text: '确认最近的备份可用' },
    { command: 'mcp-platform restore', text: '数据损坏时从备份恢复（先做安全备份）' },
  ],
  network: [{ command: 'mcp-platform health', text: '检查各服务与依赖（数据库、缓存、消息队列）的连通性' }, { text: '检查网络连接、DNS、负载均衡与防火墙规则' }],
  other: [{ command: 'mcp-platform health', text: '检查各服务健康状态' }, { text: '查看日志与监控指标，定位故障原因' }],
};

const enRunbooks: Runbooks = {
  unclassified: [
    { command: 'mcp-platform health', text: 'check the health of every service (/health, /ready) and confirm the symptoms' },
    { text: 'once the impact is known, classify the fault: application / database / network / other' },
  ],
  application: [
    { command: 'mcp-platform health', text: 'check the health of every service and find the failing one' },
    { text: 'read the application logs (error.log) and metrics (error rate, response time)' },
    { command: 'kubectl rollout restart deployment/mcp-platform', text: 'restart the failing service, or scale it out (kubectl scale)' },
  ],
  database: [
    { command: 'mcp-platform db status', text: 'check the primary/replica status, replication lag and connections' },
    { command: 'mcp-platform db switchover', text: 'switch over to the most up-to-date replica when the primary is unusable' },
    { command: 'mcp-platform backup verify latest', text: 'make sure the latest backup is usable' },
    { command: 'mcp-platform restore', text: 'restore from a backup when data is damaged (a safety backup is taken first)' },
  ],
  network: [
    { command: 'mcp-platform health', text: 'check connectivity of every service and dependency (database, cache, message bus)' },
    { text: 'check network links, DNS, load balancers and firewall rules' },
  ],
  other: [{ command: 'mcp-platform health', text: 'check the health of every service' }, { text: 'read the logs and metrics to find the cause' }],
};

const zh = {
  runbooks: zhRunbooks,
  checklist: {
    'confirm-symptoms': '确认故障现象',
    'check-logs': '检查日志',
    'check-metrics': '检查监控指标',
    'locate-cause': '定位故障原因',
    'plan-fix': '制定修复方案',
    'apply-fix': '执行修复操作',
    'verify-fix': '验证修复结果',
    'write-report': '编写故障报告',
  } as Record<ChecklistItem, string>,
  status: {
    detected: '已发现',
    notified: '已通知',
    confirmed: '已确认',
    classified: '已分类',
    remediating: '处理中',
    verifying: '验证中',
    recovered: '已恢复',
    postmortem: '已复盘',
  } as Record<string, string>,
  severity: { critical: '紧急', major: '重要', minor: '一般' } as Record<string, string>,
  type: { application: '应用', database: '数据库', network: '网络', other: '其他' } as Record<string, string>,
  postmortem: {
    title: (id: number, title: string) => `# 故障报告 #${id}：${title}`,
    overview: '## 概况',
    severity: '级别',
    type: '类型',
    detected: '发现时间',
    acknowledged: '确认时间',
    recovered: '恢复时间',
    mtta: '确认用时（MTTA）',
    mttr: '恢复用时（MTTR）',
    timeline: '## 时间线',
    impact: '## 影响',
    causes: '## 原因分析',
    actions: '## 改进措施',
    checklist: '## 处理清单',
    none: '（待补充）',
    unknown: '未分类',
    seconds: (s: number) => `${s} 秒`,
  },
  cli: {
    list: (n: number) => `共 ${n} 个故障事件`,
    stats: (sev: string, n: number, mtta: string, mttr: string) => `  ${sev}：${n} 个，平均确认用时 ${mtta}，平均恢复用时 ${mttr}`,
    none: '—',
    acked: (id: number) => `已确认故障 #${id}`,
    resolved: (id: number) => `已将故障 #${id} 标记为已恢复`,
    suggestions: '处理建议：',
    checklist: '处理清单：',
    timeline: '时间线：',
    needConfirm: '结束故障需要确认：请加上 --yes',
  },
};

type Text = typeof zh;

const en: Text = {
  runbooks: enRunbooks,
  checklist: {
    'confirm-symptoms': 'confirm the symptoms',
    'check-logs': 'check the logs',
    'check-metrics': 'check the metrics',
    'locate-cause': 'locate the cause',
    'plan-fix': 'plan the fix',
    'apply-fix': 'apply the fix',
    'verify-fix': 'verify the fix',
    'write-report': 'write the incident report',
  },
  status: {
    detected: 'detected',
    notified: 'notified',
    confirmed: 'confirmed',
    classified: 'classified',
    remediating: 'remediating',
    verifying: 'verifying',
    recovered: 'recovered',
    postmortem: 'postmortem written',
  },
  severity: { critical: 'critical', major: 'major', minor: 'minor' },
  type: { application: 'application', database: 'database', network: 'network', other: 'other' },
  postmortem: {
    title: (id, title) => `# Incident report #${id}: ${title}`,
    overview: '## Overview',
    severity: 'Severity',
    type: 'Type',
    detected: 'Detected',
    acknowledged: 'Acknowledged',
    recovered: 'Recovered',
    mtta: 'Time to acknowledge (MTTA)',
    mttr: 'Time to recover (MTTR)',
    timeline: '## Timeline',
    impact: '## Impact',
    causes: '## Contributing causes',
    actions: '## Actions',
    checklist: '## Checklist',
    none: '(to be written)',
    unknown: 'unclassified',
    seconds: (s) => `${s} s`,
  },
  cli: {
    list: (n) => `${n} incidents`,
    stats: (sev, n, mtta, mttr) => `  ${sev}: ${n}, mean time to acknowledge ${mtta}, mean time to recover ${mttr}`,
    none: '—',
    acked: (id) => `incident #${id} acknowledged`,
    resolved: (id) => `incident #${id} marked recovered`,
    suggestions: 'Suggestions:',
    checklist: 'Checklist:',
    timeline: 'Timeline:',
    needConfirm: 'ending an incident needs confirmation: add --yes',
  },
};

export function incidentText(lang: Lang): Text {
  return lang === 'en' ? en : zh;
}
