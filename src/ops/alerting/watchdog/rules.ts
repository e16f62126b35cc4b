import type { Lang } from '../../../i18n/messages.js';

/**
 * The embedded watchdog's rules (SPEC ALR-4): the alerts of deploy/prometheus/rules/*.yml that the
 * platform can evaluate from its own figures, with THE SAME names (the manual's Chinese), severities,
 * thresholds and `for` durations. test/ops/watchdog/rules.test.ts compares every entry with the YAML
 * rule of the same name and severity, and lists the YAML rules the watchdog skips with the reason.
 */
export type Severity = 'critical' | 'major' | 'minor';
export const SEVERITY_ZH: Record<Severity, string> = { critical: '紧急', major: '重要', minor: '一般' };

/** What a rule reads: one figure of figures.ts, each a list of series (one per path, backup type, replica …). */
export type FigureName =
  | 'app_up'
  | 'db_up'
  | 'cache_up'
  | 'bus_up'
  | 'http_p95_seconds'
  /** Requests per second over the window (no rule reads it: the overview shows it). */
  | 'http_requests_per_second'
  | 'http_error_ratio'
  | 'cache_hit_ratio'
  | 'host_cpu_ratio'
  | 'host_memory_ratio'
  | 'host_disk_ratio'
  | 'db_connections_ratio'
  | 'db_pool_ratio'
  | 'db_slow_queries_5m'
  | 'db_long_query_time_seconds'
  | 'db_replication_lag_seconds'
  | 'db_replication_running'
  | 'backup_full_age_seconds'
  | 'backup_incremental_age_seconds'
  | 'backup_failures'
  /** Each circuit breaker of this process (label `target`): 0 closed, 1 open, 2 half-open. */
  | 'breaker_state';

export type Comparison = '>' | '<' | '==';

export interface WatchdogRule {
  /** The alert name of the YAML rule, exactly (the manual's Chinese). */
  name: string;
  severity: Severity;
  category: 'application' | 'database' | 'cache' | 'system';
  figure: FigureName;
  op: Comparison;
  threshold: number;
  /**
   * The YAML's traffic floor: the series counts only while its request rate (req/s over the 5 min
   * window) is above this, so zero or very little traffic never alerts.
   */
  trafficFloor?: number;
  /** Seconds the condition must hold before the alert fires (the YAML `for`). */
  forSeconds: number;
  /** The notification's description for a value and the series' labels. */
  describe(value: number, labels: Record<string, string>, lang: Lang): string;
}

/** Age after which the newest full backup is overdue: daily, plus 2 hours (backup.yml). */
export const FULL_BACKUP_MAX_AGE_SECONDS = 26 * 3600;

