import { toDbTime } from '../../infra/db/time.js';
import type { Executor } from '../../infra/db/database.js';
import type mysql from 'mysql2/promise';
import { type HaDialect, dialectOf, type Flavor, type ReplicaStatus } from './dialect.js';
import { configuredServers, connect, type Credentials, haCredentials, type HaConfig, platformDatabase, safeMessage, type ServerRef } from './servers.js';

/** One server as it reports itself (SPEC HA-1). */
export interface ServerState {
  /** host:port */
  address: string;
  configuredAs: 'primary' | 'replica';
  reachable: boolean;
  /** Why it could not be read (unreachable servers never fail the whole read). */
  error?: string;
  /** What the server says it is: writable and replicating from nobody → primary; replicating → replica. */
  role: 'primary' | 'replica' | 'read-only' | 'unknown';
  flavor?: Flavor;
  version?: string;
  serverId?: number;
  readOnly?: boolean;
  /** Executed GTIDs (MariaDB gtid_current_pos, MySQL gtid_executed). */
  gtid?: string;
  replication?: ReplicaStatus & { source: string };
  /** Transactions the primary has that this server lacks (null when there is no primary to compare with). */
  gtidBehind?: number | null;
  /** Transactions this server has that the primary never had ('' none). */
  errantGtids?: string;
  semiSync?: { primary?: boolean; replica?: boolean };
}

export interface Topology {
  applicable: true;
  /** host:port of the primary, null when none (or several) is writable. */
  primary: string | null;
  /** Several servers are writable and none replicates: two primaries. */
  splitBrain: boolean;
  servers: ServerState[];
  /** The newest published topology epoch (db_topology on the primary), null when none. */
  epoch: number | null;
  readAt: string;
}

interface Raw {
  state: ServerState;
  dialect?: HaDialect;
  gtidState?: string;
}

async function readOne(ref: ServerRef, cred: Credentials, timeoutMs: number): Promise<Raw> {
  const state: ServerState = { address: ref.address, configuredAs: ref.configuredAs, reachable: false, role: 'unknown' };
  let c: mysql.Connection | undefined;
  try {
    c = await connect(ref, cred, timeoutMs);
    const [[info]] = (await c.query('SELECT VERSION() AS version, @@global.server_id AS serverId, @@global.read_only AS ro')) as unknown as [Record<string, unknown>[]];
    const dialect = dialectOf(String(info?.version));
    const [[g]] = (await c.query(dialect.gtidQuery)) as unknown as [Record<string, unknown>[]];
    const [statusRows] = (await c.query(dialect.replicaStatus)) as unknown as [Record<string, unknown>[]];
    const [semiRows] = (await c.query(dialect.semiSyncStatus)) as unknown as [{ Variable_name: string; Value: string }[]];
    state.reachable = true;
    state.flavor = dialect.flavor;
    state.version = String(info?.version);
    state.serverId = Number(info?.serverId);
    state.readOnly = Number(info?.ro) !== 0;
    state.gtid = String(g?.gtid ?? '');
    const status = statusRows[0];
    if (status) {
      const r = dialect.parseReplicaStatus(status);
      state.replication = { ...r, source: `${r.sourceHost}:${r.sourcePort}` };
    }
    const semi = dialect.parseSemiSync(semiRows);
    if (semi.primary !== undefined || semi.replica !== undefined) state.semiSync = semi;
    state.role = state.replication ? 'replica' : state.readOnly ? 'read-only' : 'primary';
    return { state, dialect, gtidState: String(g?.gtidState ?? '') };
  } catch (e) {
    state.error = safeMessage(e);
    return { state };
  } finally {
    c?.destroy();
  }
}

