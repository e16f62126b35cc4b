import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Daemon, freePort, requireBinary, startDaemon, waitReady } from '../../deploy/helpers.js';
import { startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

const TOKEN = 'e2e-alertmanager-token-0123456789';

/**
 * A real Alertmanager (Debian's prometheus-alertmanager, own port and temp dir) delivers an alert
 * posted to its API to the platform's receiver with the bearer token from its http_config, then
 * the resolved notification.
 */
describe('Alertmanager → platform receiver (end to end)', () => {
  let tp: TestPlatform;
  let am: Daemon | undefined;
  let dir: string;
  let base: string;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded', { env: { MCP_ALERT_WEBHOOK_TOKEN: TOKEN } });
    const platformUrl = await tp.app.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-am-e2e-'));
    const config = path.join(dir, 'alertmanager.yml');
    writeFileSync(
      config,
      stringify({
        route: { receiver: 'mcp-platform', group_by: ['alertname'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
        receivers: [
          {
            name: 'mcp-platform',
            webhook_configs: [
              {
                url: `${platformUrl}/api/support/alerts/alertmanager?channels=phone,sms,email`,
                send_resolved: true,
                http_config: { authorization: { type: 'Bearer', credentials: TOKEN } },
              },
            ],
          },
        ],
      }),
    );
    const port = await freePort();
    am = startDaemon(requireBinary('prometheus-alertmanager'), [
      `--config.file=${config}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ]);
    base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/-/ready`, am, 'prometheus-alertmanager');
  }, 30_000);
  afterAll(async () => {
    await am?.stop();
    await tp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const v = await read();
      if (ok(v)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} did not happen; Alertmanager said:\n${am?.output()}`);
  }
  const stored = () => tp.platform.database.db.selectFrom('alerts').selectAll().execute();

  it('a firing alert arrives with its Chinese severity mapped; its resolution closes the episode', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const labels = { alertname: '数据库不可用', severity: '紧急', instance: 'db-1:3306' };
    const post = (body: unknown) => fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const fired = await post([{ labels, annotations: { summary: 'MySQL 无法连接' }, startsAt }]);
    expect(fired.status, await fired.text()).toBe(200);

    const firing = await until('the firing notification', stored, (rows) => rows.length === 1);
    expect(firing).toMatchObject([{ name: '数据库不可用', severity: 'critical', status: 'firing', summary: 'MySQL 无法连接', ends_at: null }]);

    const resolved = await post([{ labels, annotations: { summary: 'MySQL 无法连接' }, startsAt, endsAt: new Date(Date.now() - 1_000).toISOString() }]);
    expect(resolved.status, await resolved.text()).toBe(200);
    const closed = await until('the resolved notification', stored, (rows) => rows[0]?.status === 'resolved');
    expect(closed[0]!.ends_at).not.toBeNull();
    const events = await tp.platform.database.db.selectFrom('alert_events').select(['status']).orderBy('id').execute();
    expect(events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    const audits = await tp.platform.database.db.selectFrom('audit_log').select(['actor', 'action']).where('action', '=', 'alert.received').execute();
    expect(audits).toEqual([
      { actor: 'alertmanager', action: 'alert.received' },
      { actor: 'alertmanager', action: 'alert.received' },
    ]);
  }, 60_000);
});
