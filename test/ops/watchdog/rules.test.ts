import { describe, expect, it } from 'vitest';
import { type FigureName, ruleKey, SEVERITY_ZH, WATCHDOG_RULES } from '../../../src/ops/alerting/watchdog/rules.js';
import { type AlertRule, loadRules } from '../../deploy/helpers.js';

/**
 * The watchdog raises the same alerts as deploy/prometheus/rules/*.yml (SPEC ALR-4): every watchdog
 * rule has the name, severity, category, `for` and threshold (and traffic floor) of the YAML rule of
 * that name and severity, and reads the figure that rule reads. Every YAML rule is either evaluated
 * by the watchdog or listed here as skipped, with the reason.
 */
const SKIPPED: Record<string, string> = {
  '应用QPS过低/minor': 'job-wide QPS summed over every instance: the watchdog sees only its own process’s counters',
  '缓存内存使用率过高/minor': 'Redis memory (used / maxmemory) comes from redis_exporter; the cache contract exposes no memory figures',
  '实时binlog备份中断/major': 'the binlog stream is its own daemon (`backup stream`, its own /metrics port): the watchdog’s process has no view of it',
  '实时binlog备份RPO过高/major': 'the binlog stream is its own daemon: the watchdog’s process has no view of it',
  'binlog断档/critical': 'the binlog stream is its own daemon: the watchdog’s process has no view of it',
  '实时binlog备份频繁重启/minor': 'the binlog stream is its own daemon: the watchdog’s process has no view of it',
  '监控采集目标失联/minor': 'about Prometheus’s own scrape targets: without Prometheus there is nothing scraped',
};

/** The series of the YAML expression each figure stands for. */
const READS: Record<FigureName, string> = {
  app_up: 'up{job="mcp-platform"} == 0',
  db_up: 'mcp_dependency_up{dependency="db"} == 0',
  cache_up: 'mcp_dependency_up{dependency="cache"} == 0',
  bus_up: 'mcp_dependency_up{dependency="bus"} == 0',
  http_p95_seconds: 'histogram_quantile(0.95, sum by (le, job, instance) (rate(http_request_duration_seconds_bucket[5m])))',
  http_error_ratio: 'rate(http_requests_total{status=~"5.."}[5m])',
  http_requests_per_second: 'rate(http_requests_total[5m])',
  cache_hit_ratio: 'rate(mcp_cache_requests_total{result="hit"}[5m])',
  host_cpu_ratio: 'mcp_host_cpu_utilization_ratio > 0.8',
  host_memory_ratio: 'mcp_host_memory_utilization_ratio > 0.85',
  host_disk_ratio: 'mcp_host_disk_utilization_ratio > 0.9',
  db_connections_ratio: 'mysql_global_status_threads_connected',
  db_pool_ratio: 'mcp_db_pool_in_use / (mcp_db_pool_max > 0)',
  db_slow_queries_5m: 'increase(mysql_global_status_slow_queries[5m])',
  db_long_query_time_seconds: 'mysql_global_variables_long_query_time',
  db_replication_lag_seconds: 'mcp_db_replication_lag_seconds > 0.1',
  db_replication_running: 'mysql_slave_status_slave_io_running == 0',
  backup_full_age_seconds: 'time() - max by (job, type) (mcp_backup_last_success_timestamp_seconds{type="full"})',
  backup_incremental_age_seconds: 'mcp_backup_last_success_timestamp_seconds{type=~"incremental|binlog"}',
  backup_failures: 'mcp_backup_failures_since_success[2m]',
  breaker_state: 'mcp_circuit_breaker_state == 1',
};

const seconds = (d: string | undefined) => {
  const m = /^(\d+)([smh])$/.exec(d ?? '0s');
  if (!m) throw new Error(`unexpected duration ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
};

/** The comparisons with a constant in a PromQL expression: `> 0.5`, `== 0`, `> 26 * 3600`. */
const comparisons = (expr: string) =>
  [...expr.matchAll(/(==|>|<)\s*(\d+(?:\.\d+)?(?:\s*\*\s*\d+(?:\.\d+)?)*)(?![\w.])/g)].map((m) => ({
    op: m[1]!,
    value: m[2]!.split('*').reduce((a, b) => a * Number(b), 1),
  }));
/** Comparisons that only shape the expression: division guards (`> 0`) and up checks (`== 1`, `== 0`). */
const structural = (c: { op: string; value: number }) => (c.op === '>' && c.value === 0) || (c.op === '==' && (c.value === 0 || c.value === 1));

describe('watchdog rules = Prometheus rules', () => {
  const yaml = loadRules().alerts;
  const find = (name: string, severity: string): AlertRule[] => yaml.filter((r) => r.alert === name && r.labels.severity === severity);

  it.each(WATCHDOG_RULES.map((r) => [ruleKey(r), r] as const))('%s: same name, severity, category, for, threshold and figure as the YAML rule', (_key, rule) => {
    const [y, ...more] = find(rule.name, rule.severity);
    expect(y, `no YAML rule ${rule.name} with severity ${rule.severity}`).toBeDefined();
    expect(more).toHaveLength(0);
    expect(y!.labels.severity_zh).toBe(SEVERITY_ZH[rule.severity]);
    expect(y!.labels.category).toBe(rule.category);
    expect(seconds(y!.for)).toBe(rule.forSeconds);
    const expr = y!.expr.replace(/\s+/g, ' ');
    expect(expr).toContain(READS[rule.figure]);
    const found = comparisons(expr);
    expect(found).toContainEqual({ op: rule.op, value: rule.threshold });
    if (rule.trafficFloor !== undefined) expect(found).toContainEqual({ op: '>', value: rule.trafficFloor });
    const mine = (c: { op: string; value: number }) => (c.op === rule.op && c.value === rule.threshold) || (c.op === '>' && c.value === rule.trafficFloor);
    // any other constant in the YAML would be a threshold the watchdog does not apply
    expect(found.filter((c) => !mine(c) && !structural(c))).toEqual([]);
  });

  it('every YAML alert is evaluated by the watchdog or skipped with a reason, and nothing is both or stale', () => {
    const watched = new Set(WATCHDOG_RULES.map(ruleKey));
    const inYaml = new Set(yaml.map((r) => `${r.alert}/${r.labels.severity}`));
    for (const key of inYaml) expect(watched.has(key) !== key in SKIPPED, `${key}: watched or skipped (exactly one)`).toBe(true);
    for (const key of [...watched, ...Object.keys(SKIPPED)]) expect(inYaml.has(key), `${key} is not a YAML rule`).toBe(true);
    expect(watched.size).toBe(WATCHDOG_RULES.length);
  });
});
