import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolConfig } from '../../src/config/config.js';
import { createDatabase, type Database } from '../../src/infra/db/database.js';
import { type MariadbServer, startMariadb } from '../support/mariadbServer.js';
import { waitFor } from '../support/waitFor.js';

const POOL: PoolConfig = { size: 2, overflow: 2, timeoutSeconds: 5, recycleSeconds: 3600 };

/**
 * Read/write split (SPEC HA-4) against a real GTID replica: lag-tolerant reads go to the replica
 * while it replicates within the allowed lag, and to the primary when it does not, or is down.
 */
describe('lag-tolerant reads on a replica (private MariaDB primary + replica)', () => {
  let primary: MariadbServer;
  let replica: MariadbServer;
  let d: Database;
  const url = (s: MariadbServer) => `mysql://app:app-pass-1@127.0.0.1:${s.port}/app`;
  /** How many rows the server the read ran on holds: the replica has one marker row more. */
  const countRead = (o?: { maxLagSeconds?: number }) => d.readLagTolerant(async (db) => Number((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!.n), o);
  /** Where a read ran: only the replica holds the marker row. */
  const whereRead = (o?: { maxLagSeconds?: number }) =>
    d.readLagTolerant(async (db) => ((await sql<{ n: number }>`select count(*) as n from t where v = 'replica-only'`.execute(db)).rows[0]!.n ? 'replica' : 'primary'), o);

  beforeAll(async () => {
    [primary, replica] = await Promise.all([startMariadb(), startMariadb({ readOnly: true })]);
    await primary.query("CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pass-1'");
    await primary.query("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'");
    await primary.query('CREATE DATABASE app');
    await primary.query('CREATE TABLE app.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(64) NOT NULL)');
    await primary.query("CREATE USER 'app'@'%' IDENTIFIED BY 'app-pass-1'");
    await primary.query("GRANT SELECT, INSERT, UPDATE, DELETE ON app.* TO 'app'@'%'");
    await primary.query("GRANT SLAVE MONITOR ON *.* TO 'app'@'%'");
    await replica.query(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='repl', MASTER_PASSWORD='repl-pass-1', MASTER_USE_GTID=slave_pos`);
    await replica.query('START SLAVE');
    await primary.query("INSERT INTO app.t (v) VALUES ('a'), ('b')");
    await waitFor('the replica to catch up', async () => (await replica.query<{ n: number }>('SELECT COUNT(*) AS n FROM app.t').catch(() => [{ n: 0 }]))[0]!.n === 2, 20_000);
    // a marker only the replica holds (not binlogged: no errant transaction), so a read shows where it ran
    await replica.query('SET SESSION sql_log_bin = 0');
    await replica.query("INSERT INTO app.t (id, v) VALUES (1000, 'replica-only')");
    d = createDatabase(url(primary), POOL, undefined, { replicaUrls: [url(replica)], intervalMs: 200, maxLagSeconds: 5 });
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await Promise.all([primary?.destroy(), replica?.destroy()]);
  });

  it('runs on the replica while it replicates within the lag; writes stay on the primary', async () => {
    await waitFor('the replica to be seen replicating', () => d.replicaStates()[0]?.replicating, 5_000);
    expect(d.replicaStates()).toEqual([{ endpoint: `127.0.0.1:${replica.port}`, reachable: true, replicating: true, lagSeconds: 0 }]);
    expect(await countRead()).toBe(3);
    expect(await whereRead()).toBe('replica');
    await sql`insert into t (v) values ('c')`.execute(d.db);
    expect((await primary.query<{ n: number }>('SELECT COUNT(*) AS n FROM app.t'))[0]!.n).toBe(3);
  });

  it('a replica whose SQL thread stopped (lag unknown) is not used: the primary answers', async () => {
    await replica.query('STOP SLAVE SQL_THREAD');
    await waitFor('the stopped thread to be seen', () => d.replicaStates()[0]?.replicating === false, 5_000);
    expect(d.replicaStates()[0]!.lagSeconds).toBeNull();
    expect(await whereRead()).toBe('primary');
    await replica.query('START SLAVE SQL_THREAD');
    await waitFor('the replica to be used again', async () => (await countRead()) === 4, 10_000);
  });

  it('a replica lagging beyond what the read accepts is not used', async () => {
    await replica.query('STOP SLAVE');
    await replica.query('CHANGE MASTER TO MASTER_DELAY = 30');
    await replica.query('START SLAVE');
    await primary.query("INSERT INTO app.t (v) VALUES ('delayed')");
    await waitFor('the replica to lag', () => (d.replicaStates()[0]?.lagSeconds ?? 0) >= 2, 10_000);
    const lag = d.replicaStates()[0]!.lagSeconds!;
    expect(await whereRead({ maxLagSeconds: lag - 1 })).toBe('primary');
    expect(await whereRead()).toBe(lag > 5 ? 'primary' : 'replica');
    // a read that accepts that much lag may use it: it does not have 'delayed' yet
    expect(await whereRead({ maxLagSeconds: 3600 })).toBe('replica');
    const onReplica = await d.readLagTolerant(async (db) => (await sql<{ v: string }>`select v from t order by id`.execute(db)).rows.map((r) => r.v), { maxLagSeconds: 3600 });
    expect(onReplica).toContain('replica-only');
    expect(onReplica).not.toContain('delayed');
    await replica.query('STOP SLAVE');
    await replica.query('CHANGE MASTER TO MASTER_DELAY = 0');
    await replica.query('START SLAVE');
  }, 30_000);

  it('a replica that dies is left at once: the read runs on the primary, no error', async () => {
    await waitFor('the replica to be eligible', () => d.replicaStates()[0]?.replicating && d.replicaStates()[0]!.lagSeconds === 0, 15_000);
    await replica.kill();
    const rows = await d.readLagTolerant(async (db) => (await sql<{ v: string }>`select v from t order by id`.execute(db)).rows.map((r) => r.v));
    expect(rows).not.toContain('replica-only');
    expect(rows).toContain('delayed');
  }, 30_000);
});
