import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupKeyFrom } from '../../src/ops/backup/archive.js';
import { listBackups, rebuildCatalog } from '../../src/ops/backup/catalog.js';
import { createBackupContext } from '../../src/app/backupContext.js';
import type { BackupOpsContext } from '../../src/ops/backup/context.js';
import { backupDatabase } from '../../src/ops/backup/databaseBackup.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { restoreBackup } from '../../src/ops/restore/restore.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** Backups of the embedded SQLite database: SQLite's online copy, same archive, same catalog. */
describe('backup and restore on the embedded SQLite database', () => {
  let tp: TestPlatform;
  let ctx: BackupOpsContext;
  let token: string;
  const userNames = async () => (await tp.request({ method: 'GET', url: '/api/users?pageSize=100', token })).body.items.map((u: { username: string }) => u.username).sort();

  beforeAll(async () => {
    tp = await startTestPlatform('embedded', { env: { MCP_BACKUP_KEY: 'embedded-backup-secret-0123456789-abcdef' } });
    ctx = createBackupContext(tp.platform);
    token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    await tp.request({ method: 'POST', url: '/api/users', token, body: { username: 'before', email: 'before@example.com', password: 'Str0ng-Pass!' } });
  });
  afterAll(() => tp?.close());

  it('takes an encrypted full backup with a manifest, listed in the catalog', async () => {
    const row = await backupDatabase(ctx, { type: 'full' });
    expect(row).toMatchObject({ type: 'full', status: 'complete', locations: 'local', key_id: ctx.key.id });
    const dir = join(tp.config.backupDir, 'full', row.id);
    expect(readdirSync(dir).sort()).toEqual(['data.sqlite.zst.enc', 'manifest.json']);
    const stored = readFileSync(join(dir, 'data.sqlite.zst.enc'));
    expect(stored.subarray(0, 8).toString()).toBe('MCPBAK01');
    expect(stored.includes(Buffer.from('before@example.com'))).toBe(false);
    expect(statSync(join(dir, 'data.sqlite.zst.enc')).mode & 0o077).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ id: row.id, type: 'full', compression: 'zstd', encryption: { keyId: ctx.key.id }, source: { dialect: 'sqlite' } });
    expect(manifest.tables.find((t: { name: string }) => t.name === 'users').rows).toBe(2);
    expect((await listBackups(ctx)).map((r) => r.id)).toContain(row.id);
  });

  it('verifies by restoring into a scratch copy and checking the tables', async () => {
    const report = await verifyBackup(ctx, 'latest');
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['checksum', 'decrypt', 'tables', 'rows:users', 'rows:roles', 'rows:permissions', 'rows']);
    expect((await listBackups(ctx)).at(-1)?.verify_result).toBe('passed');
  });

  it('refuses the live database without --force, and restores it with a safety backup and maintenance mode', async () => {
    const after = await tp.request({ method: 'POST', url: '/api/users', token, body: { username: 'after', email: 'after@example.com', password: 'Str0ng-Pass!' } });
    expect(await userNames()).toEqual(['admin', 'after', 'before']);
    expect((await tp.request({ method: 'GET', url: `/api/users/${after.body.id}`, token })).status).toBe(200); // now cached
    await expect(restoreBackup(ctx, { ref: 'latest' })).rejects.toMatchObject({ code: 'INVALID' });
    const seen: Record<string, unknown> = {};
    await expect(restoreBackup(ctx, { ref: 'latest', force: true, confirm: 'other.db' })).rejects.toMatchObject({ code: 'INVALID' });
    const report = await restoreBackup(ctx, {
      ref: 'latest',
      force: true,
      confirm: 'mcp_platform.db',
      onStep: async (s) => {
        if (s === 'load') seen.maintenance = await ctx.maintenance.current();
      },
    });
    expect(report.live).toBe(true);
    expect(report.safetyBackup).toMatch(/-full$/);
    // a live restore ends every session: a token revoked after the backup must not come back
    expect((await tp.request({ method: 'GET', url: '/api/auth/me', token })).status).toBe(401);
    token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    expect(await userNames()).toEqual(['admin', 'before']);
    // no stale cached view of a user the restore removed
    expect((await tp.request({ method: 'GET', url: `/api/users/${after.body.id}`, token })).status).toBe(404);
    expect(await ctx.maintenance.current()).toBeUndefined();
    // the catalog knows both the restored backup and the safety backup
    const ids = (await listBackups(ctx)).filter((r) => r.status === 'complete').map((r) => r.id);
    expect(ids).toContain(report.backup);
    expect(ids).toContain(report.safetyBackup);
  });

  it('restores into a file of MCP_DATA_DIR/restores with --target-db', async () => {
    const target = join(tp.dataDir, 'restores', 'copy.db');
    const report = await restoreBackup(ctx, { ref: 'latest', targetDb: 'copy' });
    expect(report.live).toBe(false);
    expect(report.target).toBe(target);
    expect(statSync(target).size).toBeGreaterThan(0);
  });

  it('a wrong key fails clearly before anything is restored; a corrupted file fails verification', async () => {
    const wrong = { ...ctx, key: backupKeyFrom('some-other-backup-secret-000000000000') };
    await expect(verifyBackup(wrong, 'latest')).rejects.toThrow(/encrypted with key .* configured MCP_BACKUP_KEY is key/);
    const latest = (await listBackups(ctx)).filter((r) => r.type === 'full').at(-1)!;
    const file = join(tp.config.backupDir, latest.data_key);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const report = await verifyBackup(ctx, latest.id);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => !c.ok)?.detail).toMatch(/corrupted|checksum/);
  });

  it('rebuilds the catalog from storage alone', async () => {
    const before = (await listBackups(ctx)).filter((r) => r.status === 'complete').map((r) => r.id);
    await tp.platform.database.db.deleteFrom('backups').execute();
    const r = await rebuildCatalog(ctx);
    expect(r.added).toBe(before.length);
    expect((await listBackups(ctx)).map((x) => x.id).sort()).toEqual(before.sort());
  });
});
