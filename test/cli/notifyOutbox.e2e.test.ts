import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatform, prepareSchema } from '../../src/app/platform.js';
import { loadConfig } from '../../src/config/config.js';
import { AppError } from '../../src/errors/appError.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { createAlertService } from '../../src/services/support/alertService.js';
import { deliverNotification } from '../../src/services/support/delivery.js';
import { alertmanagerPayload } from '../support/alertmanagerPayload.js';
import { runCli } from '../support/cli.js';

/** `alerts ack`, `notify outbox|show|retry` with the built CLI (`npm run build` first), embedded backend. */
describe('CLI: alert acknowledgement and the notification outbox', () => {
  let dir: string;
  let env: Record<string, string>;
  let deadId: number;
  const cli = (args: string[]) => runCli(args, env);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-outbox-'));
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_ADMIN_PASSWORD: 'Cli-Outbox-Pass!2' };
    const config = loadConfig(env);
    const p = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, false)) });
    try {
      await prepareSchema(p);
      const alerts = createAlertService({
        database: p.database,
        audit: p.audit,
        clock: p.clock,
        notify: { plan: async () => ({ silencedBy: null, deliveries: [{ channel: 'ops-robot', type: 'dingtalk', to: [] }] }) },
      });
      await alerts.receiveAlertmanager(alertmanagerPayload('firing', { fingerprint: 'cliack01' }));
      await alerts.receiveAlertmanager(alertmanagerPayload('firing', { fingerprint: 'clidead01', alertname: '磁盘空间不足', severity: '重要' }));
      const row = await p.database.db.selectFrom('notify_outbox_alerts').select('outbox_id').where('fingerprint', '=', 'clidead01').executeTakeFirstOrThrow();
      deadId = row.outbox_id;
      await deliverNotification(
        {
          database: p.database,
          clock: p.clock,
          log: { warn: () => undefined, error: () => undefined },
          silenced: async () => false,
          channel: async () => ({
            type: 'dingtalk',
            limits: {},
            send: async () => {
              throw new AppError('INVALID', 'DingTalk: keywords not in content', { providerCode: '310000' });
            },
          }),
        },
        deadId,
      );
    } finally {
      await p.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the dead letters with the provider code, shows the attempts, and retries one (audited)', async () => {
    const dead = await cli(['notify', 'outbox', '--status', 'dead']);
    expect(dead.code, dead.stderr).toBe(0);
    expect(dead.stdout).toContain(`#${deadId}`);
    expect(dead.stdout).toContain('投递失败');
    expect(dead.stdout).toContain('磁盘空间不足');
    const show = await cli(['--lang', 'en', 'notify', 'show', String(deadId)]);
    expect(show.stdout).toContain('provider code 310000');
    const json = JSON.parse((await cli(['--json', 'notify', 'show', String(deadId)])).stdout);
    expect(json.attemptLog).toMatchObject([{ outcome: 'failed', providerCode: '310000' }]);

    const retry = await cli(['notify', 'retry', String(deadId)]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain(`通知 #${deadId} 已重新排队发送`);
    const again = await cli(['notify', 'retry', String(deadId)]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    const config = loadConfig(env);
    const p = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, false)) });
    try {
      const audit = await p.database.db.selectFrom('audit_log').select(['target', 'result']).where('action', '=', 'notify.retry').execute();
      expect(audit).toEqual([{ target: `notification:${deadId}`, result: 'success' }]);
    } finally {
      await p.close();
    }
  });

  it('acknowledges an alert; a second time and a bad fingerprint are one-line errors', async () => {
    const ack = await cli(['alerts', 'ack', 'cliack01']);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toContain('告警 cliack01 已由');
    const twice = await cli(['alerts', 'ack', 'cliack01']);
    expect(twice.code).toBe(1);
    expect(twice.stderr.trim().split('\n')).toHaveLength(1);
    const bad = await cli(['alerts', 'ack', 'no/such']);
    expect(bad.code).toBe(2);
    const outbox = await cli(['notify', 'outbox', '--status', 'bogus']);
    expect(outbox.code).toBe(2);
  });
});
