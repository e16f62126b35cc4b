import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** Backups over /api/ops: jobs with progress, permission-guarded, audited (embedded default). */
import { publishStreamStatus } from '../../src/ops/backup/streamStatus.js';

describe('/api/ops backups', () => {
  let tp: TestPlatform;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded');
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'watcher', email: 'w@example.com', password: 'Str0ng-Pass!', roles: ['viewer'] } });
    viewer = (await tp.login('watcher', 'Str0ng-Pass!')).accessToken;
  });
  afterAll(() => tp?.close());

  async function finished(id: string) {
    for (let i = 0; i < 100; i++) {
      const job = (await tp.request({ method: 'GET', url: `/api/ops/jobs/${id}`, token: admin })).body;
      if (job.status !== 'running') return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job did not finish');
  }

  it('starts a full backup as a job, reports its result, and lists it', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/backups', token: admin, body: { type: 'full' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'backup.full', status: 'running', actor: 'admin' });
    const job = await finished(res.body.id);
    expect(job.status).toBe('succeeded');
    expect(job.result).toMatchObject({ type: 'full', status: 'complete' });
    expect(job.progress).toMatchObject({ done: true });
    const list = await tp.request({ method: 'GET', url: '/api/ops/backups', token: viewer });
    expect(list.status).toBe(200);
    expect(list.body.items.map((b: { id: string }) => b.id)).toContain(job.result.id);
    expect(list.body.items[0].manifest).toBeUndefined();
  });

  it('verifies over the API; a viewer may look but not act; every action is audited', async () => {
    const v = await tp.request({ method: 'POST', url: '/api/ops/backups/latest/verify', token: admin });
    const job = await finished(v.body.id);
    expect(job.result).toMatchObject({ ok: true });
    expect((await tp.request({ method: 'POST', url: '/api/ops/backups', token: viewer, body: { type: 'full' } })).status).toBe(403);
    const audit = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=ops.', token: admin });
    const actions = audit.body.items.map((i: { action: string; details: { phase?: string } }) => `${i.action}:${i.details?.phase ?? '-'}`);
    expect(actions).toEqual(expect.arrayContaining(['ops.backup.full:started', 'ops.backup.full:finished', 'ops.backup.verify:finished']));
  });

  it('incremental backups say clearly that they need MySQL/MariaDB; bad input is a 400', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/backups', token: admin, body: { type: 'incremental' } });
    const job = await finished(res.body.id);
    expect(job.status).toBe('failed');
    expect(job.error.message).toMatch(/MySQL\/MariaDB/);
    expect((await tp.request({ method: 'POST', url: '/api/ops/backups', token: admin, body: { type: 'everything' } })).status).toBe(400);
    expect((await tp.request({ method: 'POST', url: '/api/ops/restores', token: admin, body: { backup: 'latest', to: 'yesterday' } })).status).toBe(400);
    expect((await tp.request({ method: 'POST', url: '/api/ops/backups/..%2F..%2Fetc/verify', token: admin })).status).toBe(400);
  });

  it('the binlog stream state: never before a report, running while reports are fresh, stale when they stop, stopped when it says so', async () => {
    const state = async (token = viewer) => (await tp.request({ method: 'GET', url: '/api/ops/backups/stream', token })).body;
    expect(await state()).toMatchObject({ state: 'never', status: null });
    const status = { running: true, caughtUp: true, restarts: 0, archived: [], gaps: [], switches: [], serverIdForStream: 4242, rpoSeconds: 2, source: '127.0.0.1:3306' };
    await publishStreamStatus(tp.platform.database.db, 'host-a:123', status, new Date());
    expect(await state()).toMatchObject({ state: 'running', holder: 'host-a:123', status: { rpoSeconds: 2, source: '127.0.0.1:3306' } });
    await publishStreamStatus(tp.platform.database.db, 'host-a:123', status, new Date(Date.now() - 5 * 60_000));
    expect((await state()).state).toBe('stale');
    await publishStreamStatus(tp.platform.database.db, 'host-a:123', { ...status, running: false }, new Date());
    expect((await state()).state).toBe('stopped');
    expect((await tp.request({ method: 'GET', url: '/api/ops/backups/stream' })).status).toBe(401);
  });

  it('restoring the live database without force and confirmation is refused at once and changes nothing', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/restores', token: admin, body: { backup: 'latest' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/--force --confirm mcp_platform\.db/);
    const forced = await tp.request({ method: 'POST', url: '/api/ops/restores', token: admin, body: { backup: 'latest', force: true, confirm: 'mcp_platform' } });
    expect(forced.status).toBe(400);
    expect((await tp.request({ method: 'GET', url: '/ready' })).status).toBe(200);
  });
});

describe('backup metrics', () => {
  it('exports the last success time, duration and size per type', async () => {
    const tp = await startTestPlatform('embedded');
    try {
      const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
      const res = await tp.request({ method: 'POST', url: '/api/ops/backups', token: admin, body: { type: 'full' } });
      for (let i = 0; i < 100 && (await tp.request({ method: 'GET', url: `/api/ops/jobs/${res.body.id}`, token: admin })).body.status === 'running'; i++)
        await new Promise((r) => setTimeout(r, 50));
      const text = (await tp.app.inject({ method: 'GET', url: '/metrics' })).body;
      const last = Number(/^mcp_backup_last_success_timestamp_seconds\{type="full"\} (\S+)$/m.exec(text)?.[1]);
      expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(60);
      expect(Number(/^mcp_backup_last_size_bytes\{type="full"\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(1000);
      expect(/^mcp_backup_failures_since_success\{type="full"\} 0$/m.test(text)).toBe(true);
      expect(text).toMatch(/^mcp_backup_last_verified_timestamp_seconds 0$/m); // 0: never verified yet
    } finally {
      await tp.close();
    }
  });
});
