/**
 * The replication statements of MariaDB 10.11 and MySQL 8 behind one interface (issue 12 item 9).
 * MariaDB is tested live; the MySQL 8 statements are unit-tested as text only.
 *
 * GTIDs differ: MariaDB positions are `domain-server-seq` lists (one sequence per domain), MySQL's are
 * sets `uuid:1-5:7` (intervals per source uuid). `gtidBehind` and `errantGtids` give the same answers
 * for both: how many transactions a replica lacks, and which transactions a replica has that the
 * primary never had.
 */
export type Flavor = 'mariadb' | 'mysql';

export interface Statement {
  sql: string;
  params?: unknown[];
}

/** What a replica reports about its replication (SHOW SLAVE STATUS / SHOW REPLICA STATUS). */
export interface ReplicaStatus {
  sourceHost: string;
  sourcePort: number;
  ioRunning: boolean;
  sqlRunning: boolean;
  /** Slave_IO_Running as reported (Yes / No / Connecting). */
  ioState: string;
  lagSeconds: number | null;
  lastIoError: string;
  lastSqlError: string;
}

export interface HaDialect {
  flavor: Flavor;
  replicaStatus: string;
  /** One row: gtid (executed on this server), gtidState (every GTID in its binlogs, for errant checks), semi-sync is separate. */
  gtidQuery: string;
  semiSyncStatus: string;
  /** One row `{ pos }`: every transaction written to this server's binlog (what a replica must reach). */
  positionQuery: string;
  /** Run on a demoted primary before it replicates: start from what it already has. */
  prepareDemotion: string[];
  parseReplicaStatus(row: Record<string, unknown>): ReplicaStatus;
  /** Reads `Rpl_semi_sync_*` status rows: primary side and replica side, undefined when the plugin is absent. */
  parseSemiSync(rows: { Variable_name: string; Value: string }[]): { primary?: boolean; replica?: boolean };
  setReadOnly(on: boolean): string[];
  /** Client connections to end when fencing: everything but replication threads, daemons and this session. */
  clientConnections: string;
  stopReplica: string;
  startReplica: string;
  resetReplicaAll: string;
  changeSource(host: string, port: number, user: string, password: string): Statement;
  /** One row `{ w }`: 0 when `gtid` was applied within `timeoutSeconds`, else timed out (1 / -1 / NULL). */
  waitForGtid(gtid: string, timeoutSeconds: number): Statement;
  /** Transactions in `primary` that `replica` lacks. */
  gtidBehind(primary: string, replica: string): number;
  /** The transactions of `replica` that `primary` never had ('' when none), as a GTID list/set. */
  errantGtids(primaryState: string, replicaState: string): string;
}

const yes = (v: unknown) => String(v ?? '').toLowerCase() === 'yes';
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

function semi(rows: { Variable_name: string; Value: string }[], primaryNames: string[], replicaNames: string[]) {
  const get = (names: string[]) => {
    const r = rows.find((x) => names.includes(x.Variable_name));
    return r ? r.Value.toUpperCase() === 'ON' : undefined;
  };
  const out: { primary?: boolean; replica?: boolean } = {};
  const p = get(primaryNames);
  const s = get(replicaNames);
  if (p !== undefined) out.primary = p;
  if (s !== undefined) out.replica = s;
  return out;
}

// ------------------------------------------------------------------------------------------------
// MariaDB GTID lists: d-s-n[,d-s-n…]

export interface MariadbGtid {
  domain: number;
  server: number;
  seq: number;
}

export function parseMariadbGtids(list: string): MariadbGtid[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(s);
      if (!m) throw new Error(`not a MariaDB GTID: ${s}`);
      return { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
    });
}

function maxPerDomain(gtids: MariadbGtid[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const g of gtids) out.set(g.domain, Math.max(out.get(g.domain) ?? 0, g.seq));
  return out;
}

