/**
 * deploy/grafana: provisioning files and the four dashboards of MON-7 (manual §8.5.1) are well-formed Grafana 10
 * JSON that use the provisioned Prometheus datasource and show what the manual asks for. Whether their queries
 * work is checked against a real Prometheus in promql-eval.test.ts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPanels, dashboardTargets, GRAFANA_DIR, hasChinese, loadDashboards, readYaml, type DashboardFile } from './helpers.js';

const dashboards = loadDashboards();
const byFile = (f: string): DashboardFile => {
  const d = dashboards.find((x) => x.file === f);
  if (!d) throw new Error(`deploy/grafana/dashboards/${f} is missing`);
  return d;
};
const exprs = (f: string) => dashboardTargets(byFile(f)).map((t) => t.expr.replace(/\s+/g, ' '));
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'gauge', 'bargauge', 'table', 'state-timeline', 'text', 'heatmap']);

describe('Grafana provisioning', () => {
  it('provisions the Prometheus datasource with uid "prometheus"', () => {
    const ds = readYaml<{ apiVersion: number; datasources: { name: string; uid: string; type: string; url: string; access: string }[] }>(
      path.join(GRAFANA_DIR, 'provisioning', 'datasources', 'prometheus.yml'),
    );
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus', access: 'proxy', url: 'http://prometheus:9090' });
  });

  it('provisions the dashboards folder from files', () => {
    const p = readYaml<{ apiVersion: number; providers: { name: string; type: string; options: { path: string } }[] }>(
      path.join(GRAFANA_DIR, 'provisioning', 'dashboards', 'mcp.yml'),
    );
    expect(p.apiVersion).toBe(1);
    expect(p.providers).toHaveLength(1);
    expect(p.providers[0]?.type).toBe('file');
    expect(p.providers[0]?.options.path).toMatch(/^\//);
  });
});

describe('Grafana dashboards', () => {
  it('has the four dashboards of MON-7 with unique uids', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['application.json', 'cache.json', 'capacity.json', 'database.json']);
    const uids = dashboards.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s is valid Grafana 10 dashboard JSON', (file, d) => {
    const j = d.json;
    expect(j.schemaVersion, `${file} schemaVersion`).toBeGreaterThanOrEqual(36);
    expect(j.schemaVersion).toBeLessThanOrEqual(39);
    expect(j.id ?? null, `${file}: provisioned dashboards must not carry a database id`).toBeNull();
    expect(j.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(hasChinese(j.title), `${file} title`).toBe(true);
    expect(Array.isArray(j.panels) && j.panels.length > 0).toBe(true);

    const panels = allPanels(d);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size, `${file}: panel ids must be unique`).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const p of panels) {
      const where = `${file} › ${p.title}`;
      expect(PANEL_TYPES.has(p.type), `${where}: panel type ${p.type}`).toBe(true);
      expect(hasChinese(p.title), `${where}: Chinese title`).toBe(true);
      const g = p.gridPos;
      expect(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.y >= 0 && g.h > 0, `${where}: gridPos ${JSON.stringify(g)}`).toBe(true);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const other = cells.get(`${x},${y}`);
          expect(other, `${where} overlaps ${other}`).toBeUndefined();
          cells.set(`${x},${y}`, p.title);
        }
      }
      if (p.type === 'row') continue;
      expect(p.datasource, `${where}: datasource`).toEqual({ type: 'prometheus', uid: 'prometheus' });
      expect(p.targets?.length ?? 0, `${where}: targets`).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, `${where}: refIds must be unique`).toBe(refIds.length);
      for (const t of p.targets ?? []) {
        expect(t.datasource, `${where} ${t.refId}: datasource`).toEqual({ type: 'prometheus', uid: 'prometheus' });
        expect(t.expr?.trim(), `${where} ${t.refId}: expr`).toBeTruthy();
      }
    }
    for (const v of j.templating?.list ?? []) {
      if (v.type === 'query') expect(v.datasource, `${file} $${v.name}`).toEqual({ type: 'prometheus', uid: 'prometheus' });
    }
  });

  it('application: QPS, latency p50/p95/p99 and error rate, also by route', () => {
    const e = exprs('application.json');
    for (const q of ['0.5', '0.95', '0.99']) expect(e.some((x) => x.includes(`histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket`))).toBe(true);
    expect(e.some((x) => /histogram_quantile\(0\.95, sum by \(le, method, route\)/.test(x))).toBe(true);
    expect(e.some((x) => /^sum by \(method, route\) \(rate\(http_requests_total/.test(x))).toBe(true);
    expect(e.some((x) => /sum by \(method, route\) \(rate\(http_requests_total\{[^}]*status=~"5\.\."/.test(x) && x.includes(' / '))).toBe(true);
    expect(e.some((x) => /^sum\(rate\(http_requests_total\{[^}]*status=~"5\.\."[^}]*\}\[\$__rate_interval\]\)\) \/ \(sum\(rate\(http_requests_total/.test(x))).toBe(true);
  });

  it('database: connections vs max_connections, pool in use/idle/waiting, slow queries, replication lag', () => {
    const e = exprs('database.json').join('\n');
    for (const m of [
      'mysql_global_status_threads_connected',
      'mysql_global_variables_max_connections',
      'mcp_db_pool_in_use',
      'mcp_db_pool_idle',
      'mcp_db_pool_waiting',
      'mysql_global_status_slow_queries',
      'mysql_heartbeat_now_timestamp_seconds',
      'mysql_heartbeat_stored_timestamp_seconds',
      'mysql_slave_status_seconds_behind_master',
      'mcp_db_replication_lag_seconds',
    ]) {
      expect(e, m).toContain(m);
    }
  });

  it('cache: hit rate from Redis and from the platform, memory', () => {
    const e = exprs('cache.json').join('\n');
    for (const m of ['redis_keyspace_hits_total', 'redis_keyspace_misses_total', 'mcp_cache_requests_total{result="hit"}', 'redis_memory_used_bytes', 'redis_memory_max_bytes']) {
      expect(e, m).toContain(m);
    }
  });

  it('capacity: CPU, memory, disk, network with the corrected §8.5.1 expressions', () => {
    const e = exprs('capacity.json');
    const all = e.join('\n');
    expect(all).not.toMatch(/\birate\(/);
    expect(e.some((x) => x.startsWith('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"'))).toBe(true);
    expect(all).toContain('1 - node_memory_MemAvailable_bytes');
    expect(e.some((x) => x.startsWith('1 - node_filesystem_avail_bytes{fstype!~'))).toBe(true);
    expect(all).not.toContain('node_filesystem_free_bytes');
    expect(all).toContain('node_network_receive_bytes_total{device!~"lo');
    expect(all).toContain('node_network_transmit_bytes_total{device!~"lo');
    for (const m of [
      'mcp_host_cpu_utilization_ratio',
      'mcp_host_memory_utilization_ratio',
      'mcp_host_disk_utilization_ratio',
      'mcp_host_network_receive_bytes_total',
      'mcp_host_network_transmit_bytes_total',
    ]) {
      expect(all, m).toContain(m);
    }
  });
});
