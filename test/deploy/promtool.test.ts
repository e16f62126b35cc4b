/**
 * deploy/prometheus: promtool check config, check rules and the rule unit tests (ALR-1, MON-8).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSucceeded, PROMETHEUS_DIR, PROMTOOL_TESTS_DIR, readYaml, requireBinary, ROOT, RULES_DIR, run, yamlFiles } from './helpers.js';

const rel = (f: string) => path.relative(ROOT, f);

describe('Prometheus configuration (promtool)', () => {
  it('promtool check config deploy/prometheus/prometheus.yml', async () => {
    const promtool = requireBinary('promtool');
    const r = await run(promtool, ['check', 'config', rel(path.join(PROMETHEUS_DIR, 'prometheus.yml'))]);
    assertSucceeded(r);
    // the config must actually load every rule file
    expect(r.stdout + r.stderr, 'rule_files must match every file in deploy/prometheus/rules').toContain(`SUCCESS: ${yamlFiles(RULES_DIR).length} rule files found`);
  });

  it('promtool check rules deploy/prometheus/rules/*.yml', async () => {
    const promtool = requireBinary('promtool');
    const files = yamlFiles(RULES_DIR).map(rel);
    expect(files.length).toBeGreaterThan(0);
    assertSucceeded(await run(promtool, ['check', 'rules', ...files]));
  });

  it('promtool test rules deploy/prometheus/tests/*.yml', async () => {
    const promtool = requireBinary('promtool');
    const files = yamlFiles(PROMTOOL_TESTS_DIR).map(rel);
    expect(files.length).toBeGreaterThan(0);
    assertSucceeded(await run(promtool, ['test', 'rules', ...files], { timeoutMs: 25_000 }));
  });

  it('scrapes the app and the three exporters every 15 s (§8.5.1) and sends alerts to alertmanager:9093', () => {
    interface PromConfig {
      global: { scrape_interval: string; evaluation_interval: string };
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; metrics_path?: string; scrape_interval?: string; static_configs: { targets: string[] }[] }[];
    }
    const cfg = readYaml<PromConfig>(path.join(PROMETHEUS_DIR, 'prometheus.yml'));
    expect(cfg.global.scrape_interval).toBe('15s');
    const jobs = Object.fromEntries(cfg.scrape_configs.map((s) => [s.job_name, s]));
    const targets = (job: string) => (jobs[job]?.static_configs ?? []).flatMap((s) => s.targets);
    expect(targets('mcp-platform')).toContain('mcp-platform:8000');
    expect(jobs['mcp-platform']?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(targets('node-exporter').some((t) => t.endsWith(':9100'))).toBe(true);
    expect(targets('mysql-exporter').some((t) => t.endsWith(':9104'))).toBe(true);
    expect(targets('redis-exporter').some((t) => t.endsWith(':9121'))).toBe(true);
    for (const s of cfg.scrape_configs) expect(s.scrape_interval ?? cfg.global.scrape_interval, s.job_name).toBe('15s');
    expect(cfg.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toContain('alertmanager:9093');
    expect(cfg.rule_files).toEqual(['rules/*.yml']);
  });
});
