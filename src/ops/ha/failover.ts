import type mysql from 'mysql2/promise';
import type { Logger } from 'pino';
import { AppError, conflict, invalid } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import { createDatabase, type Database } from '../../infra/db/database.js';
import type { Actor } from '../../services/actor.js';
import type { AuditLog } from '../../services/system/contract.js';
import { LIVE_RESTORE_LEASE } from '../backup/databaseBackup.js';
import { acquireLease, leaseHolder } from '../lease.js';
import { dialectOf, type HaDialect } from './dialect.js';
import { decide, type Observation, parseGtidPosition } from './failoverDecision.js';
import { configuredServers, connect, type Credentials, haCredentials, type HaConfig, safeMessage, type ServerRef, urlOn } from './servers.js';
import { SWITCHOVER_LEASE } from './switchover.js';
import { publishTopology, readTopology, type ServerState, type Topology } from './topology.js';

/**
 * Failover (SPEC HA-3, manual §6.5.2, issue 12 item 4): the primary is gone, a replica takes its
 * place. Unlike a switchover nothing can be asked of the old primary, so:
 *  (a) check: the primary does not answer (else: use a switchover), the candidate is a clean replica
 *      no other replica is ahead of; no restore and no switchover recorded in the candidate's copy of
 *      ops_locks; (b) wait until the candidate applied its relay log (what its IO thread received);
 *  (c) promote it (STOP/RESET SLAVE ALL, read_only=0) and take the lease `ha:switchover` there;
 *  (d) repoint the other reachable replicas; (e) publish db_topology epoch + 1 with the audit row
 *  `ops.db.failover` in one transaction on the new primary (the old one cannot take an audit row —
 *  the audit is written where the platform writes next); (f) fence the old primary when it answers:
 *  read_only=1, its client sessions ended, replicating from the new primary. When it does not, the
 *  monitor keeps trying (`fenceOldPrimary`).
 */
export interface FailoverDeps {
  config: HaConfig;
  audit: AuditLog;
  clock: Clock;
  log?: Logger;
  /** The critical alert 数据库自动故障转移 (see `haAlerter`); failures are logged, never fail the failover. */
  announce?: (summary: string) => Promise<void>;
  /** Opens the platform database on another server (default: createDatabase with a 1-connection pool). */
  openDatabase?: (url: string) => Database;
  /** How long the candidate may take to apply its relay log (default 30 s). */
  relayTimeoutMs?: number;
}

export interface FailoverOptions {
  /** host:port of the replica to promote; default the most advanced clean replica. */
  to?: string;
  /** Why (recorded in db_topology and the audit row). */
  reason: string;
  /** The primary that failed (default: what the replicas replicate from, else MCP_DB_URL's server). */
  from?: string;
  /** Servers known to hold errant GTIDs (the monitor remembers them from its last read with a primary). */
  errant?: readonly string[];
}

