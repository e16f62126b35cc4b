/**
 * Every alert in deploy/prometheus/rules is (a) named and described in Chinese with a §3.1 severity and
 * (b) covered by promtool unit tests with a case where it fires and a case where it must not (ALR-1, ALR-2).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasChinese, loadRules, PROMTOOL_TESTS_DIR, readYaml, RULES_DIR, SEVERITY_ZH, yamlFiles, type AlertRule } from './helpers.js';

interface PromtoolTestFile {
  rule_files: string[];
  tests: {
    name?: string;
    alert_rule_test?: {
      eval_time: string;
      alertname: string;
      exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] | null;
    }[];
  }[];
}

const key = (alert: string, severity: string) => `${alert} [${severity}]`;
const { alerts } = loadRules();

function collectCases() {
  const firing = new Map<string, string[]>();
  const silent = new Map<string, string[]>();
  const withoutAnnotations: string[] = [];
  const ruleFilesUnderTest = new Set<string>();
  const severitiesByName = new Map<string, Set<string>>();
  for (const a of alerts) {
    const set = severitiesByName.get(a.alert) ?? new Set<string>();
    set.add(a.labels.severity ?? '');
    severitiesByName.set(a.alert, set);
  }
  for (const file of yamlFiles(PROMTOOL_TESTS_DIR)) {
    const doc = readYaml<PromtoolTestFile>(file);
    for (const rf of doc.rule_files ?? []) ruleFilesUnderTest.add(path.resolve(path.dirname(file), rf));
    for (const t of doc.tests ?? []) {
      for (const c of t.alert_rule_test ?? []) {
        const where = `${path.basename(file)} › ${t.name ?? '(unnamed)'} @ ${c.eval_time}`;
        const exp = c.exp_alerts ?? [];
        const firedSeverities = new Set(exp.map((e) => e.exp_labels?.severity ?? ''));
        for (const e of exp) {
          if (!e.exp_annotations?.summary || !e.exp_annotations?.description) withoutAnnotations.push(where);
        }
        for (const sev of severitiesByName.get(c.alertname) ?? []) {
          const target = firedSeverities.has(sev) ? firing : silent;
          const k = key(c.alertname, sev);
          target.set(k, [...(target.get(k) ?? []), where]);
        }
      }
    }
  }
  return { firing, silent, withoutAnnotations, ruleFilesUnderTest };
}

describe('alert rules: names, severities and promtool test coverage', () => {
  it('has alerts, each (name, severity) pair defined once', () => {
    expect(alerts.length).toBeGreaterThan(0);
    const seen = new Map<string, AlertRule>();
    for (const a of alerts) {
      const k = key(a.alert, a.labels.severity ?? '');
      expect(seen.has(k), `${k} defined twice (${seen.get(k)?.file} and ${a.file}); combine the sources with "or"`).toBe(false);
      seen.set(k, a);
    }
  });

  it.each(alerts.map((a) => [key(a.alert, a.labels.severity ?? '?'), a] as const))('%s: Chinese name, §3.1 severity, Chinese summary and description', (_k, a) => {
    expect(hasChinese(a.alert), `alert name "${a.alert}" must be Chinese`).toBe(true);
    expect(['critical', 'major', 'minor'], `severity of ${a.alert}`).toContain(a.labels.severity);
    expect(a.labels.severity_zh, `severity_zh of ${a.alert}`).toBe(SEVERITY_ZH[a.labels.severity ?? '']);
    expect(hasChinese(a.annotations.summary ?? ''), `summary of ${a.alert}`).toBe(true);
    expect(hasChinese(a.annotations.description ?? ''), `description of ${a.alert}`).toBe(true);
    expect(a.labels.category, `category of ${a.alert}`).toMatch(/^(application|database|cache|system|monitoring)$/);
  });

  it('every alert has a firing and a non-firing promtool case; every firing case asserts the annotations', () => {
    const { firing, silent, withoutAnnotations, ruleFilesUnderTest } = collectCases();
    const problems: string[] = [];
    for (const a of alerts) {
      const k = key(a.alert, a.labels.severity ?? '');
      if (!firing.get(k)?.length) problems.push(`${k}: no promtool case where it fires`);
      if (!silent.get(k)?.length) problems.push(`${k}: no promtool case where it must not fire`);
    }
    for (const f of yamlFiles(RULES_DIR)) {
      if (!ruleFilesUnderTest.has(f)) problems.push(`${path.basename(f)} is not loaded by any file in deploy/prometheus/tests`);
    }
    for (const w of withoutAnnotations) problems.push(`${w}: expected alert without summary/description annotations`);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('covers every threshold of manual §1.2, §3.2 and §8.5.2 with the §3.1 severity', () => {
    const required: [string, string, RegExp][] = [
      // [alert, severity, a fragment the expression must contain]
      ['应用宕机', 'critical', /up\{job="mcp-platform"\} == 0/],
      ['数据库不可用', 'critical', /mysql_up == 0/],
      ['应用QPS过低', 'minor', /< 100\b/],
      ['应用响应时间过长', 'minor', /> 0\.5\b/],
      ['应用响应时间过长', 'major', /> 1\b/],
      ['应用错误率过高', 'minor', /> 0\.01\b/],
      ['应用错误率过高', 'major', /> 0\.05\b/],
      ['CPU使用率过高', 'minor', /> 0\.8\b/],
      ['内存使用率过高', 'minor', /> 0\.85\b/],
      ['磁盘使用率过高', 'major', /> 0\.9\b/],
      ['数据库连接数过高', 'minor', /> 0\.8\b/],
      ['数据库慢查询', 'minor', /mysql_global_status_slow_queries/],
      ['数据库主从延迟过高', 'minor', /mysql_heartbeat_now_timestamp_seconds - mysql_heartbeat_stored_timestamp_seconds\) > 0\.1/],
      ['数据库主从复制中断', 'major', /slave_io_running == 0[\s\S]*slave_sql_running == 0/],
      ['缓存命中率过低', 'minor', /< 0\.8\b/],
      ['缓存内存使用率过高', 'minor', /> 0\.85\b/],
    ];
    for (const [name, severity, fragment] of required) {
      const rule = alerts.find((a) => a.alert === name && a.labels.severity === severity);
      expect(rule, `missing alert ${key(name, severity)}`).toBeDefined();
      expect(rule?.expr, `${key(name, severity)} expression`).toMatch(fragment);
    }
    expect(alerts.find((a) => a.alert === '数据库主从延迟过高')?.expr).toContain('mcp_db_replication_lag_seconds > 0.1');
  });

  it("uses the corrected expressions, not the manual's (§3.2: ratio error rate, p95 from rate() aggregated by le)", () => {
    const norm = (s: string) => s.replace(/\s+/g, ' ');
    const errorRatio = 'sum by (job, instance) (rate(http_requests_total{status=~"5.."}[5m])) / sum by (job, instance) (rate(http_requests_total[5m]))';
    const p95 = 'histogram_quantile(0.95, sum by (le, job, instance) (rate(http_request_duration_seconds_bucket[5m])))';
    for (const a of alerts.filter((x) => x.alert === '应用错误率过高')) expect(norm(a.expr)).toContain(errorRatio);
    for (const a of alerts.filter((x) => x.alert === '应用响应时间过长')) expect(norm(a.expr)).toContain(p95);
    for (const a of alerts) {
      expect(a.expr, `${a.alert}: irate() is for graphs, not alerts`).not.toMatch(/\birate\(/);
      expect(a.expr, `${a.alert}: histogram_quantile on raw buckets`).not.toMatch(/histogram_quantile\([^,]+,\s*http_request_duration_seconds_bucket/);
    }
  });
});
