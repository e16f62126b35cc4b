import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startMariadb, type MariadbServer } from '../support/mariadbServer.js';

/**
 * The least-privilege grants the README documents for the platform's MariaDB account are enough
 * for the platform, its backups (binlog coordinates included), verification, restores into a
 * restore database and a live restore — and they reach no other database.
 */
const PLATFORM_GRANTS = [
  'GRANT ALL PRIVILEGES ON `mcp_platform`.* TO {user}',
  'GRANT ALL PRIVILEGES ON `mcp\\_restore\\_%`.* TO {user}',
  'GRANT ALL PRIVILEGES ON `mcp\\_stage\\_%`.* TO {user}',
  'GRANT ALL PRIVILEGES ON `mcp\\_verify\\_%`.* TO {user}',
  'GRANT RELOAD, BINLOG MONITOR, REPLICATION SLAVE, BINLOG REPLAY ON *.* TO {user}',
];

describe('the documented MariaDB grants', () => {
  let db: MariadbServer;
  let dir: string;
  let env: Record<string, string>;
  const user = "'mcp'@'127.0.0.1'";

  beforeAll(async () => {
    db = await startMariadb();
    await db.query(`CREATE USER ${user} IDENTIFIED BY 'Grant-Test-Pass!1'`);
    for (const g of PLATFORM_GRANTS) await db.query(g.replace('{user}', user));
    await db.query('CREATE DATABASE other_app');
    await db.query('CREATE TABLE other_app.t (id INT PRIMARY KEY)');
    dir = mkdtempSync(join(tmpdir(), 'mcp-grants-'));
    env = {
      MCP_DB_URL: `mysql://mcp:${encodeURIComponent('Grant-Test-Pass!1')}@127.0.0.1:${db.port}/mcp_platform`,
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_BACKUP_KEY: 'grants-test-backup-secret-0123456789ab',
    };
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('suffice for migrate, backup full (with coordinates), binlog archive, point in time, verify, a restore database and a live restore', async () => {
    const run = async (...args: string[]) => {
      const r = await runCli(args, env, undefined, 120_000);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      return r;
    };
    await run('admin', 'create', '--username', 'ops1');
    await db.query('CREATE TABLE mcp_platform.orders (id INT PRIMARY KEY)');
    expect(JSON.parse((await run('backup', 'full', '--json')).stdout).binlog_file).toMatch(/^mysql-bin\./);
    // point in time: binlogs archived and replayed into a restore database
    await db.query('INSERT INTO mcp_platform.orders VALUES (1), (2)');
    await new Promise((r) => setTimeout(r, 1100));
    const to = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
    await new Promise((r) => setTimeout(r, 1100));
    await db.query('INSERT INTO mcp_platform.orders VALUES (3)');
    await run('backup', 'incremental');
    await run('restore', 'latest', '--to', to, '--target-db', 'mcp_restore_pitr');
    expect(await db.query('SELECT id FROM mcp_restore_pitr.orders ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    await run('backup', 'verify', 'latest');
    await run('restore', 'latest', '--target-db', 'mcp_restore_copy');
    expect(await db.query('SELECT COUNT(*) AS n FROM mcp_restore_copy.users')).toEqual([{ n: 1 }]);
    await run('restore', 'latest', '--force', '--confirm', 'mcp_platform');
    expect(await db.query('SELECT id FROM mcp_platform.orders ORDER BY id')).toEqual([]);
    // and nothing else is reachable: another database is refused by the server itself
    await db.query('CREATE DATABASE mcp_restore_foreign');
    const foreign = await runCli(['restore', 'latest', '--target-db', 'mcp_restore_foreign'], env, undefined, 60_000);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/not created by the platform/);
    expect((await db.query<{ Database: string }>('SHOW DATABASES')).map((r) => r.Database)).toContain('other_app');
  }, 300_000);
});
