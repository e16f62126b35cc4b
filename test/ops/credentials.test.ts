import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupContext } from '../../src/app/backupContext.js';
import { backupDatabase } from '../../src/ops/backup/databaseBackup.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { startMariadb, type MariadbServer } from '../support/mariadbServer.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** The dump and client tools get a password-protected account's credentials without argv or files. */
describe('credentials of the backup tools', () => {
  const password = 'Pa$$ "quoted" \\ back\'slash #1';
  let db: MariadbServer;
  let tp: TestPlatform;

  beforeAll(async () => {
    db = await startMariadb();
    await db.query('CREATE USER ?@? IDENTIFIED BY ?', ['backup_op', '127.0.0.1', password]);
    await db.query('GRANT ALL PRIVILEGES ON *.* TO ?@?', ['backup_op', '127.0.0.1']);
    tp = await startTestPlatform('embedded', { env: { MCP_DB_URL: `mysql://backup_op:${encodeURIComponent(password)}@127.0.0.1:${db.port}/mcp_platform` } });
  }, 60_000);
  afterAll(async () => {
    await tp?.close();
    await db?.destroy();
  });

  it('backs up and verifies with a password full of quotes and backslashes, leaving it in no temporary file', async () => {
    const ctx = createBackupContext(tp.platform);
    const row = await backupDatabase(ctx, { type: 'full' });
    expect(row.status).toBe('complete');
    expect((await verifyBackup(ctx, row.id)).ok).toBe(true);
    const leaks: string[] = [];
    const scan = (dir: string, depth: number) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        try {
          if (e.isDirectory() && depth < 3) scan(p, depth + 1);
          else if (e.isFile() && statSync(p).size < 1_000_000 && readFileSync(p).includes(password)) leaks.push(p);
        } catch {
          // vanished or unreadable
        }
      }
    };
    scan(tmpdir(), 0);
    expect(leaks).toEqual([]);
  });
});
