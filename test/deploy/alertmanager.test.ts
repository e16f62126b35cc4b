/**
 * deploy/alertmanager/alertmanager.yml: severity → channels routing (manual §3.1, ALR-2), webhook receivers on
 * the platform with a bearer token from a file, and inhibition — checked with amtool, by reading the YAML, and
 * against a real Alertmanager.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ALERTMANAGER_CONFIG, assertSucceeded, formatRun, freePort, requireBinary, ROOT, run, startDaemon, waitReady, type Daemon } from './helpers.js';

const CONFIG = path.relative(ROOT, ALERTMANAGER_CONFIG);
const TOKEN_FILE = '/etc/alertmanager/secrets/mcp-webhook-token';
const WEBHOOK = 'http://mcp-platform:8000/api/support/alerts/alertmanager';

interface Matchers {
  source_matchers: string[];
  target_matchers: string[];
  equal?: string[];
}
interface AmConfig {
  route: { receiver: string; group_by: string[]; routes: { matchers: string[]; receiver: string }[] };
  inhibit_rules: Matchers[];
  receivers: {
    name: string;
    webhook_configs?: {
      url: string;
      send_resolved?: boolean;
      http_config?: { authorization?: { type?: string; credentials?: string; credentials_file?: string } };
    }[];
    [other: string]: unknown;
  }[];
}

const raw = readFileSync(ALERTMANAGER_CONFIG, 'utf8');
const cfg = parse(raw) as AmConfig;

/** Expected receiver and channels per severity (manual §3.1). */
const ROUTING: [severity: string, receiver: string, channels: string][] = [
  ['critical', 'mcp-critical-phone-sms-email', 'phone,sms,email'],
  ['major', 'mcp-major-sms-email', 'sms,email'],
  ['minor', 'mcp-minor-email', 'email'],
];

