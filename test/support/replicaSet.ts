import mysql from 'mysql2/promise';
import { type MariadbServer, startMariadb, type StartMariadbOptions } from './mariadbServer.js';

/**
 * A MariaDB replica set for HA tests: one primary and N replicas (default 2), each a private
 * `mariadbd` from mariadbServer.ts (binlog, log_slave_updates, gtid_strict_mode; replicas start
 * `--read-only`), replicating with GTID (`MASTER_USE_GTID=slave_pos`) as a dedicated replication
 * user. Nothing touches the shared MariaDB on 3306.
 *
 * `primary` / `replicas` are the roles at start; after a switchover or failover use `whoIsPrimary()`.
 */
export interface ReplicaSet {
  /** Every server, the initial primary first. */
  servers: MariadbServer[];
  primary: MariadbServer;
  replicas: MariadbServer[];
  /** The replication account (created on the primary, replicated everywhere). */
  replUser: string;
  replPassword: string;
  /** mysql://repl:…@127.0.0.1:<port> of the initial primary (for MCP_DB_REPLICATION_URL). */
  replicationUrl: string;
  /** `host:port` of a server. */
  address(s: MariadbServer): string;
  /** The server answering @@read_only = 0 (the first one; undefined when none is writable). */
  whoIsPrimary(): Promise<MariadbServer | undefined>;
  /** Inserts `count` rows into `db.table` (created when missing: id auto-increment, v varchar) on `on` (default: the writable server). */
  writeRows(count: number, opts?: { db?: string; table?: string; on?: MariadbServer }): Promise<void>;
  /** Waits until every running replica has applied everything in `from`'s gtid_binlog_pos (default: the writable server). */
  waitInSync(opts?: { from?: MariadbServer; only?: MariadbServer[]; timeoutMs?: number }): Promise<void>;
  /** STOP SLAVE SQL_THREAD on a replica (the IO thread keeps receiving). */
  stopSqlThread(s: MariadbServer): Promise<void>;
  startSqlThread(s: MariadbServer): Promise<void>;
  /** SIGKILL a server (crash). */
  kill9(s: MariadbServer): Promise<void>;
  /** Makes `replica` replicate from `source` (CHANGE MASTER … MASTER_USE_GTID=slave_pos; START SLAVE). */
  pointAt(replica: MariadbServer, source: MariadbServer): Promise<void>;
  destroy(): Promise<void>;
}

export interface ReplicaSetOptions {
  replicas?: number;
  /** Extra mariadbd options on every server (e.g. semi-sync: `--rpl-semi-sync-master-enabled=ON`). */
  extraArgs?: string[];
  /** A database created on the primary before the replicas start (replicated to them). */
  database?: string;
  /** Per-server options (index 0 = primary). */
  serverOptions?: (index: number) => StartMariadbOptions;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startReplicaSet(opts: ReplicaSetOptions = {}): Promise<ReplicaSet> {
  const n = opts.replicas ?? 2;
  const replUser = 'repl';
  const replPassword = `Repl-${Math.random().toString(36).slice(2, 12)}`;
  const servers: MariadbServer[] = [];
  const common = ['--slave-net-timeout=5', '--report-host=127.0.0.1', ...(opts.extraArgs ?? [])];
  try {
    const started = await Promise.all(
      Array.from({ length: n + 1 }, (_, i) =>
        startMariadb({
          binlog: true,
          gtidStrictMode: true,
          readOnly: i > 0,
          ...opts.serverOptions?.(i),
          extraArgs: [...common, ...(opts.serverOptions?.(i)?.extraArgs ?? [])],
        }),
      ),
    );
    servers.push(...started);
  } catch (e) {
    await Promise.all(servers.map((s) => s.destroy().catch(() => undefined)));
    throw e;
  }
  const [primary, ...replicas] = servers as [MariadbServer, ...MariadbServer[]];

  const address = (s: MariadbServer) => `${s.host}:${s.port}`;
  const pointAt = async (replica: MariadbServer, source: MariadbServer) => {
    await replica.query('STOP SLAVE').catch(() => undefined);
    await replica.query(
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${source.port}, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
      [replUser, replPassword],
    );
    await replica.query('START SLAVE');
  };

  // The replication user exists on every server (created with binlogging off on each, so no
  // server has a transaction the others lack): any server can become the source.
  for (const s of servers) {
    await s.query('SET SESSION sql_log_bin = 0');
    await s.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [replUser, replPassword]);
    await s.query(`GRANT REPLICATION SLAVE, REPLICATION SLAVE ADMIN, BINLOG MONITOR, SLAVE MONITOR ON *.* TO ?@'%'`, [replUser]);
    await s.query('SET SESSION sql_log_bin = 1');
  }
  if (opts.database) await primary.query(`CREATE DATABASE IF NOT EXISTS \`${opts.database}\``);
  for (const r of replicas) await pointAt(r, primary);