export interface FailoverStep {
  step: 'check' | 'relay' | 'promote' | 'repoint' | 'publish' | 'fence';
  server?: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface FailoverResult {
  from: string;
  to: string;
  epoch: number;
  /** The old primary was reachable and is now read-only and a replica of the new one. */
  fenced: boolean;
  steps: FailoverStep[];
  warnings: string[];
  topology: Topology;
}

export const FAILOVER_ALERT = '数据库自动故障转移';
export const NEEDS_PERSON_ALERT = '数据库故障需人工处理';
export const SEMI_SYNC_ALERT = '半同步复制降级为异步';
const ADDRESS = /^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$/;

const openDefault = (url: string) => createDatabase(url, { size: 1, overflow: 0, timeoutSeconds: 5, recycleSeconds: 60 });

/** The server the replicas replicate from (most of them), else the configured primary. */
export function formerPrimary(topo: Topology, servers: ServerRef[]): string {
  const counts = new Map<string, number>();
  for (const s of topo.servers) if (s.replication) counts.set(s.replication.source, (counts.get(s.replication.source) ?? 0) + 1);
  const configured = servers.map((s) => s.address);
  const best = [...counts].filter(([a]) => configured.includes(a)).sort((a, b) => b[1] - a[1])[0];
  return best?.[0] ?? servers[0]!.address;
}

/** Per domain, the later of two MariaDB GTID positions (applied and received); '' stays ''. */
export function laterGtid(a: string, b: string | undefined): string {
  if (!b) return a;
  const pa = parseGtidPosition(a);
  for (const [domain, g] of parseGtidPosition(b)) if ((pa.get(domain)?.seq ?? -1n) < g.seq) pa.set(domain, g);
  return [...pa].map(([d, g]) => `${d}-${g.server}-${g.seq}`).join(',');
}

/**
 * What each reachable replica has received from the primary (MariaDB Gtid_IO_Pos): a replica whose
 * SQL thread lags still holds those transactions in its relay log and applies them before it is
 * promoted, so it counts as that far. MySQL replicas (no such position) are left out.
 */
export async function receivedPositions(config: HaConfig, topo: Topology, timeoutMs = 1_000): Promise<Map<string, string>> {
  const cred = haCredentials(config);
  const out = new Map<string, string>();
  await Promise.all(
    topo.servers
      .filter((s) => s.reachable && s.replication && s.flavor === 'mariadb')
      .map(async (s) => {
        const [host, port] = [s.address.slice(0, s.address.lastIndexOf(':')), Number(s.address.slice(s.address.lastIndexOf(':') + 1))];
        let c: mysql.Connection | undefined;
        try {
          c = await connect({ host, port }, cred, timeoutMs);
          const [rows] = (await c.query('SHOW SLAVE STATUS')) as unknown as [Record<string, unknown>[]];
          const io = String(rows[0]?.Gtid_IO_Pos ?? '');
          if (io) out.set(s.address, io);
        } catch {
          /* unreadable now: its applied position stands */
        } finally {
          c?.destroy();
        }
      }),
  );
  return out;
}

/** The decision's view of a topology read (the primary treated as gone); `received` raises each replica to what it received. */
export function observationOf(topo: Topology, primary: string, primaryReachable: boolean, errant: readonly string[], received?: Map<string, string>): Observation {
  return {
    primaryReachable,
    replicas: topo.servers
      .filter((s) => s.address !== primary)
      .map((s: ServerState) => {
        const usable = s.reachable && s.replication && s.gtid !== undefined && !s.replication.lastSqlError;
        let gtid: string | null = null;
        if (usable) {
          try {
            gtid = laterGtid(s.gtid ?? '', received?.get(s.address));
          } catch {
            gtid = s.gtid ?? null; // not MariaDB positions: what it applied
          }
        }
        return {
          endpoint: s.address,
          reachable: s.reachable,
          ioConnected: s.replication?.ioRunning ?? false,
          gtid,
          errant: errant.includes(s.address) || !!s.errantGtids,
        };
      }),
  };
}

export async function failover(deps: FailoverDeps, actor: Actor, opts: FailoverOptions): Promise<FailoverResult> {
  if (opts.to !== undefined && (typeof opts.to !== 'string' || !ADDRESS.test(opts.to))) throw invalid('to: expected HOST:PORT of a configured replica', { field: 'to' });
  const servers = configuredServers(deps.config);
  if (opts.to !== undefined && !servers.some((s) => s.address === opts.to))
    throw invalid(`to: ${opts.to} is not a configured server (MCP_DB_URL, MCP_DB_REPLICA_URLS)`, { field: 'to', configured: servers.map((s) => s.address) });
  const cred = haCredentials(deps.config);
  const steps: FailoverStep[] = [];
  const warnings: string[] = [];
  const conns = new Map<string, mysql.Connection>();
  const conn = async (s: ServerRef) => {
    let c = conns.get(s.address);
    if (!c) {
      c = await connect(s, cred, 2_000);
      conns.set(s.address, c);
    }
    return c;
  };
  const run = async <T>(step: FailoverStep['step'], server: ServerRef | undefined, fn: () => Promise<{ detail?: string; value: T }>): Promise<T> => {
    const started = Date.now();
    const entry: FailoverStep = { step, ...(server ? { server: server.address } : {}), ms: 0, ok: false };
    steps.push(entry);
    try {
      const { detail, value } = await fn();
      entry.ok = true;
      if (detail) entry.detail = detail;
      return value;
    } catch (e) {
      entry.detail = e instanceof AppError ? e.message : safeMessage(e);
      throw e;
    } finally {
      entry.ms = Date.now() - started;
      deps.log?.info({ operation: 'ops.db.failover', ...entry }, `failover step ${step}`);
    }
  };
  const open = deps.openDatabase ?? openDefault;
  let candidateDb: Database | undefined;
  let promoted = false;
  let target: ServerRef | undefined;
  let oldAddress = opts.from ?? '';
  const base = { ...actor, action: 'ops.db.failover' };
  try {
    let dialect!: HaDialect;
    target = await run('check', undefined, async () => {
      const topo = await readTopology({ config: deps.config, timeoutMs: 1_000 });
      if (topo.primary) throw conflict(`the primary ${topo.primary} answers: use a planned switchover (db switchover), not a failover`, { primary: topo.primary });
      oldAddress ||= formerPrimary(topo, servers);
      const obs = observationOf(topo, oldAddress, false, opts.errant ?? [], await receivedPositions(deps.config, topo));
      let chosen: string;
      if (opts.to) {
        if (opts.to === oldAddress) throw invalid(`to: ${opts.to} is the failed primary`, { field: 'to' });
        const t = obs.replicas.find((r) => r.endpoint === opts.to)!;
        const st = topo.servers.find((s) => s.address === opts.to)!;
        if (!t.reachable) throw conflict(`${opts.to} is unreachable: ${st.error ?? ''}`, { field: 'to' });
        if (t.errant) throw conflict(`${opts.to} has transactions the primary never had (errant GTIDs); promoting it would fork the data`, { field: 'to' });
        if (!t.gtid) throw conflict(`${opts.to} is not a usable replica (no replication, or its SQL thread failed)`, { field: 'to' });
        // no other reachable replica may be ahead: it could not replicate from the candidate
        const d = decide(
          { consecutiveFailures: 0, blockedSince: null },
          { ...obs, replicas: obs.replicas.map((r) => ({ ...r, ioConnected: false })) },
          {
            failuresNeeded: 1,
          },
        );
        if (d.decision.action === 'promote' && d.decision.candidate !== opts.to) {
          const best = obs.replicas.find((r) => r.endpoint === (d.decision as { candidate: string }).candidate);
          if (best?.gtid !== t.gtid) throw conflict(`${d.decision.candidate} is ahead of ${opts.to}; promote it instead`, { field: 'to' });
        }
        chosen = opts.to;
      } else {
        const d = decide({ consecutiveFailures: 0, blockedSince: null }, obs, { failuresNeeded: 1 });
        if (d.decision.action === 'none') throw conflict(`a replica still replicates from ${oldAddress}: the primary is alive for it (partition?); no failover`);
        if (d.decision.action === 'needs-person') throw conflict(`no replica can be promoted (${d.decision.reason}); a person must decide`, { reason: d.decision.reason });
        chosen = d.decision.candidate;
      }
      const t = servers.find((s) => s.address === chosen)!;
      dialect = dialectOf(topo.servers.find((s) => s.address === chosen)?.version ?? '');
      candidateDb = open(urlOn(deps.config.dbUrl, t));
      const restoring = await leaseHolder(candidateDb, deps.clock, LIVE_RESTORE_LEASE).catch(() => undefined);
      if (restoring) throw conflict('a live restore is running; fail over after it finishes', { lease: LIVE_RESTORE_LEASE });
      const switching = await leaseHolder(candidateDb, deps.clock, SWITCHOVER_LEASE).catch(() => undefined);
      if (switching) throw conflict(`a switchover or failover is running (${switching})`, { lease: SWITCHOVER_LEASE });
      return { detail: `${oldAddress} → ${chosen}`, value: t };
    });
    const to = target;

    await run('relay', to, async () => ({ detail: await waitRelayApplied(await conn(to), deps.relayTimeoutMs ?? 30_000), value: undefined }));

    const lease = await run('promote', to, async () => {
      const c = await conn(to);
      await c.query(dialect.stopReplica);
      await c.query(dialect.resetReplicaAll);
      promoted = true;
      for (const s of dialect.setReadOnly(false)) await c.query(s);
      const l = await acquireLease(candidateDb!, deps.clock, SWITCHOVER_LEASE, 'a failover', 60);
      return { detail: 'replication removed, read_only=0', value: l };
    });

    for (const s of servers) {
      if (s === to || s.address === oldAddress) continue;
      await run('repoint', s, async () => {
        const c = await conn(s);
        await c.query(dialect.stopReplica);
        await replicateFrom(c, dialect, to, cred);
        return { detail: `replicates from ${to.address}`, value: undefined };
      }).catch((e) => warnings.push(`repoint ${s.address}: ${safeMessage(e)}`));
    }

    const epoch = await run('publish', to, async () => {
      let e = 0;
      await candidateDb!.db.transaction().execute(async (trx) => {
        e = await publishTopology(trx, {
          primary: to.address,
          replicas: servers.filter((s) => s !== to).map((s) => s.address),
          at: deps.clock.now(),
          by: actor.actor,
          reason: `failover from ${oldAddress}: ${opts.reason}`,
        });
        await deps.audit.record(
          {
            ...base,
            target: `db:${to.address}`,
            result: 'success',
            details: {
              phase: 'finished',
              from: oldAddress,
              to: to.address,
              epoch: e,
              reason: opts.reason,
              steps: steps.map(({ step, server, ms, ok }) => ({ step, server, ms, ok })),
              warnings,
            },
          },
          trx,
        );
      });
      return { detail: `epoch ${e}`, value: e };
    });
    await lease.release().catch(() => undefined);

    const old = servers.find((s) => s.address === oldAddress);
    let fenced = false;
    if (old) {
      fenced = await run('fence', old, async () => ({ value: await fenceOldPrimary(deps.config, old, to), detail: 'read_only=1, replicates from the new primary' })).catch(() => {
        warnings.push(`fence ${oldAddress}: unreachable; the monitor makes it read-only and a replica when it answers`);
        return false;
      });
    }
    const summary = `数据库自动故障转移：${oldAddress} → ${to.address}（原因：${opts.reason}，拓扑版本 ${epoch}）${fenced ? '' : '；原主库尚未隔离，恢复后将自动设为只读从库'}${warnings.length ? `；需处理：${warnings.join('；')}` : ''}`;
    if (deps.announce) await announceWithRetry(deps.announce, summary, deps.log);
    return { from: oldAddress, to: to.address, epoch, fenced, steps, warnings, topology: await readTopology({ config: deps.config, timeoutMs: 1_000 }) };
  } catch (e) {
    const details = { phase: 'finished', from: oldAddress, to: target?.address, error: (e as Error)?.message ?? String(e), steps };
    // after promotion the audit goes where the platform writes next; before it, the (dead?) primary
    const where = promoted && candidateDb ? candidateDb.db : undefined;
    await deps.audit
      .record({ ...base, target: `db:${target?.address ?? opts.to ?? '?'}`, result: 'failure', details }, where)
      .catch((err: unknown) => deps.log?.error({ err: safeMessage(err), failover: details }, 'could not audit a failed failover'));
    if (!(e instanceof AppError)) throw new AppError('UNAVAILABLE', `failover failed at step "${steps.at(-1)?.step ?? 'check'}": ${safeMessage(e)}`, { step: steps.at(-1)?.step });
    throw e;
  } finally {
    for (const c of conns.values()) c.destroy();
    await candidateDb?.close().catch(() => undefined);
  }
}

/** The platform database follows the new primary within seconds: retry the notice until it is taken (20 s at most; then logged). */
async function announceWithRetry(announce: (summary: string) => Promise<void>, summary: string, log?: Logger): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await announce(summary);
    } catch (e) {
      if (Date.now() > deadline) return void log?.error({ err: safeMessage(e) }, 'failover notice not sent');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Waits until the replica applied everything its IO thread received: the SQL thread's position
 * (Relay_Master_Log_File / Exec_Master_Log_Pos) reached the IO thread's (Master_Log_File /
 * Read_Master_Log_Pos). A stopped SQL thread with an error fails at once.
 */
