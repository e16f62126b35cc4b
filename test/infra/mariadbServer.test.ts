import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariadb, withMariadb, type MariadbServer } from '../support/mariadbServer.js';
import { SERVICES } from '../support/services.js';

async function sharedServer<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ uri: SERVICES.mysql, connectTimeout: 5_000 });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const sharedIdentity = () =>
  sharedServer(async (c) => {
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT @@server_id AS id, @@port AS port, @@datadir AS datadir');
    return rows[0] as { id: number; port: number; datadir: string };
  });

/** The first row of a query (fails the test if there is none). */
async function first<T>(server: MariadbServer, sql: string): Promise<T> {
  const [row] = await server.query<T>(sql);
  if (row === undefined) throw new Error(`no rows from ${sql}`);
  return row;
}

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('private MariaDB servers (test/support/mariadbServer)', () => {
  let shared: { id: number; port: number; datadir: string };
  let s: MariadbServer;

  beforeAll(async () => {
    shared = await sharedIdentity();
    s = await startMariadb({ serverId: 4242 });
  });
  afterAll(async () => {
    await s?.destroy();
  });

  it('runs with binlog, GTID strict mode, ROW format and the requested server id', async () => {
    expect(s.port).not.toBe(3306);
    expect(s.rootUrl).toBe(`mysql://root@127.0.0.1:${s.port}`);
    expect(s.url('x')).toBe(`mysql://root@127.0.0.1:${s.port}/x`);
    const [row] = await s.query(
      'SELECT @@log_bin AS logBin, @@gtid_strict_mode AS strict, @@server_id AS id, @@binlog_format AS fmt, @@log_slave_updates AS lsu, @@sync_binlog AS sync, @@read_only AS ro, @@character_set_server AS cs, @@port AS port, @@datadir AS datadir',
    );
    expect(row).toMatchObject({ logBin: 1, strict: 1, id: 4242, fmt: 'ROW', lsu: 1, sync: 1, ro: 0, cs: 'utf8mb4', port: s.port });
    expect(String(row.datadir).replace(/\/$/, '')).toBe(s.datadir);
    expect(existsSync(s.socket)).toBe(true);
  });

  it('writes rows to the binlog, rotates on FLUSH BINARY LOGS and tracks the GTID position', async () => {
    await s.query('CREATE DATABASE harness');
    await s.query('CREATE TABLE harness.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB');
    await s.query('INSERT INTO harness.t VALUES (?, ?), (?, ?)', [1, 'one', 2, 'two']);
    const before = await s.query<{ Log_name: string }>('SHOW BINARY LOGS');
    await s.query('FLUSH BINARY LOGS');
    const after = await s.query<{ Log_name: string }>('SHOW BINARY LOGS');
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)!.Log_name).toMatch(/^mysql-bin\.\d{6}$/);
    const { pos } = await first<{ pos: string }>(s, 'SELECT @@gtid_binlog_pos AS pos');
    expect(pos).toMatch(/^0-4242-\d+$/);
    // The connection-level URL works for other clients too.
    const c = await mysql.createConnection({ uri: s.url('harness') });
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM t');
    await c.end();
    expect(rows[0]!.n).toBe(2);
  });

  it('keeps committed data and the GTID position across kill() + start() (crash recovery)', async () => {
    await s.query('INSERT INTO harness.t VALUES (3, ?)', ['before crash']);
    const { pos } = await first<{ pos: string }>(s, 'SELECT @@gtid_binlog_pos AS pos');
    await s.kill();
    expect(s.running).toBe(false);
    await expect(s.query('SELECT 1')).rejects.toThrow();
    await s.start();
    expect(await s.query('SELECT id, v FROM harness.t ORDER BY id')).toEqual([
      { id: 1, v: 'one' },
      { id: 2, v: 'two' },
      { id: 3, v: 'before crash' },
    ]);
    const { pos: recovered } = await first<{ pos: string }>(s, 'SELECT @@gtid_binlog_pos AS pos');
    expect(recovered).toBe(pos);
  });

  it('stop() shuts down cleanly; start() brings it back on the same port', async () => {
    const port = s.port;
    await s.stop();
    expect(s.running).toBe(false);
    await expect(mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1_000 })).rejects.toThrow();
    expect(await readFile(s.logFile, 'utf8')).toMatch(/Shutdown complete/);
    await s.start();
    expect(s.port).toBe(port);
    const { n } = await first<{ n: number }>(s, 'SELECT COUNT(*) AS n FROM harness.t');
    expect(n).toBe(3);
  });

  it('destroy() stops the server and removes its datadir', async () => {
    const t = await startMariadb({ binlog: false, gtidStrictMode: false, readOnly: true });
    const [row] = await t.query('SELECT @@log_bin AS logBin, @@gtid_strict_mode AS strict, @@read_only AS ro');
    expect(row).toMatchObject({ logBin: 0, strict: 0, ro: 1 });
    expect(existsSync(t.datadir)).toBe(true);
    await t.destroy();
    expect(existsSync(t.datadir)).toBe(false);
    expect(existsSync(dirname(t.logFile))).toBe(false);
    await expect(t.query('SELECT 1')).rejects.toThrow(/destroyed/);
  });

  it('runs two servers with different server ids at once (and they can replicate by GTID)', async () => {
    await withMariadb(
      async (primary) => {
        await withMariadb(
          async (replica) => {
            expect(primary.port).not.toBe(replica.port);
            expect(primary.datadir).not.toBe(replica.datadir);
            const [[a], [b]] = await Promise.all([primary.query<{ id: number }>('SELECT @@server_id AS id'), replica.query<{ id: number }>('SELECT @@server_id AS id')]);
            expect([a!.id, b!.id]).toEqual([11, 12]);

            await primary.query('CREATE DATABASE repl');
            await primary.query('CREATE TABLE repl.t (id INT PRIMARY KEY)');
            await primary.query('INSERT INTO repl.t VALUES (1), (2)');
            await replica.query(
              `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
            );
            await replica.query('START SLAVE');
            const { pos } = await first<{ pos: string }>(primary, 'SELECT @@gtid_binlog_pos AS pos');
            await waitFor('replica to catch up', async () => {
              const { p } = await first<{ p: string }>(replica, 'SELECT @@gtid_slave_pos AS p');
              return p === pos;
            });
            expect(await replica.query('SELECT id FROM repl.t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
            await replica.query('STOP SLAVE');
          },
          { serverId: 12, readOnly: true },
        );
      },
      { serverId: 11 },
    );
  });

  it('leaves the shared 3306 server untouched', async () => {
    const now = await sharedIdentity();
    expect(now).toEqual(shared);
    expect(now.port).toBe(3306);
    await sharedServer(async (c) => {
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT 1 + 1 AS two');
      expect(rows[0]!.two).toBe(2);
    });
  });
});
