import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PoolConfig } from '../../src/config/config.js';
import { createDatabase, type Database } from '../../src/infra/db/database.js';
import { type MariadbServer, startMariadb } from '../support/mariadbServer.js';
import { waitFor } from '../support/waitFor.js';

const POOL: PoolConfig = { size: 4, overflow: 4, timeoutSeconds: 5, recycleSeconds: 3600 };

/**
 * The write pool follows the primary without a restart (issue 12 item 3). Two private mariadbd
 * servers stand for the old and the new primary: a switchover makes one read-only and the other
 * writable (replication itself is not needed to test the following).
 */
describe('the database adapter follows the primary (private MariaDB servers)', () => {
  let a: MariadbServer;
  let b: MariadbServer;
  const open: Database[] = [];
  const warnings: string[] = [];
  const log = { warn: (_o: object, m: string) => void warnings.push(m), info: () => undefined };
  const follow = (intervalMs: number) => {
    const url = (s: MariadbServer) => `mysql://app:app-pass-1@127.0.0.1:${s.port}/app`;
    const d = createDatabase(url(a), POOL, undefined, { replicaUrls: [url(b)], intervalMs, log });
    open.push(d);
    return d;
  };
  const primaryIs = async (p: MariadbServer) => {
    const other = p === a ? b : a;
    await other.query('SET GLOBAL read_only = 1');
    await p.query('SET GLOBAL read_only = 0');
  };
  const rows = async (s: MariadbServer) => (await s.query<{ v: string }>('SELECT v FROM app.t ORDER BY id')).map((r) => r.v);
  const insert = (d: Database, v: string) => sql`insert into t (v) values (${v})`.execute(d.db);

  beforeAll(async () => {
    [a, b] = await Promise.all([startMariadb({ binlog: false }), startMariadb({ binlog: false, readOnly: true })]);
    for (const s of [a, b]) {
      await s.query('CREATE DATABASE app');
      await s.query('CREATE TABLE app.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(64) NOT NULL)');
      // the application's account: not SUPER, so read_only applies to it
      await s.query("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pass-1'");
      await s.query("GRANT SELECT, INSERT, UPDATE, DELETE ON app.* TO 'app'@'%'");
    }
  }, 60_000);
  afterAll(async () => {
    for (const d of open) await d.close();
    await Promise.all([a?.destroy(), b?.destroy()]);
  });
  beforeEach(async () => {
    for (const d of open.splice(0)) await d.close();
    await primaryIs(a);
    for (const s of [a, b]) await s.query('DELETE FROM app.t');
    warnings.length = 0;
  });

  it('moves its writes to the new primary within 2 s of a switchover, with no write in between', async () => {
    const d = follow(200);
    await insert(d, 'before');
    expect(d.writeTarget?.()).toBe(`127.0.0.1:${a.port}`);
    await primaryIs(b);
    const started = Date.now();
    await waitFor('the write pool to follow', () => d.writeTarget?.() === `127.0.0.1:${b.port}`, 5_000);
    expect(Date.now() - started).toBeLessThanOrEqual(2_000);
    await insert(d, 'after');
    expect(await rows(a)).toEqual(['before']);
    expect(await rows(b)).toEqual(['after']);
  });

  it('a write that hits the demoted primary (errno 1290) finds the new one and is retried once there', async () => {
    const d = follow(60_000); // the periodic check would come too late: only the failed write can notice
    await insert(d, 'one');
    await primaryIs(b);
    await insert(d, 'two');
    expect(d.writeTarget?.()).toBe(`127.0.0.1:${b.port}`);
    expect(await rows(a)).toEqual(['one']);
    expect(await rows(b)).toEqual(['two']);
  });

  it('inside a transaction the write fails with UNAVAILABLE (nothing of it written), and the next one goes to the new primary', async () => {
    const d = follow(60_000);
    await expect(
      d.db.transaction().execute(async (trx) => {
        await sql`select count(*) from t`.execute(trx);
        await primaryIs(b);
        await sql`insert into t (v) values ('in-tx')`.execute(trx);
      }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('primary changed') });
    expect(await rows(a)).toEqual([]);
    expect(await rows(b)).toEqual([]);
    await insert(d, 'next');
    expect(await rows(b)).toEqual(['next']);
  });

  it('continuous writes across a switchover: every acknowledged write is on exactly one server, none after the switch on the old one', async () => {
    const d = follow(100);
    const acknowledged: string[] = [];
    let switchedAt = -1;
    for (let i = 0; i < 120; i++) {
      if (i === 60) {
        await primaryIs(b);
        switchedAt = acknowledged.length;
      }
      await insert(d, `w${i}`);
      acknowledged.push(`w${i}`);
    }
    const onA = await rows(a);
    const onB = await rows(b);
    expect([...onA, ...onB].sort()).toEqual([...acknowledged].sort());
    expect(onA).toEqual(acknowledged.slice(0, switchedAt));
  });

  it('two writable servers (split brain): the pool keeps its target and says so', async () => {
    const d = follow(100);
    await insert(d, 'x');
    await b.query('SET GLOBAL read_only = 0');
    await waitFor('the warning', () => warnings.some((w) => w.includes('split brain')), 5_000);
    expect(d.writeTarget?.()).toBe(`127.0.0.1:${a.port}`);
  });
});