export async function waitRelayApplied(c: mysql.Connection, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const v = (r: Record<string, unknown>, ...names: string[]) => String(names.map((n) => r[n]).find((x) => x !== undefined && x !== null) ?? '');
  for (;;) {
    const [rows] = (await c.query('SHOW SLAVE STATUS')) as unknown as [Record<string, unknown>[]];
    const r = rows[0];
    if (!r) return 'not replicating';
    const read = `${v(r, 'Master_Log_File', 'Source_Log_File')}:${v(r, 'Read_Master_Log_Pos', 'Read_Source_Log_Pos')}`;
    const exec = `${v(r, 'Relay_Master_Log_File', 'Relay_Source_Log_File')}:${v(r, 'Exec_Master_Log_Pos', 'Exec_Source_Log_Pos')}`;
    if (read === exec) return `relay log applied (${exec})`;
    const sqlError = v(r, 'Last_SQL_Error');
    if (sqlError) throw conflict(`the candidate cannot apply its relay log: ${sqlError}`);
    if (v(r, 'Slave_SQL_Running', 'Replica_SQL_Running').toLowerCase() !== 'yes') await c.query('START SLAVE SQL_THREAD').catch(() => undefined);
    if (Date.now() > deadline) throw conflict(`the candidate did not apply its relay log within ${timeoutMs} ms (received ${read}, applied ${exec})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** CHANGE MASTER to `source` with the replication account, then START SLAVE; the server's error text may quote the password, so it is not passed on. */
async function replicateFrom(c: mysql.Connection, dialect: HaDialect, source: Pick<ServerRef, 'host' | 'port'>, cred: Credentials): Promise<void> {
  const ch = dialect.changeSource(source.host, source.port, cred.user, cred.password);
  try {
    await c.query(ch.sql, ch.params);
  } catch (e) {
    const err = e as { code?: string; errno?: number };
    throw new Error(`CHANGE MASTER failed (${err.code ?? 'error'} ${err.errno ?? ''})`);
  }
  await c.query(dialect.startReplica);
}

/**
 * Fences a former primary that answers: read_only=1, its client sessions ended, and a replica of
 * `newPrimary` (its own transactions kept as its replication position). Throws when it does not answer.
 * Returns true once done; a server already replicating from `newPrimary` is left alone.
 */
export async function fenceOldPrimary(config: HaConfig, old: Pick<ServerRef, 'host' | 'port'>, newPrimary: Pick<ServerRef, 'host' | 'port'>, timeoutMs = 1_000): Promise<boolean> {
  const cred = haCredentials(config);
  const c = await connect(old, cred, timeoutMs);
  try {
    const [[info]] = (await c.query('SELECT VERSION() AS v')) as unknown as [{ v: string }[]];
    const dialect = dialectOf(String(info?.v));
    for (const s of dialect.setReadOnly(true)) await c.query(s);
    const [rows] = (await c.query(dialect.clientConnections)) as unknown as [{ id: number }[]];
    for (const r of rows) await c.query(`KILL CONNECTION ${Number(r.id)}`).catch(() => undefined);
    const [status] = (await c.query(dialect.replicaStatus)) as unknown as [Record<string, unknown>[]];
    const st = status[0] ? dialect.parseReplicaStatus(status[0]) : undefined;
    if (st && st.sourceHost === newPrimary.host && st.sourcePort === newPrimary.port) return true;
    await c.query(dialect.stopReplica).catch(() => undefined);
    for (const s of dialect.prepareDemotion) await c.query(s);
    await replicateFrom(c, dialect, newPrimary, cred);
    return true;
  } finally {
    c.destroy();
  }
}
