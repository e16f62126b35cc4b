import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors/appError.js';
import { toDbTime } from '../../infra/db/time.js';
import { adminConnection, countTables, extractSqlite, loadIntoMysql, sqliteTables } from '../restore/loader.js';
import type { ProgressListener } from '../progress.js';
import { openArchive } from './archiveReader.js';
import { manifestOf, resolveBackup, type BackupRow, type Manifest } from './catalog.js';
import type { DatabaseBackupContext } from './databaseBackup.js';
import { primaryTarget, primaryUrl } from './mysqlTools.js';

/**
 * Verification (SPEC BAK-7, manual §6.2.3 done properly): the stored bytes' SHA-256 against the
 * manifest, decryption and decompression, then a real restore into a scratch database with checks —
 * every table of the manifest exists and the key tables are not empty — and the scratch dropped.
 */
export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  backup: string;
  ok: boolean;
  checks: VerifyCheck[];
  durationMs: number;
  from: 'local' | 's3';
}

/** The platform's key tables: each gets its own row check. */
export const KEY_TABLES = ['users', 'roles', 'permissions'];

/**
 * Restored row counts against the counts the manifest recorded at backup time (exact: counted in
 * the backup's own snapshot). A database with no users is backed up and verified as such; rows lost
 * on the way are not. Older manifests without exact counts: the key tables must not be empty.
 */
export function rowChecks(m: Manifest, restored: { name: string; rows: number }[]): VerifyCheck[] {
  const expected = m.tables ?? [];
  const rowsOf = (t: string) => restored.find((r) => r.name === t)?.rows ?? 0;
  const keys = KEY_TABLES.filter((k) => expected.some((t) => t.name === k));
  if (m.rowCounts !== 'exact') return keys.map((t) => ({ name: `rows:${t}`, ok: rowsOf(t) > 0, detail: `${rowsOf(t)} rows` }));
  const check = (t: { name: string; rows: number }) => rowsOf(t.name) === t.rows;
  const checks = keys.map((k) => {
    const t = expected.find((e) => e.name === k)!;
    return { name: `rows:${k}`, ok: check(t), detail: check(t) ? `${t.rows} rows, as at backup time` : `${rowsOf(k)} rows restored, ${t.rows} at backup time` };
  });
  const others = expected.filter((t) => !KEY_TABLES.includes(t.name));
  const wrong = others.filter((t) => !check(t));
  checks.push({
    name: 'rows',
    ok: wrong.length === 0,
    detail: wrong.length
      ? `differ from backup time: ${wrong.map((t) => `${t.name} ${rowsOf(t.name)}/${t.rows}`).join(', ')}`
      : `${others.length} more tables hold their rows of backup time`,
  });
  return checks;
}

export async function verifyBackup(ctx: DatabaseBackupContext, ref: string, onProgress?: ProgressListener): Promise<VerifyReport> {
  const started = Date.now();
  const row = await resolveBackup(ctx, ref);
  if (row.status !== 'complete') throw new AppError('INVALID', `backup ${row.id} is ${row.status}; only complete backups can be verified`);
  if (row.type !== 'full' && row.type !== 'schema') throw new AppError('INVALID', `backup ${row.id} is a ${row.type} archive; verify checks database backups (full, schema)`);
  const m = manifestOf(row);
  const opened = await openArchive(ctx, row, m);
  const checks: VerifyCheck[] = [];
  const expected = (m.tables ?? []).map((t) => t.name);
  try {
    let restored: { name: string; rows: number }[];
    if (m.source.dialect === 'sqlite') {
      const file = await extractSqlite(opened, onProgress, m.rawBytes);
      try {
        restored = sqliteTables(file.file);
      } finally {
        file.dispose();
      }
    } else {
      const scratch = `mcp_verify_${randomBytes(4).toString('hex')}`;
      const conn = await adminConnection(primaryTarget(ctx));
      try {
        await conn.query(`CREATE DATABASE \`${scratch}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        await loadIntoMysql(opened, primaryUrl(ctx), scratch, onProgress, m.rawBytes);
        const names = await countTables(conn, scratch);
        restored = [];
        for (const n of names) {
          const [r] = (await conn.query(`SELECT COUNT(*) AS c FROM \`${scratch}\`.\`${n}\``)) as unknown as [{ c: number }[]];
          restored.push({ name: n, rows: Number(r[0]?.c ?? 0) });
        }
      } finally {
        await conn.query(`DROP DATABASE IF EXISTS \`${scratch}\``).catch(() => {});
        await conn.end();
      }
    }
    checks.push({ name: 'checksum', ok: true, detail: `SHA-256 ${m.sha256.slice(0, 16)}… matches the manifest` });
    checks.push({ name: 'decrypt', ok: true, detail: `key ${m.encryption.keyId}, every chunk authenticated` });
    const have = new Set(restored.map((t) => t.name));
    const missing = expected.filter((t) => !have.has(t));
    checks.push({
      name: 'tables',
      ok: missing.length === 0 && restored.length > 0,
      detail: missing.length ? `missing: ${missing.join(', ')}` : `${restored.length} tables restored`,
    });
    if (m.type === 'full') checks.push(...rowChecks(m, restored));
  } catch (e) {
    checks.push({ name: 'restore', ok: false, detail: (e as Error).message });
  } finally {
    opened.stored.destroy();
  }
  const ok = checks.every((c) => c.ok);
  await record(ctx, row, ok);
  return { backup: row.id, ok, checks, durationMs: Date.now() - started, from: opened.from };
}

async function record(ctx: DatabaseBackupContext, row: BackupRow, ok: boolean): Promise<void> {
  await ctx.database.db
    .updateTable('backups')
    .set({ verified_at: toDbTime(ctx.clock.now()), verify_result: ok ? 'passed' : 'failed' })
    .where('id', '=', row.id)
    .execute();
}