export function mariadbGtidBehind(primary: string, replica: string): number {
  const r = maxPerDomain(parseMariadbGtids(replica));
  let behind = 0;
  for (const [domain, seq] of maxPerDomain(parseMariadbGtids(primary))) behind += Math.max(0, seq - (r.get(domain) ?? 0));
  return behind;
}

/**
 * Errant: a (domain, server) pair in the replica's binlog state that the primary's state lacks, or
 * whose sequence is beyond the primary's last in that domain (sequence numbers rise per domain).
 */
export function mariadbErrantGtids(primaryState: string, replicaState: string): string {
  const p = parseMariadbGtids(primaryState);
  const pDomain = maxPerDomain(p);
  const pPair = new Map(p.map((g) => [`${g.domain}-${g.server}`, g.seq]));
  const errant = parseMariadbGtids(replicaState).filter((g) => {
    const have = pPair.get(`${g.domain}-${g.server}`);
    return have === undefined || g.seq > have || g.seq > (pDomain.get(g.domain) ?? 0);
  });
  return errant.map((g) => `${g.domain}-${g.server}-${g.seq}`).join(',');
}

// ------------------------------------------------------------------------------------------------
// MySQL GTID sets: uuid:a-b:c[,uuid:…]

type Intervals = [number, number][];

export function parseMysqlGtidSet(set: string): Map<string, Intervals> {
  const out = new Map<string, Intervals>();
  for (const part of set.replace(/\s+/g, '').split(',').filter(Boolean)) {
    const [uuid, ...ranges] = part.split(':');
    if (!uuid || !/^[0-9a-f-]{36}$/i.test(uuid) || ranges.length === 0) throw new Error(`not a MySQL GTID set: ${part}`);
    const list = out.get(uuid.toLowerCase()) ?? [];
    for (const r of ranges) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(r);
      if (!m) throw new Error(`not a MySQL GTID interval: ${r}`);
      list.push([Number(m[1]), Number(m[2] ?? m[1])]);
    }
    out.set(uuid.toLowerCase(), normalize(list));
  }
  return out;
}

