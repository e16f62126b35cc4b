import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupContext } from '../../src/app/backupContext.js';
import { archiveFiles } from '../../src/ops/backup/fileArchive.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** One timestamp format in the API (issue 9 D6): ISO 8601 with its zone; query parameters take ISO or the old form. */
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The same instant written with a +08:00 offset. */
const inShanghai = (iso: string) => {
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return `${d.toISOString().slice(0, 23)}+08:00`;
};

describe.each(BACKENDS)('API timestamps on %s backend', (backend) => {
  let tp: TestPlatform;
  let admin: string;

  beforeAll(async () => {
    tp = await startTestPlatform(backend);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => tp?.close());

  it('users: createdAt, updatedAt, lastLoginAt', async () => {
    const me = await tp.request({ method: 'GET', url: '/api/auth/me', token: admin });
    const user = await tp.request({ method: 'GET', url: `/api/users/${me.body.id}`, token: admin });
    expect(user.status).toBe(200);
    for (const f of ['createdAt', 'updatedAt', 'lastLoginAt']) expect([f, user.body[f]]).toEqual([f, expect.stringMatching(ISO)]);
    const list = await tp.request({ method: 'GET', url: '/api/users', token: admin });
    expect(list.body.items[0].createdAt).toMatch(ISO);
  });

  it('jobs: their times and the catalog rows in their results; finished jobs older than 90 days are dropped', async () => {
    const old = '2020-01-01 00:00:00.000';
    await tp.platform.database.db
      .insertInto('jobs')
      .values({
        id: '00000000-0000-4000-8000-000000000001',
        kind: 'backup.full',
        actor: 'admin',
        target: 'backup:full',
        status: 'succeeded',
        started_at: old,
        finished_at: old,
        heartbeat_at: old,
        holder: 'gone:1',
      })
      .execute();
    const started = await tp.request({ method: 'POST', url: '/api/ops/backups', token: admin, body: { type: 'schema' } });
    expect(started.status).toBe(202);
    expect(started.body.startedAt).toMatch(ISO);
    let job = started.body;
    for (let i = 0; i < 200 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await tp.request({ method: 'GET', url: `/api/ops/jobs/${job.id}`, token: admin })).body;
    }
    expect(job.status).toBe('succeeded');
    expect(job.finishedAt).toMatch(ISO);
    expect(job.result.started_at).toMatch(ISO);
    expect(job.result.finished_at).toMatch(ISO);
    expect((await tp.request({ method: 'GET', url: '/api/ops/jobs/00000000-0000-4000-8000-000000000001', token: admin })).status).toBe(404);
  });

  it('settings: updatedAt', async () => {
    const set = await tp.request({ method: 'PUT', url: '/api/system/settings/site.name', token: admin, body: { value: 'x' } });
    expect(set.status).toBe(200);
    expect(set.body.updatedAt).toMatch(ISO);
    const list = await tp.request({ method: 'GET', url: '/api/system/settings', token: admin });
    expect(list.body.items[0].updatedAt).toMatch(ISO);
  });

  it('audit records: ts; from/to accept ISO with an offset and the old "YYYY-MM-DD HH:mm:ss" form alike', async () => {
    const all = await tp.request({ method: 'GET', url: '/api/system/audit-logs?pageSize=200', token: admin });
    expect(all.status).toBe(200);
    const items = all.body.items as { seq: number; ts: string }[];
    expect(items.length).toBeGreaterThan(1);
    for (const r of items) expect(r.ts).toMatch(ISO);
    const newest = items.reduce((a, b) => (a.ts >= b.ts ? a : b));
    const seqsFrom = async (query: string) => {
      const res = await tp.request({ method: 'GET', url: `/api/system/audit-logs?pageSize=200&${query}`, token: admin });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body.items as { seq: number }[]).map((r) => r.seq).sort((a, b) => a - b);
    };
    const expected = items
      .filter((r) => r.ts >= newest.ts)
      .map((r) => r.seq)
      .sort((a, b) => a - b);
    expect(await seqsFrom(`from=${encodeURIComponent(newest.ts)}`)).toEqual(expected);
    expect(await seqsFrom(`from=${encodeURIComponent(inShanghai(newest.ts))}`)).toEqual(expected);
    expect(await seqsFrom(`from=${encodeURIComponent(newest.ts.replace('T', ' ').replace('Z', ''))}`)).toEqual(expected);
    const before = new Date(Date.parse(newest.ts) - 1).toISOString();
    expect(await seqsFrom(`to=${encodeURIComponent(inShanghai(before))}`)).not.toContain(newest.seq);
    expect(await seqsFrom(`from=2999-01-01`)).toEqual([]);
    const bad = await tp.request({ method: 'GET', url: '/api/system/audit-logs?from=yesterday', token: admin });
    expect(bad.status).toBe(400);
  });

  it('backups: started_at and finished_at', async () => {
    await archiveFiles(createBackupContext(tp.platform), 'config', []);
    const res = await tp.request({ method: 'GET', url: '/api/ops/backups', token: admin });
    expect(res.status).toBe(200);
    const [row] = res.body.items as Record<string, unknown>[];
    expect(row!.started_at).toMatch(ISO);
    expect(row!.finished_at).toMatch(ISO);
  });
});