async function readEpoch(ref: ServerRef, cred: Credentials, database: string, timeoutMs: number): Promise<number | null> {
  let c: mysql.Connection | undefined;
  try {
    c = await connect(ref, cred, timeoutMs);
    const [[row]] = (await c.query(`SELECT MAX(epoch) AS epoch FROM \`${database.replace(/`/g, '``')}\`.db_topology`)) as unknown as [Record<string, unknown>[]];
    return row?.epoch === null || row?.epoch === undefined ? null : Number(row.epoch);
  } catch {
    return null; // no table yet (not migrated) or unreachable
  } finally {
    c?.destroy();
  }
}

/** The server's binlog GTID state now; undefined when it cannot be read. */
async function readGtidState(ref: ServerRef, cred: Credentials, timeoutMs: number, dialect: HaDialect): Promise<string | undefined> {
  let c: mysql.Connection | undefined;
  try {
    c = await connect(ref, cred, timeoutMs);
    const [[g]] = (await c.query(dialect.gtidQuery)) as unknown as [Record<string, unknown>[]];
    return String(g?.gtidState ?? '');
  } catch {
    return undefined;
  } finally {
    c?.destroy();
  }
}

/**
 * Reads every configured server (SPEC HA-1, issue 12 item 1): role confirmed by what it reports,
 * replication threads, lag in seconds and in GTIDs, errant GTIDs, semi-sync. A dead server is
 * shown unreachable; this never throws for one. SQLite → INVALID (no topology).
 */
export async function readTopology(deps: { config: HaConfig; timeoutMs?: number; now?: () => Date }): Promise<Topology> {
  const refs = configuredServers(deps.config);
  const cred = haCredentials(deps.config);
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const raws = await Promise.all(refs.map((r) => readOne(r, cred, timeoutMs)));
  const writable = raws.filter((r) => r.state.role === 'primary');
  const primary = writable.length === 1 ? writable[0] : undefined;
  // Errant GTIDs compare each replica with the primary's binlog state read AFTER the replicas: read
  // concurrently, a replica could report a transaction the primary committed after its own read,
  // and under continuous writes that looked errant (a false refusal to switch over).
  const primaryStateAfter = primary?.dialect ? await readGtidState(refs[raws.indexOf(primary)]!, cred, timeoutMs, primary.dialect) : undefined;
  for (const r of raws) {
    if (!r.dialect || r === primary) continue;
    if (!primary?.dialect) {
      r.state.gtidBehind = null;
      r.state.errantGtids = '';
      continue;
    }
    try {
      r.state.gtidBehind = r.dialect.gtidBehind(primary.state.gtid ?? '', r.state.gtid ?? '');
      r.state.errantGtids = r.dialect.errantGtids(primaryStateAfter ?? primary.gtidState ?? '', r.gtidState ?? '');
    } catch (e) {
      r.state.error = `cannot compare GTIDs: ${(e as Error).message}`;
    }
  }
  const primaryRef = primary ? refs[raws.indexOf(primary)] : undefined;
  return {
    applicable: true,
    primary: primary?.state.address ?? null,
    splitBrain: writable.length > 1,
    servers: raws.map((r) => r.state),
    epoch: primaryRef ? await readEpoch(primaryRef, cred, platformDatabase(deps.config), timeoutMs) : null,
    readAt: (deps.now?.() ?? new Date()).toISOString(),
  };
}

/**
 * Publishes a new topology (epoch + 1) in the caller's transaction on the new primary, so it
 * replicates everywhere with the audit row written beside it. Returns the epoch.
 */
export async function publishTopology(trx: Executor, t: { primary: string; replicas: string[]; at: Date; by: string; reason: string }): Promise<number> {
  const last = await trx
    .selectFrom('db_topology')
    .select((eb) => eb.fn.max('epoch').as('e'))
    .executeTakeFirst();
  const epoch = Number(last?.e ?? 0) + 1;
  await trx
    .insertInto('db_topology')
    .values({ epoch, primary_server: t.primary, replicas: JSON.stringify(t.replicas), changed_at: toDbTime(t.at), changed_by: t.by, reason: t.reason.slice(0, 250) })
    .execute();
  return epoch;
}