const tempDirs: string[] = [];
let alertmanager: Daemon | undefined;
afterAll(async () => {
  await alertmanager?.stop();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mcp-am-test-'));
  tempDirs.push(d);
  return d;
}

/** A copy of the config whose token file is a real 0600 temp file and whose webhooks point at a closed local port. */
function localCopy(dir: string, webhookPort: number): string {
  const token = path.join(dir, 'mcp-webhook-token');
  writeFileSync(token, 'test-token-not-a-secret\n', { mode: 0o600 });
  chmodSync(token, 0o600);
  const copy = parse(raw) as AmConfig;
  for (const r of copy.receivers) {
    for (const w of r.webhook_configs ?? []) {
      w.url = w.url.replace('http://mcp-platform:8000', `http://127.0.0.1:${webhookPort}`);
      if (w.http_config?.authorization) w.http_config.authorization.credentials_file = token;
    }
  }
  const file = path.join(dir, 'alertmanager.yml');
  writeFileSync(file, stringify(copy));
  return file;
}

/** Alertmanager matcher semantics for the `name="v"` / `name=~"re"` / `name!="v"` matchers used in the file. */
function matches(matcher: string, labels: Record<string, string>): boolean {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$/.exec(matcher);
  if (!m) throw new Error(`unsupported matcher syntax: ${matcher}`);
  const [, name, op, value] = m as unknown as [string, string, string, string];
  const actual = labels[name] ?? '';
  switch (op) {
    case '=':
      return actual === value;
    case '!=':
      return actual !== value;
    case '=~':
      return new RegExp(`^(?:${value})$`).test(actual);
    default:
      return !new RegExp(`^(?:${value})$`).test(actual);
  }
}

function mutedBy(target: Record<string, string>, source: Record<string, string>): boolean {
  return cfg.inhibit_rules.some(
    (r) =>
      r.source_matchers.every((m) => matches(m, source)) &&
      r.target_matchers.every((m) => matches(m, target)) &&
      (r.equal ?? []).every((l) => (source[l] ?? '') === (target[l] ?? '')) &&
      // Alertmanager never lets an alert inhibit itself
      JSON.stringify(source) !== JSON.stringify(target),
  );
}

describe('Alertmanager configuration', () => {
  it('amtool check-config deploy/alertmanager/alertmanager.yml', async () => {
    const amtool = requireBinary('amtool');
    // amtool 0.25 does not open credentials_file while checking, so the real file is checked as is;
    // the copy with a real 0600 token file is checked too, in case a later amtool does.
    assertSucceeded(await run(amtool, ['check-config', CONFIG]));
    assertSucceeded(await run(amtool, ['check-config', localCopy(tempDir(), 9)]));
  });

  it.each(ROUTING)('amtool config routes test: severity=%s → %s', async (severity, receiver) => {
    const amtool = requireBinary('amtool');
    const r = await run(amtool, [
      'config',
      'routes',
      'test',
      `--config.file=${CONFIG}`,
      `--verify.receivers=${receiver}`,
      `severity=${severity}`,
      'alertname=测试告警',
      'instance=host-1:9100',
    ]);
    assertSucceeded(r);
    expect(r.stdout.trim(), formatRun(r)).toBe(receiver);
  });

  it('amtool config routes test: an alert without a known severity still gets an email', async () => {
    const amtool = requireBinary('amtool');
    for (const labels of [['alertname=无级别告警'], ['alertname=未知级别', 'severity=warning']]) {
      const r = await run(amtool, ['config', 'routes', 'test', `--config.file=${CONFIG}`, '--verify.receivers=mcp-minor-email', ...labels]);
      assertSucceeded(r);
      expect(r.stdout.trim(), formatRun(r)).toBe('mcp-minor-email');
    }
  });

  it('receivers are platform webhooks with the §3.1 channels, send_resolved, and a bearer token read from a file', () => {
    expect(cfg.receivers.map((r) => r.name).sort()).toEqual(ROUTING.map(([, r]) => r).sort());
    for (const [, name, channels] of ROUTING) {
      const r = cfg.receivers.find((x) => x.name === name);
      expect(Object.keys(r ?? {}).sort(), `${name} must only use webhook_configs`).toEqual(['name', 'webhook_configs']);
      expect(r?.webhook_configs).toHaveLength(1);
      const w = r?.webhook_configs?.[0];
      expect(w?.url).toBe(`${WEBHOOK}?channels=${channels}`);
      expect(w?.send_resolved).toBe(true);
      expect(w?.http_config?.authorization?.type ?? 'Bearer').toBe('Bearer');
      expect(w?.http_config?.authorization?.credentials_file).toBe(TOKEN_FILE);
      expect(w?.http_config?.authorization?.credentials, 'no inline secret').toBeUndefined();
    }
    // no inline secret anywhere in the file
    expect(raw).not.toMatch(/^\s*(credentials|bearer_token|password|auth_password|api_key|api_secret)\s*:/m);
    expect(cfg.route.group_by).toEqual(expect.arrayContaining(['alertname', 'instance']));
  });

  it('inhibition (parsed YAML): critical mutes major/minor of the same instance; app down mutes its latency/error alerts', () => {
    const appDown = { alertname: '应用宕机', severity: 'critical', job: 'mcp-platform', instance: 'app-1:8000' };
    const dbDown = { alertname: '数据库不可用', severity: 'critical', job: 'mysql-exporter', instance: 'mysql-1:9104' };
    const err = (severity: string, instance: string) => ({ alertname: '应用错误率过高', severity, job: 'mcp-platform', instance });
    const latency = (severity: string, instance: string) => ({ alertname: '应用响应时间过长', severity, job: 'mcp-platform', instance });

    expect(mutedBy(err('major', 'app-1:8000'), appDown)).toBe(true);
    expect(mutedBy(err('minor', 'app-1:8000'), appDown)).toBe(true);
    expect(mutedBy(latency('major', 'app-1:8000'), appDown)).toBe(true);
    expect(mutedBy({ alertname: '应用QPS过低', severity: 'minor', job: 'mcp-platform' }, appDown)).toBe(true);
    expect(mutedBy({ alertname: '数据库连接数过高', severity: 'minor', job: 'mysql-exporter', instance: 'mysql-1:9104' }, dbDown)).toBe(true);
    expect(mutedBy({ alertname: '数据库主从复制中断', severity: 'major', job: 'mysql-exporter', instance: 'mysql-1:9104' }, dbDown)).toBe(true);
    // another instance is not muted
    expect(mutedBy(err('major', 'app-2:8000'), appDown)).toBe(false);
    expect(mutedBy({ alertname: 'CPU使用率过高', severity: 'minor', job: 'node-exporter', instance: 'node-1:9100' }, appDown)).toBe(false);
    // a critical alert is never muted by another critical one
    expect(mutedBy(dbDown, appDown)).toBe(false);
    expect(mutedBy({ ...dbDown, instance: 'app-1:8000', job: 'mcp-platform' }, appDown)).toBe(false);
    // the major level of the same alert mutes its minor level
    expect(mutedBy(err('minor', 'app-2:8000'), err('major', 'app-2:8000'))).toBe(true);
    expect(mutedBy(err('major', 'app-2:8000'), err('minor', 'app-2:8000'))).toBe(false);
  });

  it('inhibition in a real Alertmanager', async () => {
    const bin = requireBinary('prometheus-alertmanager');
    const dir = tempDir();
    const [port, clusterless, closed] = [await freePort(), '', await freePort()];
    const config = localCopy(dir, closed);
    alertmanager = startDaemon(bin, [
      `--config.file=${config}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--cluster.listen-address=${clusterless}`,
      '--log.level=warn',
    ]);
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/-/ready`, alertmanager, 'prometheus-alertmanager');

    const alerts: Record<string, Record<string, string>> = {
      appDown: { alertname: '应用宕机', severity: 'critical', job: 'mcp-platform', instance: 'app-1:8000' },
      err1Major: { alertname: '应用错误率过高', severity: 'major', job: 'mcp-platform', instance: 'app-1:8000' },
      err1Minor: { alertname: '应用错误率过高', severity: 'minor', job: 'mcp-platform', instance: 'app-1:8000' },
      latency1: { alertname: '应用响应时间过长', severity: 'minor', job: 'mcp-platform', instance: 'app-1:8000' },
      qps: { alertname: '应用QPS过低', severity: 'minor', job: 'mcp-platform' },
      err2Major: { alertname: '应用错误率过高', severity: 'major', job: 'mcp-platform', instance: 'app-2:8000' },
      err2Minor: { alertname: '应用错误率过高', severity: 'minor', job: 'mcp-platform', instance: 'app-2:8000' },
      cpu: { alertname: 'CPU使用率过高', severity: 'minor', job: 'node-exporter', instance: 'node-1:9100' },
    };
    const expected: Record<string, 'active' | 'suppressed'> = {
      appDown: 'active',
      err1Major: 'suppressed',
      err1Minor: 'suppressed',
      latency1: 'suppressed',
      qps: 'suppressed',
      err2Major: 'active',
      err2Minor: 'suppressed',
      cpu: 'active',
    };
    const startsAt = new Date().toISOString();
    const post = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.values(alerts).map((labels) => ({ labels, annotations: { summary: labels.alertname }, startsAt }))),
    });
    expect(post.status, await post.text()).toBe(200);

    const nameOf = (labels: Record<string, string>) =>
      Object.entries(alerts).find(([, l]) => JSON.stringify(Object.entries(l).sort()) === JSON.stringify(Object.entries(labels).sort()))?.[0] ?? JSON.stringify(labels);
    let states: Record<string, string> = {};
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/api/v2/alerts`);
      const body = (await res.json()) as { labels: Record<string, string>; status: { state: string } }[];
      states = Object.fromEntries(body.map((a) => [nameOf(a.labels), a.status.state]));
      if (JSON.stringify(Object.entries(states).sort()) === JSON.stringify(Object.entries(expected).sort())) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(states, `alert states from Alertmanager:\n${alertmanager.output()}`).toEqual(expected);
  });
});