function normalize(list: Intervals): Intervals {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: Intervals = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** a minus b, per uuid. */
export function subtractMysqlGtids(a: Map<string, Intervals>, b: Map<string, Intervals>): Map<string, Intervals> {
  const out = new Map<string, Intervals>();
  for (const [uuid, list] of a) {
    let rest: Intervals = list.map(([x, y]) => [x, y]);
    for (const [c, d] of b.get(uuid) ?? []) {
      rest = rest.flatMap(([x, y]): Intervals => {
        if (d < x || c > y) return [[x, y]];
        const parts: Intervals = [];
        if (c > x) parts.push([x, c - 1]);
        if (d < y) parts.push([d + 1, y]);
        return parts;
      });
    }
    if (rest.length) out.set(uuid, rest);
  }
  return out;
}

export function formatMysqlGtids(set: Map<string, Intervals>): string {
  return [...set].map(([uuid, list]) => `${uuid}:${list.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(':')}`).join(',');
}

const count = (set: Map<string, Intervals>) => [...set.values()].flat().reduce((n, [a, b]) => n + (b - a + 1), 0);

// ------------------------------------------------------------------------------------------------

export const mariadbDialect: HaDialect = {
  flavor: 'mariadb',
  replicaStatus: 'SHOW SLAVE STATUS',
  gtidQuery: 'SELECT @@global.gtid_current_pos AS gtid, @@global.gtid_binlog_state AS gtidState',
  semiSyncStatus: "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_%'",
  positionQuery: 'SELECT @@global.gtid_binlog_pos AS pos',
  prepareDemotion: ['SET GLOBAL gtid_slave_pos = @@global.gtid_binlog_pos'],
  parseReplicaStatus: (r) => ({
    sourceHost: str(r.Master_Host),
    sourcePort: Number(r.Master_Port ?? 0),
    ioRunning: yes(r.Slave_IO_Running),
    sqlRunning: yes(r.Slave_SQL_Running),
    ioState: str(r.Slave_IO_Running),
    lagSeconds: num(r.Seconds_Behind_Master),
    lastIoError: str(r.Last_IO_Error),
    lastSqlError: str(r.Last_SQL_Error),
  }),
  parseSemiSync: (rows) => semi(rows, ['Rpl_semi_sync_master_status'], ['Rpl_semi_sync_slave_status']),
  setReadOnly: (on) => [`SET GLOBAL read_only = ${on ? 1 : 0}`],
  clientConnections:
    "SELECT ID AS id, USER AS user FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler') AND COMMAND NOT IN ('Binlog Dump', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker')",
  stopReplica: 'STOP SLAVE',
  startReplica: 'START SLAVE',
  resetReplicaAll: 'RESET SLAVE ALL',
  changeSource: (host, port, user, password) => ({
    sql: 'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1',
    params: [host, port, user, password],
  }),
  waitForGtid: (gtid, timeoutSeconds) => ({ sql: 'SELECT MASTER_GTID_WAIT(?, ?) AS w', params: [gtid, timeoutSeconds] }),
  gtidBehind: mariadbGtidBehind,
  errantGtids: mariadbErrantGtids,
};

export const mysqlDialect: HaDialect = {
  flavor: 'mysql',
  replicaStatus: 'SHOW REPLICA STATUS',
  gtidQuery: 'SELECT @@global.gtid_executed AS gtid, @@global.gtid_executed AS gtidState',
  semiSyncStatus: "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_%'",
  positionQuery: 'SELECT @@global.gtid_executed AS pos',
  prepareDemotion: [],
  parseReplicaStatus: (r) => ({
    sourceHost: str(r.Source_Host),
    sourcePort: Number(r.Source_Port ?? 0),
    ioRunning: yes(r.Replica_IO_Running),
    sqlRunning: yes(r.Replica_SQL_Running),
    ioState: str(r.Replica_IO_Running),
    lagSeconds: num(r.Seconds_Behind_Source),
    lastIoError: str(r.Last_IO_Error),
    lastSqlError: str(r.Last_SQL_Error),
  }),
  parseSemiSync: (rows) => semi(rows, ['Rpl_semi_sync_source_status', 'Rpl_semi_sync_master_status'], ['Rpl_semi_sync_replica_status', 'Rpl_semi_sync_slave_status']),
  // super_read_only also fences SUPER / CONNECTION_ADMIN sessions; turning it off leaves read_only on
  setReadOnly: (on) => (on ? ['SET GLOBAL super_read_only = 1'] : ['SET GLOBAL super_read_only = 0', 'SET GLOBAL read_only = 0']),
  clientConnections:
    "SELECT ID AS id, USER AS user FROM performance_schema.processlist WHERE ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler') AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon')",
  stopReplica: 'STOP REPLICA',
  startReplica: 'START REPLICA',
  resetReplicaAll: 'RESET REPLICA ALL',
  changeSource: (host, port, user, password) => ({
    sql: 'CHANGE REPLICATION SOURCE TO SOURCE_HOST = ?, SOURCE_PORT = ?, SOURCE_USER = ?, SOURCE_PASSWORD = ?, SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 1, GET_SOURCE_PUBLIC_KEY = 1',
    params: [host, port, user, password],
  }),
  waitForGtid: (gtid, timeoutSeconds) => ({ sql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w', params: [gtid, timeoutSeconds] }),
  gtidBehind: (primary, replica) => count(subtractMysqlGtids(parseMysqlGtidSet(primary), parseMysqlGtidSet(replica))),
  errantGtids: (primaryState, replicaState) => formatMysqlGtids(subtractMysqlGtids(parseMysqlGtidSet(replicaState), parseMysqlGtidSet(primaryState))),
};

/** The dialect of a server from its `SELECT VERSION()`. */
export function dialectOf(version: string): HaDialect {
  return /mariadb/i.test(version) ? mariadbDialect : mysqlDialect;
}