/** Requests per second below which ratio alerts are not computed (the YAML: < 30 requests in 5 minutes). */
export const TRAFFIC_FLOOR = 0.1;

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const ms = (v: number) => `${Math.round(v * 1000)} ms`;
const dur = (seconds: number, lang: Lang) => {
  if (!Number.isFinite(seconds)) return lang === 'en' ? 'never' : '从未';
  const h = seconds / 3600;
  if (h >= 1) return lang === 'en' ? `${h.toFixed(1)} h` : `${h.toFixed(1)} 小时`;
  return lang === 'en' ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 60)} 分钟`;
};
const text = (lang: Lang, zh: string, en: string) => (lang === 'en' ? en : zh);

export const WATCHDOG_RULES: readonly WatchdogRule[] = [
  // application.yml
  {
    name: '应用宕机',
    severity: 'critical',
    category: 'application',
    figure: 'app_up',
    op: '==',
    threshold: 0,
    forSeconds: 60,
    describe: (_v, l, lang) =>
      text(lang, `应用实例 ${l.instance} 已连续 1 分钟无法访问（/health 无响应），服务可能已停止。`, `Application instance ${l.instance} has not answered /health for 1 minute.`),
  },
  {
    name: '应用响应时间过长',
    severity: 'minor',
    category: 'application',
    figure: 'http_p95_seconds',
    op: '>',
    threshold: 0.5,
    trafficFloor: TRAFFIC_FLOOR,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(
        lang,
        `应用实例 ${l.instance} 95%分位响应时间为 ${ms(v)}，超过 500 毫秒（已持续 5 分钟）。`,
        `Instance ${l.instance}: p95 response time ${ms(v)}, above 500 ms for 5 minutes.`,
      ),
  },
  {
    name: '应用响应时间过长',
    severity: 'major',
    category: 'application',
    figure: 'http_p95_seconds',
    op: '>',
    threshold: 1,
    trafficFloor: TRAFFIC_FLOOR,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(lang, `应用实例 ${l.instance} 95%分位响应时间为 ${ms(v)}，超过 1 秒（已持续 5 分钟）。`, `Instance ${l.instance}: p95 response time ${ms(v)}, above 1 s for 5 minutes.`),
  },
  {
    name: '应用错误率过高',
    severity: 'minor',
    category: 'application',
    figure: 'http_error_ratio',
    op: '>',
    threshold: 0.01,
    trafficFloor: TRAFFIC_FLOOR,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(lang, `应用实例 ${l.instance} 5xx 错误率为 ${pct(v)}，超过 1%（已持续 5 分钟）。`, `Instance ${l.instance}: 5xx error rate ${pct(v)}, above 1% for 5 minutes.`),
  },
  {
    name: '应用错误率过高',
    severity: 'major',
    category: 'application',
    figure: 'http_error_ratio',
    op: '>',
    threshold: 0.05,
    trafficFloor: TRAFFIC_FLOOR,
    forSeconds: 120,
    describe: (v, l, lang) =>
      text(lang, `应用实例 ${l.instance} 5xx 错误率为 ${pct(v)}，超过 5%（已持续 2 分钟）。`, `Instance ${l.instance}: 5xx error rate ${pct(v)}, above 5% for 2 minutes.`),
  },
  {
    name: '消息总线不可用',
    severity: 'minor',
    category: 'application',
    figure: 'bus_up',
    op: '==',
    threshold: 0,
    forSeconds: 120,
    describe: (_v, l, lang) =>
      text(
        lang,
        `应用实例 ${l.instance} 无法连接消息总线（RabbitMQ）已超过 2 分钟，异步任务与通知将延迟投递。`,
        `Instance ${l.instance} has not reached the message bus (RabbitMQ) for 2 minutes; background work and notifications are delayed.`,
      ),
  },
  {
    name: '服务调用熔断',
    severity: 'major',
    category: 'application',
    figure: 'breaker_state',
    op: '==',
    threshold: 1,
    forSeconds: 60,
    describe: (_v, l, lang) =>
      text(
        lang,
        `应用实例 ${l.instance} 对 ${l.target} 的调用已熔断超过 1 分钟（连续失败后断路器打开，相关请求直接返回 503）。请检查 ${l.target} 是否运行、网络是否可达。`,
        `Instance ${l.instance}: calls to ${l.target} have been cut off by an open circuit breaker for over a minute (requests depending on it answer 503). Check that ${l.target} runs and is reachable.`,
      ),
  },
  // database.yml
  {
    name: '数据库不可用',
    severity: 'critical',
    category: 'database',
    figure: 'db_up',
    op: '==',
    threshold: 0,
    forSeconds: 60,
    describe: (_v, l, lang) => text(lang, `实例 ${l.instance} 已连续 1 分钟无法连接数据库。`, `Instance ${l.instance} has not reached the database for 1 minute.`),
  },
  {
    name: '数据库连接数过高',
    severity: 'minor',
    category: 'database',
    figure: 'db_connections_ratio',
    op: '>',
    threshold: 0.8,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(
        lang,
        `数据库（${l.instance} 测得）连接数使用率为 ${pct(v)}，超过 max_connections 的 80%（已持续 5 分钟）。`,
        `Database connections (seen from ${l.instance}) at ${pct(v)} of max_connections, above 80% for 5 minutes.`,
      ),
  },
  {
    name: '数据库连接池使用率过高',
    severity: 'minor',
    category: 'database',
    figure: 'db_pool_ratio',
    op: '>',
    threshold: 0.8,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(
        lang,
        `应用实例 ${l.instance} 数据库连接池使用率为 ${pct(v)}，超过 80%（已持续 5 分钟），请求可能开始排队等待连接。`,
        `Instance ${l.instance}: database pool use ${pct(v)}, above 80% for 5 minutes; requests may queue for a connection.`,
      ),
  },
  {
    name: '数据库慢查询',
    severity: 'minor',
    category: 'database',
    figure: 'db_slow_queries_5m',
    op: '>',
    threshold: 0,
    forSeconds: 60,
    describe: (v, l, lang) =>
      text(
        lang,
        `数据库（${l.instance} 测得）最近 5 分钟出现约 ${Math.round(v)} 条执行时间超过 long_query_time 的慢查询，请查看慢查询日志。`,
        `The database (seen from ${l.instance}) ran about ${Math.round(v)} statements slower than long_query_time in the last 5 minutes.`,
      ),
  },
  {
    name: '数据库慢查询阈值配置错误',
    severity: 'minor',
    category: 'database',
    figure: 'db_long_query_time_seconds',
    op: '>',
    threshold: 1,
    forSeconds: 900,
    describe: (v, _l, lang) =>
      text(
        lang,
        `数据库的 long_query_time 为 ${v} 秒，大于手册要求的 1 秒，“数据库慢查询”告警会漏报；请设置 long_query_time = 1。`,
        `The database's long_query_time is ${v} s, above the manual's 1 s: slow queries go unreported; set long_query_time = 1.`,
      ),
  },
  {
    name: '数据库主从延迟过高',
    severity: 'minor',
    category: 'database',
    figure: 'db_replication_lag_seconds',
    op: '>',
    threshold: 0.1,
    forSeconds: 120,
    describe: (v, l, lang) =>
      text(
        lang,
        `从库 ${l.replica}（平台实例 ${l.instance} 测得）主从复制延迟为 ${v} 秒，超过 100 毫秒（已持续 2 分钟）。`,
        `Replica ${l.replica} (seen from ${l.instance}) lags ${v} s behind, above 100 ms for 2 minutes.`,
      ),
  },
  {
    name: '数据库主从复制中断',
    severity: 'major',
    category: 'database',
    figure: 'db_replication_running',
    op: '==',
    threshold: 0,
    forSeconds: 60,
    describe: (_v, l, lang) =>
      text(
        lang,
        `从库 ${l.replica} 的复制 IO 线程或 SQL 线程未运行已超过 1 分钟，数据不再同步，请执行 SHOW SLAVE STATUS 查看 Last_IO_Error / Last_SQL_Error。`,
        `Replica ${l.replica}: the replication IO or SQL thread has not run for 1 minute; check SHOW SLAVE STATUS (Last_IO_Error / Last_SQL_Error).`,
      ),
  },
  // cache.yml
  {
    name: '缓存命中率过低',
    severity: 'minor',
    category: 'cache',
    figure: 'cache_hit_ratio',
    op: '<',
    threshold: 0.8,
    trafficFloor: TRAFFIC_FLOOR,
    forSeconds: 600,
    describe: (v, l, lang) =>
      text(lang, `实例 ${l.instance} 缓存命中率为 ${pct(v)}，低于 80%（已持续 10 分钟）。`, `Instance ${l.instance}: cache hit rate ${pct(v)}, below 80% for 10 minutes.`),
  },
  {
    name: '缓存服务不可用',
    severity: 'minor',
    category: 'cache',
    figure: 'cache_up',
    op: '==',
    threshold: 0,
    forSeconds: 120,
    describe: (_v, l, lang) =>
      text(
        lang,
        `实例 ${l.instance} 已 2 分钟无法连接缓存（Redis），请求将回源数据库，响应时间和数据库负载会上升。`,
        `Instance ${l.instance} has not reached the cache (Redis) for 2 minutes; reads fall back to the database.`,
      ),
  },
  // host.yml
  {
    name: 'CPU使用率过高',
    severity: 'minor',
    category: 'system',
    figure: 'host_cpu_ratio',
    op: '>',
    threshold: 0.8,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(lang, `实例 ${l.instance} CPU使用率为 ${pct(v)}，超过 80%（已持续 5 分钟）。`, `Instance ${l.instance}: CPU use ${pct(v)}, above 80% for 5 minutes.`),
  },
  {
    name: '内存使用率过高',
    severity: 'minor',
    category: 'system',
    figure: 'host_memory_ratio',
    op: '>',
    threshold: 0.85,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(lang, `实例 ${l.instance} 内存使用率为 ${pct(v)}，超过 85%（已持续 5 分钟）。`, `Instance ${l.instance}: memory use ${pct(v)}, above 85% for 5 minutes.`),
  },
  {
    name: '磁盘使用率过高',
    severity: 'major',
    category: 'system',
    figure: 'host_disk_ratio',
    op: '>',
    threshold: 0.9,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(
        lang,
        `实例 ${l.instance} 磁盘 ${l.path} 使用率为 ${pct(v)}，超过 90%（已持续 5 分钟）。`,
        `Instance ${l.instance}: disk ${l.path} at ${pct(v)}, above 90% for 5 minutes.`,
      ),
  },
  // backup.yml
  {
    name: '全量备份过期',
    severity: 'major',
    category: 'database',
    figure: 'backup_full_age_seconds',
    op: '>',
    threshold: FULL_BACKUP_MAX_AGE_SECONDS,
    forSeconds: 300,
    describe: (v, _l, lang) =>
      Number.isFinite(v)
        ? text(
            lang,
            `最近一次完整的全量备份完成于 ${dur(v, lang)} 之前，超过 26 小时（手册 §6.1：每天 02:00 全量备份）。请检查备份定时任务和 \`mcp-platform backup list\`，并立即执行 \`mcp-platform backup full\`。`,
            `The newest complete full backup finished ${dur(v, lang)} ago, more than 26 hours (manual §6.1: daily at 02:00). Check the schedule and \`mcp-platform backup list\`, and run \`mcp-platform backup full\` now.`,
          )
        : text(
            lang,
            '看门狗已运行超过 26 小时，却从未完成过一次全量备份（手册 §6.1：每天 02:00 全量备份）。请检查备份定时任务，并立即执行 `mcp-platform backup full`。',
            'The watchdog has run for more than 26 hours and no full backup has ever completed (manual §6.1). Check the schedule and run `mcp-platform backup full` now.',
          ),
  },
  {
    name: '增量备份过期',
    severity: 'minor',
    category: 'database',
    figure: 'backup_incremental_age_seconds',
    op: '>',
    threshold: 2 * 3600,
    forSeconds: 300,
    describe: (v, _l, lang) =>
      text(
        lang,
        `最近一次增量 / binlog 归档完成于 ${dur(v, lang)} 之前，超过 2 小时（手册 §6.1：每小时增量备份，RPO < 1 小时）。请检查 \`mcp-platform backup incremental\` 的定时任务。`,
        `The newest incremental / binlog archive finished ${dur(v, lang)} ago, more than 2 hours (manual §6.1: hourly). Check the \`mcp-platform backup incremental\` schedule.`,
      ),
  },
  {
    name: '备份失败',
    severity: 'major',
    category: 'database',
    figure: 'backup_failures',
    op: '>',
    threshold: 0,
    forSeconds: 300,
    describe: (v, l, lang) =>
      text(
        lang,
        `${l.type} 备份自上次成功以来已失败 ${Math.round(v)} 次（至少持续 5 分钟）。请查看 \`mcp-platform backup list\` 中失败记录的错误信息，修复后重新执行备份。`,
        `The ${l.type} backup has failed ${Math.round(v)} times since its last success (for at least 5 minutes). See \`mcp-platform backup list\` for the error, fix it and run the backup again.`,
      ),
  },
];

/** A rule's identity: its name and severity (two rules share a name at different thresholds). */
export function ruleKey(rule: Pick<WatchdogRule, 'name' | 'severity'>): string {
  return `${rule.name}/${rule.severity}`;
}

export function holds(rule: Pick<WatchdogRule, 'op' | 'threshold'>, value: number): boolean {
  if (Number.isNaN(value)) return false;
  switch (rule.op) {
    case '>':
      return value > rule.threshold;
    case '<':
      return value < rule.threshold;
    case '==':
      return value === rule.threshold;
  }
}
