import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { prepareSchema } from '../../src/app/platform.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * SEC-3: the audit chain's head is keyed and anchored outside the database. Deleting the newest
 * rows and rewriting the head — with a copied hash, a plain SHA, a MAC under a guessed key, or the
 * head as it was earlier (a replayed row) — fails `audit verify` with a clear problem.
 */
describe.each(BACKENDS)('audit chain anchors on %s backend', (backend) => {
  let tp: TestPlatform;
  let admin: string;

  beforeAll(async () => {
    tp = await startTestPlatform(backend);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
  });
  afterAll(async () => tp?.close());

  const db = () => tp.platform.database.db;
  const head = () => db().selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  const verifyApi = async () => {
    const res = await tp.request({ method: 'GET', url: '/api/system/audit-logs/verify', token: admin });
    expect(res.status).toBe(200);
    return res.body as { ok: boolean; checked: number; lastSeq: number; checkpoints: number; problems: { seq: number; problem: string; message: string }[] };
  };
  const activity = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const res = await tp.request({ method: 'PUT', url: `/api/system/settings/anchor.test${i}`, token: admin, body: { value: i } });
      expect(res.status).toBe(200);
    }
  };
  /** Deletes rows after `keep` and makes the head name row `keep` with `headMac` (default: left as it is). */
  async function truncate(keep: number, headMac?: (seq: number, hash: string) => string | null) {
    const last = await db().selectFrom('audit_log').select(['seq', 'hash']).where('seq', '=', keep).executeTakeFirstOrThrow();
    await db().deleteFrom('audit_log').where('seq', '>', keep).execute();
    await db()
      .updateTable('audit_chain')
      .set({ last_seq: keep, last_hash: last.hash, ...(headMac ? { head_mac: headMac(keep, last.hash) } : {}) })
      .where('id', '=', 1)
      .execute();
  }
  async function restoreHead(saved: Awaited<ReturnType<typeof head>>) {
    await db().updateTable('audit_chain').set({ last_seq: saved.last_seq, last_hash: saved.last_hash, head_mac: saved.head_mac }).where('id', '=', 1).execute();
  }

  it('an intact chain verifies against its checkpoints in audit.log (CLI face: the same verify)', async () => {
    await activity(3);
    await tp.platform.auditCheckpoints.flush();
    const v = await verifyApi();
    expect(v).toMatchObject({ ok: true, problems: [] });
    expect(v.checkpoints).toBeGreaterThan(0);
    const text = readFileSync(join(tp.config.logDir, 'audit.log'), 'utf8');
    expect(text).toMatch(new RegExp(`audit:checkpoint:${v.lastSeq} - checkpoint seq=${v.lastSeq} hash=[0-9a-f]{64} mac=[0-9a-f]{64}`));
    expect((await head()).head_mac).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tail deleted, head rewritten with the copied hash: head-forged and truncated', async () => {
    await activity(4);
    await tp.platform.auditCheckpoints.flush();
    const { lastSeq } = await verifyApi();
    await truncate(lastSeq - 2);
    const v = await verifyApi();
    expect(v.ok).toBe(false);
    expect(v.lastSeq).toBe(lastSeq - 2);
    expect(v.problems.map((p) => p.problem).sort()).toEqual(['head-forged', 'truncated']);
    expect(v.problems.find((p) => p.problem === 'truncated')!.message).toMatch(
      new RegExp(`checkpoint audit\\.log:\\d+ signed row ${lastSeq}, the table ends at ${lastSeq - 2}: rows ${lastSeq - 1}\\.\\.${lastSeq} were deleted`),
    );
    expect(v.problems.find((p) => p.problem === 'head-forged')!.message).toContain('rewritten without the audit key');
  });

  it('a head keyed with a plain SHA or a guessed key does not verify either', async () => {
    for (const forge of [
      (seq: number, hash: string) => createHash('sha256').update(`${seq}${hash}`).digest('hex'),
      (seq: number, hash: string) =>
        createHmac('sha256', 'not-the-audit-key')
          .update(JSON.stringify(['audit-head', seq, hash]))
          .digest('hex'),
    ]) {
      await activity(2);
      await tp.platform.auditCheckpoints.flush();
      const { lastSeq } = await verifyApi();
      await truncate(lastSeq - 1, forge);
      const v = await verifyApi();
      expect(v.ok).toBe(false);
      expect(v.problems.map((p) => p.problem)).toContain('head-forged');
      expect(v.problems.map((p) => p.problem)).toContain('truncated');
      // an ordinary audited action afterwards re-keys the head; the checkpoint still reports the deleted rows
    }
  });

  it('a genuine earlier head put back after deleting the tail (a replayed row) is caught by the checkpoints', async () => {
    // the chain is already broken by the previous tests: start a fresh platform for a clean chain
    const fresh = await startTestPlatform(backend);
    try {
      const token = (await fresh.login('admin', ADMIN_PASSWORD)).accessToken;
      const put = (i: number) => fresh.request({ method: 'PUT', url: `/api/system/settings/replay.${i}`, token, body: { value: i } });
      await put(1);
      await fresh.platform.auditCheckpoints.flush();
      const earlier = await fresh.platform.database.db.selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      await put(2);
      await put(3);
      await fresh.platform.auditCheckpoints.flush();
      expect((await fresh.platform.audit.verify()).ok).toBe(true);
      await fresh.platform.database.db.deleteFrom('audit_log').where('seq', '>', Number(earlier.last_seq)).execute();
      await fresh.platform.database.db
        .updateTable('audit_chain')
        .set({ last_seq: earlier.last_seq, last_hash: earlier.last_hash, head_mac: earlier.head_mac })
        .where('id', '=', 1)
        .execute();
      const v = await fresh.platform.audit.verify();
      expect(v.ok).toBe(false);
      expect(v.problems.map((p) => p.problem)).toEqual(['truncated']);
    } finally {
      await fresh.close();
    }
  });

  it('a checkpoint line without a valid MAC is reported, not trusted', async () => {
    const saved = await head();
    const { appendFileSync } = await import('node:fs');
    appendFileSync(
      join(tp.config.logDir, 'audit.log'),
      `2026-01-01 00:00:00 | INFO     | audit:checkpoint:999999 - checkpoint seq=999999 hash=${'a'.repeat(64)} mac=${'b'.repeat(64)}\n`,
    );
    const v = await tp.platform.audit.verify();
    expect(v.problems.find((p) => p.problem === 'checkpoint-forged')?.message).toMatch(/checkpoint audit\.log:\d+ for row 999999 has no valid MAC/);
    expect(v.problems.some((p) => p.problem === 'truncated' && p.seq === 999999)).toBe(false);
    await restoreHead(saved);
  });
});

describe('upgrading to a keyed head', () => {
  it('an existing chain without head_mac is keyed once by the first start after migration 006, and verifies', async () => {
    const tp = await startTestPlatform('embedded');
    try {
      await tp.login('admin', ADMIN_PASSWORD);
      const { db } = tp.platform.database;
      // the schema as it was before 006, with rows in the chain
      await sql`alter table audit_chain drop column head_mac`.execute(db);
      await db
        .deleteFrom('schema_migrations' as never)
        .where('name' as never, '=', '006_audit_anchor' as never)
        .execute();
      const result = await prepareSchema(tp.platform);
      expect(result.applied).toEqual(['006_audit_anchor']);
      const v = await tp.platform.audit.verify();
      expect(v).toMatchObject({ ok: true, problems: [] });
      expect(v.lastSeq).toBeGreaterThan(0);
    } finally {
      await tp.close();
    }
  });
});
