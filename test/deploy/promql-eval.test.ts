/**
 * Evaluates every PromQL expression of deploy/prometheus/rules and of every Grafana dashboard (targets and
 * template-variable queries) in a real Prometheus.
 *
 * The Prometheus gets a TSDB backfilled (promtool tsdb create-blocks-from openmetrics) with 30 minutes of
 * series shaped like a healthy production system: the platform's own metrics, node_exporter, mysqld_exporter
 * 0.14, redis_exporter and the binlog stream daemon (`backup stream`), with the real names and labels. So
 * besides "no parse/eval error" the test checks that every dashboard query finds data (catches wrong metric or
 * label names) and that no alert fires on a healthy system (catches expressions that are always true).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSucceeded,
  dashboardTargets,
  freePort,
  loadDashboards,
  loadRules,
  requireBinary,
  run,
  startDaemon,
  substituteGrafanaVariables,
  variableQueryExpr,
  waitReady,
  type Daemon,
} from './helpers.js';

const STEP = 15; // seconds, like the production scrape_interval
const SAMPLES = 121; // 30 minutes

type Labels = Record<string, string>;
interface Series {
  name: string;
  labels: Labels;
  /** value at sample i (0 … SAMPLES-1), i.e. i × 15 s after the start */
  value: (i: number) => number;
}

const APP = { job: 'mcp-platform', instance: 'mcp-platform:8000' };
const NODE = { job: 'node-exporter', instance: 'node-exporter:9100' };
const MYSQL = { job: 'mysql-exporter', instance: 'mysql-exporter:9104' };
const REDIS = { job: 'redis-exporter', instance: 'redis-exporter:9121' };
const STREAM = { job: 'mcp-backup-stream', instance: 'mcp-backup-stream:9480' };

const gauge = (v: number) => () => v;
/** A counter growing by `perSecond` per second. */
const counter =
  (perSecond: number, start = 1000) =>
  (i: number) =>
    start + perSecond * STEP * i;