  const whoIsPrimary = async () => {
    for (const s of servers) {
      if (!s.running) continue;
      try {
        const [row] = await s.query<{ ro: number }>('SELECT @@global.read_only AS ro');
        if (Number(row?.ro) === 0) return s;
      } catch {
        /* unreachable */
      }
    }
    return undefined;
  };

  const set: ReplicaSet = {
    servers,
    primary,
    replicas,
    replUser,
    replPassword,
    replicationUrl: `mysql://${replUser}:${encodeURIComponent(replPassword)}@127.0.0.1:${primary.port}`,
    address,
    whoIsPrimary,
    pointAt,
    async writeRows(count, o = {}) {
      const on = o.on ?? (await whoIsPrimary());
      if (!on) throw new Error('no writable server');
      const db = o.db ?? 'ha_test';
      const table = o.table ?? 'rows';
      await on.query(`CREATE DATABASE IF NOT EXISTS \`${db}\``);
      await on.query(`CREATE TABLE IF NOT EXISTS \`${db}\`.\`${table}\` (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64) NOT NULL) ENGINE=InnoDB`);
      for (let i = 0; i < count; i++) await on.query(`INSERT INTO \`${db}\`.\`${table}\` (v) VALUES (?)`, [`row-${Date.now()}-${i}`]);
    },
    async waitInSync(o = {}) {
      const from = o.from ?? (await whoIsPrimary());
      if (!from) throw new Error('no writable server');
      const [row] = await from.query<{ pos: string }>('SELECT @@global.gtid_binlog_pos AS pos');
      const pos = row?.pos ?? '';
      const deadline = Date.now() + (o.timeoutMs ?? 15_000);
      for (const s of servers) {
        if (s === from || !s.running || (o.only && !o.only.includes(s))) continue;
        const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
        const [r] = await s.query<{ w: number | null }>('SELECT MASTER_GTID_WAIT(?, ?) AS w', [pos, left]);
        if (Number(r?.w) !== 0) throw new Error(`${address(s)} did not reach ${pos} within ${o.timeoutMs ?? 15_000} ms`);
      }
    },
    async stopSqlThread(s) {
      await s.query('STOP SLAVE SQL_THREAD');
    },
    async startSqlThread(s) {
      await s.query('START SLAVE SQL_THREAD');
    },
    async kill9(s) {
      await s.kill();
    },
    async destroy() {
      await Promise.all(servers.map((s) => s.destroy().catch(() => undefined)));
    },
  };
  // replicas connected (IO thread up) before anyone writes
  const deadline = Date.now() + 15_000;
  for (const r of replicas) {
    for (;;) {
      const [st] = await r.query<Record<string, string>>('SHOW SLAVE STATUS');
      if (st?.Slave_IO_Running === 'Yes' && st.Slave_SQL_Running === 'Yes') break;
      if (Date.now() > deadline) throw new Error(`replica ${address(r)} did not connect: ${st?.Last_IO_Error ?? ''} ${st?.Last_SQL_Error ?? ''}`);
      await sleep(50);
    }
  }
  return set;
}

/** A mysql2 connection to a server as a given user (the tests' app and writer connections). */
export function connectAs(s: MariadbServer, user: string, password: string, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({ host: s.host, port: s.port, user, password, database, connectTimeout: 2_000 });
}

/**
 * The accounts HA tests use on a replica set: the application's (`user`, every privilege on the
 * platform database `dbName` only — no SUPER, so read_only stops it) and the replication account
 * with everything HA does (fence, promote, repoint). Created on the primary, replicated.
 */
export async function grantHaAccounts(rs: ReplicaSet, o: { dbName: string; user: string; password: string }): Promise<void> {
  const primary = rs.servers[0]!;
  await primary.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [o.user, o.password]);
  await primary.query(`GRANT ALL PRIVILEGES ON \`${o.dbName}\`.* TO ?@'%'`, [o.user]);
  await primary.query("GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [rs.replUser]);
}

/** A platform's database settings over the replica set: the primary, the replicas, the replication account. */
export function haPlatformEnv(rs: ReplicaSet, appUrl: (s: MariadbServer) => string): Record<string, string> {
  const [primary, ...replicas] = rs.servers;
  return { MCP_DB_URL: appUrl(primary!), MCP_DB_REPLICA_URLS: replicas.map((s) => appUrl(s)).join(','), MCP_DB_REPLICATION_URL: rs.replicationUrl };
}
