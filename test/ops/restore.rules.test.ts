import { existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups, resolveBackup } from '../../src/ops/backup/catalog.js';
import { createBackupContext } from '../../src/app/backupContext.js';
import type { BackupOpsContext } from '../../src/ops/backup/context.js';
import { backupDatabase } from '../../src/ops/backup/databaseBackup.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { restoreBackup } from '../../src/ops/restore/restore.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { createApp } from '../../src/server/app.js';
import { createPlatform } from '../../src/app/platform.js';
import { SERVICES, uniqueName } from '../support/services.js';
import { ADMIN_PASSWORD, BACKENDS, dropDatabase, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Issue 9 (A3, B1, C2, C3, C4): where a restore may write, an audit trail a restore cannot
 * rewind, one live restore at a time, durable jobs, and safety backups that are never `latest`.
 */
async function mysqlRoot() {
  const u = new URL(SERVICES.mysql);
  return createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username) || 'root', password: decodeURIComponent(u.password) });
}

describe.each(BACKENDS)('restores on the %s backend', (backend) => {
  let tp: TestPlatform;
  let ctx: BackupOpsContext;
  let admin: string;
  let ops: string;
  const liveConfirm = () => (backend === 'real' ? tp.dbName! : 'mcp_platform.db');
  const extraDbs: string[] = [];

  /** Polls the job as admin (logging in again when a live restore ended the session). */
  async function finished(id: string) {
    for (let i = 0; i < 600; i++) {
      const res = await tp.request({ method: 'GET', url: `/api/ops/jobs/${id}`, token: admin });
      if (res.status === 401) admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
      else if (res.body.status !== 'running') return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job did not finish');
  }

  beforeAll(async () => {
    tp = await startTestPlatform(backend, { env: { MCP_BACKUP_KEY: 'restore-rules-backup-secret-0123456789' } });
    ctx = createBackupContext(tp.platform);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'mallory', email: 'm@example.com', password: 'Str0ng-Pass!', roles: ['ops'] } });
    ops = (await tp.login('mallory', 'Str0ng-Pass!')).accessToken;
  }, 60_000);
  afterAll(async () => {
    await tp?.close();
    for (const d of extraDbs) await dropDatabase(d);
  });

  it('an ops user cannot restore into a database the platform did not create for restores', async () => {
    await backupDatabase(ctx, { type: 'full' });
    if (backend === 'real') {
      // a database of someone else on the same server, even one named like a restore database
      const victim = uniqueName('victim');
      const lookalike = `mcp_restore_${uniqueName('x')}`;
      extraDbs.push(victim, lookalike);
      const conn = await mysqlRoot();
      try {
        for (const d of [victim, lookalike]) {
          await conn.query(`CREATE DATABASE \`${d}\``);
          await conn.query(`CREATE TABLE \`${d}\`.precious (id INT PRIMARY KEY)`);
          await conn.query(`INSERT INTO \`${d}\`.precious VALUES (42)`);
        }
        for (const targetDb of [victim, lookalike, 'mysql', 'sys']) {
          const res = await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb, force: true } });
          expect(res.status).toBe(202);
          const job = await finished(res.body.id);
          expect(job.status, targetDb).toBe('failed');
          expect(['INVALID', 'CONFLICT', 'FORBIDDEN']).toContain(job.error.code);
        }
        for (const d of [victim, lookalike]) expect((await conn.query(`SELECT id FROM \`${d}\`.precious`))[0]).toEqual([{ id: 42 }]);
        expect((await conn.query('SELECT COUNT(*) AS n FROM mysql.user'))[0]).toEqual([{ n: expect.any(Number) }]);
      } finally {
        await conn.end();
      }
      // a new restore database is created, recorded, and not overwritten without force
      const mine = `mcp_restore_${uniqueName('ok')}`;
      extraDbs.push(mine);
      const ok = await finished((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb: mine } })).body.id);
      expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
      expect(ok.result.restoredTo).toMatch(/^\d{4}-/);
      const again = await finished((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb: mine } })).body.id);
      expect(again.error.code).toBe('CONFLICT');
      const forced = await finished((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb: mine, force: true } })).body.id);
      expect(forced.status).toBe('succeeded');
    } else {
      const live = join(tp.dataDir, 'mcp_platform.db');
      // a link in the restores directory pointing at the live file: refused even with force
      mkdirSync(join(tp.dataDir, 'restores'), { recursive: true, mode: 0o700 });
      symlinkSync(live, join(tp.dataDir, 'restores', 'evil.db'));
      const users = (await tp.request({ method: 'GET', url: '/api/users', token: admin })).body.total;
      const evil = await finished((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb: 'evil', force: true } })).body.id);
      expect(evil.status).toBe('failed');
      expect(evil.error.code).toBe('FORBIDDEN');
      // a path is not a name: ../ never reaches the live file
      expect((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb: '../mcp_platform' } })).status).toBe(400);
      await expect(restoreBackup(ctx, { ref: 'latest', targetDb: '../mcp_platform', force: true })).rejects.toMatchObject({ code: 'INVALID' });
      await expect(restoreBackup(ctx, { ref: 'latest', targetDb: live, force: true })).rejects.toMatchObject({ code: 'INVALID' });
      expect((await tp.request({ method: 'GET', url: '/api/users', token: admin })).body.total).toBe(users);
      // a new file, 0600; an existing one only with force
      const ok = await finished((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb: 'copy' } })).body.id);
      expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
      expect(ok.result.target).toBe(join(tp.dataDir, 'restores', 'copy.db'));
      expect(statSync(ok.result.target).mode & 0o777).toBe(0o600);
      const again = await finished((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', targetDb: 'copy' } })).body.id);
      expect(again.error.code).toBe('CONFLICT');
    }
    // the live database stays out of reach of ops:restore
    expect((await tp.request({ method: 'POST', url: '/api/ops/restores', token: ops, body: { backup: 'latest', force: true, confirm: liveConfirm() } })).status).toBe(403);
  }, 120_000);

  it('a live restore keeps the audit trail: the demotion and the restore stay recorded and the chain verifies and continues', async () => {
    const backup = await backupDatabase(ctx, { type: 'full' });
    // after the backup: mallory is demoted (the row an attacker would like to erase)
    const mallory = (await tp.request({ method: 'GET', url: '/api/users?search=mallory', token: admin })).body.items[0];
    expect((await tp.request({ method: 'PATCH', url: `/api/users/${mallory.id}`, token: admin, body: { roles: ['viewer'] } })).status).toBe(200);
    const before = await tp.platform.audit.list({ page: 1, pageSize: 1000 });
    const demotion = before.items.find((i) => i.action === 'user.update' && i.target === 'user:mallory');
    expect(demotion).toBeDefined();

    const actor = { actorId: 1, actor: 'admin', ip: '127.0.0.1' };
    const report = await restoreBackup(ctx, { ref: backup.id, force: true, confirm: liveConfirm(), actor, job: 'job-b1' });
    expect(report.backup).toBe(backup.id);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken; // a live restore ends every session

    const after = await tp.platform.audit.list({ page: 1, pageSize: 1000 });
    const seqs = new Set(after.items.map((i) => i.seq));
    expect(before.items.every((i) => seqs.has(i.seq))).toBe(true); // nothing rewound
    expect(after.items.find((i) => i.seq === demotion!.seq)).toMatchObject({ action: 'user.update' });
    const applied = after.items.find((i) => i.action === 'ops.restore.applied');
    expect(applied).toMatchObject({
      actor: 'admin',
      result: 'success',
      details: { backup: backup.id, live: true, restoredTo: report.restoredTo, safetyBackup: report.safetyBackup, job: 'job-b1' },
    });
    // the data itself is that of the backup: mallory holds `ops` again (the restore is what an admin asked for)
    const restored = (await tp.request({ method: 'GET', url: `/api/users/${mallory.id}`, token: admin })).body;
    expect(restored.roles).toEqual(['ops']);
    const v = await tp.request({ method: 'GET', url: '/api/system/audit-logs/verify', token: admin });
    expect(v.body).toMatchObject({ ok: true });
    // and the chain goes on
    await tp.request({ method: 'PUT', url: '/api/system/settings/after.restore', token: admin, body: { value: 'x' } });
    const v2 = (await tp.request({ method: 'GET', url: '/api/system/audit-logs/verify', token: admin })).body;
    expect(v2).toMatchObject({ ok: true });
    expect(v2.lastSeq).toBeGreaterThan(v.body.lastSeq);
  }, 120_000);

  it('safety backups are marked, listed, and never `latest`', async () => {
    const rows = await listBackups(ctx);
    const safety = rows.filter((r) => r.safety === 1);
    expect(safety.length).toBeGreaterThan(0);
    expect(JSON.parse(safety[0]!.manifest!).safety).toBe(true);
    const latest = await resolveBackup(ctx, 'latest');
    expect(latest.safety).toBe(0);
    expect(latest.id).not.toBe(safety.at(-1)!.id);
    // a second `restore latest` restores the same backup again, not the safety backup of the first
    const again = await restoreBackup(ctx, { ref: 'latest', force: true, confirm: liveConfirm() });
    expect(again.backup).toBe(latest.id);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const list = (await tp.request({ method: 'GET', url: '/api/ops/backups', token: admin })).body.items;
    expect(list.find((b: { id: string }) => b.id === again.safetyBackup)).toMatchObject({ safety: 1 });
  }, 120_000);

  it('two live restores never run at once: the second gets 409; a backup meanwhile too', async () => {
    const body = { backup: 'latest', force: true, confirm: liveConfirm() };
    // the core function holds the rule
    const both = await Promise.allSettled([restoreBackup(ctx, { ref: 'latest', ...body }), restoreBackup(ctx, { ref: 'latest', ...body })]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    // and the API answers 409 at once
    const [a, b] = await Promise.all([
      tp.request({ method: 'POST', url: '/api/ops/restores', token: admin, body }),
      tp.request({ method: 'POST', url: '/api/ops/restores', token: admin, body }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const conflict = a.status === 409 ? a : b;
    expect(conflict.body.error.code).toBe('CONFLICT');
    const running = a.status === 202 ? a : b;
    const backupMeanwhile = await backupDatabase(ctx, { type: 'full' }).then(
      () => 'ran',
      (e: { code?: string }) => e.code,
    );
    const job = await finished(running.body.id);
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(backupMeanwhile).toBe('CONFLICT');
    expect((await tp.request({ method: 'GET', url: '/ready' })).status).toBe(200);
  }, 120_000);

  it('jobs are durable: readable from a second instance over the same database, and after a restart', async () => {
    const res = await tp.request({ method: 'POST', url: '/api/ops/backups', token: admin, body: { type: 'full' } });
    const job = await finished(res.body.id);
    expect(job.status).toBe('succeeded');
    const second = createPlatform(tp.config, { logging: createLogging(loggingConfigFrom(tp.config, false)) });
    const app = await createApp(second);
    try {
      const seen = await app.inject({ method: 'GET', url: `/api/ops/jobs/${job.id}`, headers: { authorization: `Bearer ${admin}` } });
      expect(seen.statusCode).toBe(200);
      expect(seen.json()).toMatchObject({ id: job.id, kind: 'backup.full', status: 'succeeded', actor: 'admin', result: { id: job.result.id } });
      expect(seen.json().progress).toMatchObject({ done: true });
      const list = await app.inject({ method: 'GET', url: '/api/ops/jobs', headers: { authorization: `Bearer ${admin}` } });
      expect(list.json().items.map((j: { id: string }) => j.id)).toContain(job.id);
      // a job whose process died is reported failed "interrupted"
      await second.database.db
        .insertInto('jobs')
        .values({
          id: '00000000-0000-4000-8000-000000000001',
          kind: 'restore',
          actor: 'admin',
          target: 'backup:x',
          status: 'running',
          started_at: '2026-01-01 00:00:00.000',
          heartbeat_at: '2026-01-01 00:00:00.000',
          holder: 'elsewhere:1',
        })
        .execute();
      const dead = await app.inject({ method: 'GET', url: '/api/ops/jobs/00000000-0000-4000-8000-000000000001', headers: { authorization: `Bearer ${admin}` } });
      expect(dead.json()).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED', message: expect.stringMatching(/interrupted/) } });
    } finally {
      await app.close();
      await second.close();
    }
  }, 60_000);

  it('verification compares restored rows with the counts recorded at backup time (a database with no users verifies)', async () => {
    const row = await backupDatabase(ctx, { type: 'full' });
    const m = JSON.parse(row.manifest!);
    expect(m.rowCounts).toBe('exact');
    const users = await tp.platform.database.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(m.tables.find((t: { name: string }) => t.name === 'users').rows).toBe(Number(users.n));
    // a fresh database whose users were all removed: backed up and verified as such
    await tp.platform.database.db.deleteFrom('users').execute();
    const empty = await backupDatabase(ctx, { type: 'full' });
    const report = await verifyBackup(ctx, empty.id);
    expect(report.ok, JSON.stringify(report.checks)).toBe(true);
    expect(report.checks.find((c) => c.name === 'rows:users')).toMatchObject({ ok: true, detail: expect.stringMatching(/^0 rows/) });
    expect(existsSync(tp.dataDir)).toBe(true);
  }, 60_000);
});