/** `start`: UNIX time of sample 0 (for the backup timestamps). */
function healthySeries(start: number): Series[] {
  const s: Series[] = [];
  const add = (name: string, labels: Labels, value: (i: number) => number) => s.push({ name, labels, value });

  for (const target of [APP, NODE, MYSQL, REDIS, STREAM]) add('up', target, gauge(1));

  // --- the platform (GET /metrics) ---------------------------------------------------------------
  const routes: [string, string, number][] = [
    ['GET', '/api/users/:id', 90],
    ['POST', '/api/auth/login', 40],
  ];
  // cumulative share of requests at or under each bucket (p95 ≈ 0.2 s, well under 500 ms)
  const buckets: [string, number][] = [
    ['0.005', 0.1],
    ['0.01', 0.25],
    ['0.025', 0.45],
    ['0.05', 0.65],
    ['0.1', 0.85],
    ['0.25', 0.96],
    ['0.5', 0.99],
    ['0.75', 0.995],
    ['1', 0.998],
    ['2.5', 1],
    ['5', 1],
    ['10', 1],
    ['+Inf', 1],
  ];
  for (const [method, route, qps] of routes) {
    add('http_requests_total', { ...APP, method, route, status: '200' }, counter(qps * 0.995));
    add('http_requests_total', { ...APP, method, route, status: '500' }, counter(qps * 0.005)); // 0.5 % errors
    for (const [le, share] of buckets) {
      add('http_request_duration_seconds_bucket', { ...APP, method, route, status: '200', le }, counter(qps * share));
    }
    add('http_request_duration_seconds_count', { ...APP, method, route, status: '200' }, counter(qps));
    add('http_request_duration_seconds_sum', { ...APP, method, route, status: '200' }, counter(qps * 0.05));
  }
  add('process_cpu_seconds_total', APP, counter(0.3, 100));
  add('process_resident_memory_bytes', APP, gauge(180e6));
  add('nodejs_eventloop_lag_seconds', APP, gauge(0.003));
  add('mcp_db_pool_in_use', APP, gauge(6));
  add('mcp_db_pool_idle', APP, gauge(4));
  add('mcp_db_pool_waiting', APP, gauge(0));
  add('mcp_db_pool_max', APP, gauge(30));
  add('mcp_cache_requests_total', { ...APP, result: 'hit' }, counter(90));
  add('mcp_cache_requests_total', { ...APP, result: 'miss' }, counter(10));
  add('mcp_cache_errors_total', APP, gauge(0));
  for (const [event, rate] of [
    ['published', 5],
    ['consumed', 5],
    ['failed', 0.01],
    ['dead_lettered', 0],
  ] as const) {
    add('mcp_bus_messages_total', { ...APP, event }, counter(rate));
  }
  add('mcp_login_attempts_total', { ...APP, result: 'success' }, counter(2));
  add('mcp_login_attempts_total', { ...APP, result: 'failure' }, counter(0.1));
  for (const dependency of ['db', 'cache', 'bus']) add('mcp_dependency_up', { ...APP, dependency }, gauge(1));
  add('mcp_host_cpu_utilization_ratio', APP, gauge(0.35));
  add('mcp_host_memory_utilization_ratio', APP, gauge(0.6));
  add('mcp_host_disk_utilization_ratio', { ...APP, path: '/var/lib/mcp-platform' }, gauge(0.5));
  add('mcp_host_network_receive_bytes_total', { ...APP, device: 'eth0' }, counter(2e6));
  add('mcp_host_network_transmit_bytes_total', { ...APP, device: 'eth0' }, counter(1e6));
  add('mcp_db_replication_lag_seconds', { ...APP, replica: 'mysql-replica-1' }, gauge(0.02));
  // backups (catalog at scrape time): full at 02:00 (≈ 8 h before the window), incremental hourly,
  // the stream's binlog archive at the last rotation, the others daily; no failure since
  const ago = (s: number) => gauge(start - s);
  for (const [type, last, duration, size] of [
    ['full', ago(8 * 3600), 900, 4e9],
    ['incremental', ago(20 * 60), 6, 40e6],
    ['binlog', ago(50 * 60), 3, 30e6],
    ['schema', ago(8 * 3600 - 960), 2, 200e3],
    ['config', ago(8 * 3600 - 980), 1, 50e3],
    ['logs', ago(8 * 3600 - 1000), 30, 300e6],
  ] as const) {
    add('mcp_backup_last_success_timestamp_seconds', { ...APP, type }, last);
    add('mcp_backup_last_duration_seconds', { ...APP, type }, gauge(duration));
    add('mcp_backup_last_size_bytes', { ...APP, type }, gauge(size));
    add('mcp_backup_failures_since_success', { ...APP, type }, gauge(0));
  }

  // --- `mcp-platform backup stream --metrics-port 9480` ------------------------------------------
  add('mcp_backup_stream_up', STREAM, gauge(1));
  add('mcp_backup_stream_caught_up', STREAM, gauge(1));
  add('mcp_backup_stream_rpo_seconds', STREAM, gauge(0)); // caught up
  add('mcp_backup_stream_last_event_timestamp_seconds', STREAM, (i) => start + STEP * i - 1);
  add('mcp_backup_stream_restarts', STREAM, gauge(1));
  add('mcp_backup_stream_gaps', STREAM, gauge(0));

  // --- node_exporter -------------------------------------------------------------------------------
  for (const cpu of ['0', '1']) {
    add('node_cpu_seconds_total', { ...NODE, cpu, mode: 'idle' }, counter(0.6));
    add('node_cpu_seconds_total', { ...NODE, cpu, mode: 'user' }, counter(0.3));
    add('node_cpu_seconds_total', { ...NODE, cpu, mode: 'system' }, counter(0.1));
  }
  add('node_load5', NODE, gauge(0.8));
  add('node_memory_MemAvailable_bytes', NODE, gauge(6e9));
  add('node_memory_MemTotal_bytes', NODE, gauge(16e9));
  for (const [device, fstype, mountpoint, size, avail] of [
    ['/dev/sda1', 'ext4', '/', 100e9, 40e9],
    ['/dev/sdb1', 'xfs', '/var/lib/mysql', 500e9, 300e9],
    ['tmpfs', 'tmpfs', '/run', 1e9, 0.99e9],
  ] as const) {
    add('node_filesystem_size_bytes', { ...NODE, device, fstype, mountpoint }, gauge(size));
    add('node_filesystem_avail_bytes', { ...NODE, device, fstype, mountpoint }, gauge(avail));
    add('node_filesystem_free_bytes', { ...NODE, device, fstype, mountpoint }, gauge(avail + size * 0.05));
  }
  for (const [device, rx] of [
    ['eth0', 5e6],
    ['lo', 1e6],
  ] as const) {
    add('node_network_receive_bytes_total', { ...NODE, device }, counter(rx));
    add('node_network_transmit_bytes_total', { ...NODE, device }, counter(rx / 2));
  }

  // --- mysqld_exporter 0.14 (--collect.slave_status --collect.heartbeat) -------------------------------
  add('mysql_up', MYSQL, gauge(1));
  add('mysql_global_status_threads_connected', MYSQL, gauge(40));
  add('mysql_global_status_threads_running', MYSQL, gauge(3));
  add('mysql_global_variables_max_connections', MYSQL, gauge(200));
  add('mysql_global_status_slow_queries', MYSQL, gauge(12)); // no new slow query
  add('mysql_global_variables_long_query_time', MYSQL, gauge(1));
  const slave = { ...MYSQL, master_host: 'mysql-primary', master_uuid: '3e11fa47-71ca-11e1-9e33-c80aa9429562' };
  add('mysql_slave_status_slave_io_running', slave, gauge(1));
  add('mysql_slave_status_slave_sql_running', slave, gauge(1));
  add('mysql_slave_status_seconds_behind_master', slave, gauge(0));
  add('mysql_heartbeat_now_timestamp_seconds', { ...MYSQL, server_id: '1' }, counter(1, 1.7e9));
  add('mysql_heartbeat_stored_timestamp_seconds', { ...MYSQL, server_id: '1' }, (i) => 1.7e9 + STEP * i - 0.03);

  // --- redis_exporter ----------------------------------------------------------------------------------
  add('redis_up', REDIS, gauge(1));
  add('redis_keyspace_hits_total', REDIS, counter(900));
  add('redis_keyspace_misses_total', REDIS, counter(100));
  add('redis_memory_used_bytes', REDIS, gauge(1.2e9));
  add('redis_memory_max_bytes', REDIS, gauge(4e9));
  add('redis_total_system_memory_bytes', REDIS, gauge(16e9));
  add('redis_connected_clients', REDIS, gauge(25));
  add('redis_blocked_clients', REDIS, gauge(0));
  add('redis_config_maxclients', REDIS, gauge(10000));
  return s;
}

/** OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: each series contiguous, timestamps in seconds. */
function openMetrics(series: Series[], start: number): string {
  const lines: string[] = [];
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const byName = [...series].sort((a, b) => a.name.localeCompare(b.name));
  for (const s of byName) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${esc(v)}"`)
      .join(',');
    for (let i = 0; i < SAMPLES; i++) lines.push(`${s.name}{${labels}} ${s.value(i)} ${start + i * STEP}`);
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

interface QueryResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType: string; result: { metric: Labels; value: [number, string] }[] };
}

let prometheus: Daemon | undefined;
let base = '';
let evalTime = 0;
const dirs: string[] = [];

async function query(expr: string): Promise<QueryResponse> {
  const res = await fetch(`${base}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr, time: String(evalTime) }),
  });
  return (await res.json()) as QueryResponse;
}

function explain(what: string, expr: string, r: QueryResponse): string {
  return `${what}\nexpr: ${expr}\nresponse: ${JSON.stringify(r).slice(0, 2000)}`;
}

beforeAll(async () => {
  const promtool = requireBinary('promtool');
  const bin = requireBinary('prometheus');
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-prom-test-'));
  dirs.push(dir);
  const end = Math.floor(Date.now() / 1000 / STEP) * STEP - STEP;
  const start = end - (SAMPLES - 1) * STEP;
  evalTime = end;
  const data = path.join(dir, 'data.om');
  writeFileSync(data, openMetrics(healthySeries(start), start));
  const tsdb = path.join(dir, 'tsdb');
  assertSucceeded(await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', data, tsdb]));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  prometheus = startDaemon(bin, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${tsdb}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ]);
  await waitReady(`${base}/-/ready`, prometheus, 'prometheus');
  // the backfilled block is loaded at start-up: make sure it is visible before evaluating anything
  const r = await query('count(up)');
  if (r.status !== 'success' || r.data?.result[0]?.value[1] !== '5') {
    throw new Error(`${explain('backfilled data not visible in Prometheus', 'count(up)', r)}\n${prometheus.output()}`);
  }
});

afterAll(async () => {
  await prometheus?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const { alerts, records } = loadRules();
const dashboards = loadDashboards();

describe('PromQL in a real Prometheus', () => {
  it.each(alerts.map((a) => [`${a.alert} [${a.labels.severity}]`, a.expr] as const))('rule %s evaluates, and does not fire on a healthy system', async (name, expr) => {
    const r = await query(expr);
    expect(r.status, explain(`alert ${name}`, expr, r)).toBe('success');
    expect(r.data?.result ?? [], explain(`alert ${name} fires on healthy data`, expr, r)).toEqual([]);
  });

  it.each(records.map((x) => [x.record, x.expr] as const))('recording rule %s evaluates', async (name, expr) => {
    const r = await query(expr);
    expect(r.status, explain(`record ${name}`, expr, r)).toBe('success');
  });

  for (const d of dashboards) {
    const variables = (d.json.templating?.list ?? []).map((v) => v.name);
    const targets = dashboardTargets(d);
    it(`${d.file}: has queries`, () => expect(targets.length).toBeGreaterThan(0));

    it.each(targets.map((t) => [`${t.panel} (${t.refId})`, t.expr] as const))(`${d.file}: %s evaluates and finds data`, async (panel, rawExpr) => {
      const expr = substituteGrafanaVariables(rawExpr, variables);
      expect(expr, `unsubstituted template variable in ${d.file} › ${panel}`).not.toMatch(/\$|\[\[/);
      const r = await query(expr);
      expect(r.status, explain(`${d.file} › ${panel}`, expr, r)).toBe('success');
      expect(r.data?.result.length ?? 0, explain(`${d.file} › ${panel}: no data for a healthy system`, expr, r)).toBeGreaterThan(0);
    });

    const varQueries = (d.json.templating?.list ?? []).filter((v) => v.type === 'query');
    if (varQueries.length > 0) {
      it.each(varQueries.map((v) => [v.name, v] as const))(`${d.file}: template variable $%s query evaluates and finds values`, async (name, v) => {
        const expr = variableQueryExpr(v);
        expect(expr, `variable ${name}: expected label_values(<selector>, label) or query_result(<expr>)`).toBeDefined();
        const r = await query(expr as string);
        expect(r.status, explain(`variable ${name}`, expr as string, r)).toBe('success');
        expect(r.data?.result.length ?? 0, explain(`variable ${name}: no values`, expr as string, r)).toBeGreaterThan(0);
      });
    }
  }
});
