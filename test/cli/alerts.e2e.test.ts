import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatform, prepareSchema, type Platform } from '../../src/app/platform.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { createAlertService } from '../../src/services/support/alertService.js';
import { runCli, startServe } from '../support/cli.js';

/** `alerts list` with the built CLI: the alerts Alertmanager delivered, zh-CN by default, English and JSON on request. */
describe('CLI: alerts list, and serve --only support', () => {
  let dir: string;
  let env: Record<string, string>;
  let platform: Platform;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-alerts-'));
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_ADMIN_PASSWORD: 'Cli-Alerts-Pass!1' };
    const config = loadConfig({ ...env, MCP_ENV: 'test' });
    platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, false)) });
    await prepareSchema(platform);
  });
  afterAll(async () => {
    await platform?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says there are none, then lists a delivered alert in Chinese, English and JSON, filtered by status', async () => {
    const none = await runCli(['alerts', 'list'], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('暂无告警\n');

    await createAlertService({ database: platform.database, audit: platform.audit, clock: platform.clock }).receiveAlertmanager({
      version: '4',
      groupKey: '{}:{alertname="CPU使用率过高"}',
      status: 'firing',
      receiver: 'mcp-platform',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'CPU使用率过高', severity: '一般' },
          annotations: { summary: 'CPU 超过 80%' },
          startsAt: '2026-11-30T01:02:03.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: '0123456789abcdef',
        },
      ],
    });

    const zh = await runCli(['alerts', 'list'], env);
    expect(zh.code, zh.stderr).toBe(0);
    expect(zh.stdout).toBe('2026-11-30 01:02:03  一般  告警中  -  CPU使用率过高  CPU 超过 80%\n');
    const en = await runCli(['--lang', 'en', 'alerts', 'list'], env);
    expect(en.stdout).toBe('2026-11-30 01:02:03  minor  firing  -  CPU使用率过高  CPU 超过 80%\n');
    const json = await runCli(['alerts', 'list', '--json'], env);
    expect(JSON.parse(json.stdout).items).toMatchObject([
      { fingerprint: '0123456789abcdef', severity: 'minor', status: 'firing', startsAt: '2026-11-30T01:02:03.000Z', endsAt: null },
    ]);
    expect((await runCli(['--lang', 'en', 'alerts', 'list', '--status', 'resolved'], env)).stdout).toBe('no alerts\n');
    const bad = await runCli(['alerts', 'list', '--severity', 'huge'], env);
    expect(bad.code).toBe(2);
  });

  it('serve --only support runs the receiver alone (the port is 8005 unless --port is given)', async () => {
    const token = 'serve-only-support-token-0123';
    const s = await startServe({ ...env, MCP_HOST: '127.0.0.1', MCP_ALERT_WEBHOOK_TOKEN: token }, ['--only', 'support', '--port', '0']);
    try {
      const res = await fetch(`${s.url}/api/support/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          version: '4',
          groupKey: 'g',
          status: 'firing',
          receiver: 'r',
          groupLabels: {},
          commonLabels: {},
          commonAnnotations: {},
          externalURL: '',
          alerts: [],
        }),
      });
      expect(res.status, s.output()).toBe(200);
      expect(await res.json()).toEqual({ received: 0, changed: 0 });
      expect((await fetch(`${s.url}/api/ops/alerts`)).status).toBe(401);
      expect((await fetch(`${s.url}/api/users`)).status).toBe(404);
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });
});
