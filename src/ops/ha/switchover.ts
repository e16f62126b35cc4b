import type mysql from 'mysql2/promise';
import type { Logger } from 'pino';
import { AppError, conflict, invalid } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import { createDatabase, type Database } from '../../infra/db/database.js';
import type { Actor } from '../../services/actor.js';
import type { AuditLog } from '../../services/system/contract.js';
import { maintenanceRefusal } from '../audited.js';
import { LIVE_RESTORE_LEASE } from '../backup/databaseBackup.js';
import { acquireLease, leaseHolder, type Lease } from '../lease.js';
import type { Maintenance } from '../maintenance.js';
import { dialectOf, type HaDialect, mariadbDialect } from './dialect.js';
import { configuredServers, connect, haCredentials, type HaConfig, safeMessage, type ServerRef, urlOn } from './servers.js';
import { publishTopology, readTopology, type Topology } from './topology.js';

/**
 * Planned switchover (SPEC HA-2, manual §6.3.2, issue 12 item 2), in the order MaxScale's
 * mariadbmon and orchestrator's graceful takeover use:
 *  (a) fence the old primary: read_only, end every client session (SUPER ones too) but replication;
 *  (b) read its binlog position; (c) wait until the target applied it (MASTER_GTID_WAIT /
 *  WAIT_FOR_EXECUTED_GTID_SET) — on timeout abort: the old primary is made writable again and
 *  nothing else changed; (d) promote the target; (e) repoint the other replicas; (f) demote the old
 *  primary to a replica of the target; (g) publish the topology (db_topology, epoch + 1) on the new
 *  primary, where it replicates everywhere. Writes are refused from (a) to (d) only.
 *
 * The audit rows (`ops.db.switchover` started / finished) bracket it: `started` on the old primary
 * before (a), `finished` in the publishing transaction on the new primary (or on the old one when it
 * aborted), so no row is ever written to a demoted server.
 */
export interface SwitchoverDeps {
  config: HaConfig;
  /** The platform database (leases, the restore lease, the `started` audit row). */
  database: Database;
  audit: AuditLog;
  clock: Clock;
  log?: Logger;
  maintenance?: Maintenance;
  /** A short notice through the alerting pipeline; failures are logged, never fail the switchover. */
  announce?: (summary: string) => Promise<void>;
  /** Opens the platform database on another server (default: createDatabase with a 1-connection pool). */
  openDatabase?: (url: string) => Database;
}

export interface SwitchoverOptions {
  /** host:port of the replica to promote. */
  to: string;
  /** How long the target may take to apply the old primary's transactions (default 30). */
  timeoutSeconds?: number;
}

export interface SwitchoverStep {
  step: 'check' | 'fence' | 'position' | 'wait' | 'promote' | 'repoint' | 'demote' | 'publish' | 'abort';
  server?: string;
  startedAt: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface SwitchoverResult {
  from: string;
  to: string;
  epoch: number;
  /** Write-unavailable window: from fencing the old primary (a) to the target writable (d). */
  writeUnavailableMs: number;
  steps: SwitchoverStep[];
  /** Steps after promotion that failed (a replica not repointed …): the switchover stands, a person follows up. */
  warnings: string[];
  topology: Topology;
}

export const SWITCHOVER_LEASE = 'ha:switchover';
const ADDRESS = /^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$/;

export async function switchover(deps: SwitchoverDeps, actor: Actor, opts: SwitchoverOptions): Promise<SwitchoverResult> {
  if (typeof opts.to !== 'string' || !ADDRESS.test(opts.to)) throw invalid('to: expected HOST:PORT of a configured replica', { field: 'to' });
  const timeoutSeconds = opts.timeoutSeconds ?? 30;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600) throw invalid('timeoutSeconds: an integer from 1 to 3600', { field: 'timeoutSeconds' });
  const servers = configuredServers(deps.config);
  const target = servers.find((s) => s.address === opts.to);
  if (!target) throw invalid(`to: ${opts.to} is not a configured server (MCP_DB_URL, MCP_DB_REPLICA_URLS)`, { field: 'to', configured: servers.map((s) => s.address) });

  const m = deps.maintenance ? await deps.maintenance.current() : undefined;
  if (m) throw maintenanceRefusal(m);
  const restoring = await leaseHolder(deps.database, deps.clock, LIVE_RESTORE_LEASE);
  if (restoring) throw conflict('a live restore is running; switch over after it finishes', { lease: LIVE_RESTORE_LEASE });
  // long enough that it is not renewed (a write on the old primary) while the switch runs
  const lease = await acquireLease(deps.database, deps.clock, SWITCHOVER_LEASE, 'a switchover', Math.max(60, timeoutSeconds * 3 + 30));

  const base = { ...actor, action: 'ops.db.switchover', target: `db:${opts.to}` };
  const steps: SwitchoverStep[] = [];
  const warnings: string[] = [];
  const cred = haCredentials(deps.config);
  const conns = new Map<string, mysql.Connection>();
  const conn = async (s: ServerRef) => {
    let c = conns.get(s.address);
    if (!c) {
      c = await connect(s, cred, 3_000);
      conns.set(s.address, c);
    }
    return c;
  };
  const run = async (step: SwitchoverStep['step'], server: ServerRef | undefined, fn: () => Promise<string | undefined>): Promise<void> => {
    const started = Date.now();
    const entry: SwitchoverStep = { step, ...(server ? { server: server.address } : {}), startedAt: new Date(started).toISOString(), ms: 0, ok: false };
    steps.push(entry);
    try {
      const detail = await fn();
      entry.ok = true;
      if (detail) entry.detail = detail;
    } catch (e) {
      entry.detail = e instanceof AppError ? e.message : safeMessage(e);
      throw e;
    } finally {
      entry.ms = Date.now() - started;
      deps.log?.info({ operation: 'ops.db.switchover', ...entry }, `switchover step ${step}`);
    }
  };

  let from: ServerRef | undefined;
  let dialect: HaDialect = mariadbDialect;
  let fenced = false;
  let promoted = false;
  try {
    await deps.audit.record({ ...base, result: 'success', details: { phase: 'started', to: opts.to, timeoutSeconds } });

    await run('check', target, async () => {
      const topo = await readTopology({ config: deps.config });
      if (topo.splitBrain) throw conflict('several servers are writable (split brain); a person must decide which is the primary');
      if (!topo.primary) throw conflict('no writable primary among the configured servers');
      from = servers.find((s) => s.address === topo.primary);
      if (!from) throw conflict('the primary is not a configured server');
      const t = topo.servers.find((s) => s.address === target.address)!;
      if (t.address === topo.primary) throw invalid(`to: ${opts.to} is already the primary`, { field: 'to' });
      if (!t.reachable) throw conflict(`${opts.to} is unreachable: ${t.error ?? ''}`);
      const r = t.replication;
      if (!r || r.source !== from.address)
        throw conflict(`${opts.to} is not a replica of the primary ${from.address}${r ? ` (it replicates from ${r.source})` : ''}`, { field: 'to' });
      if (t.errantGtids)
        throw conflict(`${opts.to} has transactions the primary never had (errant GTIDs ${t.errantGtids}); promoting it would lose or fork data`, {
          field: 'to',
          errantGtids: t.errantGtids,
        });
      if (!r.ioRunning || !r.sqlRunning || r.lastIoError || r.lastSqlError)
        throw conflict(`${opts.to} is not a healthy replica (IO ${r.ioState}, SQL ${r.sqlRunning ? 'Yes' : 'No'}${r.lastSqlError ? `: ${r.lastSqlError}` : ''})`, { field: 'to' });
      const primaryState = topo.servers.find((s) => s.address === topo.primary)!;
      dialect = dialectOf(primaryState.version ?? '');
      return `${from.address} → ${opts.to}, ${t.gtidBehind ?? 0} transaction(s) behind`;
    });
    const old = from!;

    const fencedAt = Date.now();
    await run('fence', old, async () => {
      const c = await conn(old);
      fenced = true;
      for (const s of dialect.setReadOnly(true)) await c.query(s);
      const [rows] = (await c.query(dialect.clientConnections)) as unknown as [{ id: number }[]];
      let killed = 0;
      for (const r of rows) {
        try {
          await c.query(`KILL CONNECTION ${Number(r.id)}`);
          killed++;
        } catch {
          /* it ended by itself */
        }
      }
      return `read_only=1, ${killed} client connection(s) ended`;
    });

    let pos = '';
    await run('position', old, async () => {
      const [[row]] = (await (await conn(old)).query(dialect.positionQuery)) as unknown as [{ pos: string }[]];
      pos = String(row?.pos ?? '');
      return pos;
    });

    await run('wait', target, async () => {
      const w = dialect.waitForGtid(pos, timeoutSeconds);
      const [[row]] = (await (await conn(target)).query(w.sql, w.params)) as unknown as [{ w: number | null }[]];
      if (Number(row?.w) !== 0 || row?.w === null)
        throw new AppError(
          'CONFLICT',
          `switchover aborted at step "wait": ${opts.to} did not apply the primary's transactions (${pos}) within ${timeoutSeconds} s; the old primary is writable again`,
          {
            step: 'wait',
          },
        );
      return `applied ${pos}`;
    });

    await run('promote', target, async () => {
      const c = await conn(target);
      await c.query(dialect.stopReplica);
      await c.query(dialect.resetReplicaAll);
      promoted = true;
      for (const s of dialect.setReadOnly(false)) await c.query(s);
      return 'replication removed, read_only=0';
    });
    const writeUnavailableMs = Date.now() - fencedAt;

    const changeTo = async (c: mysql.Connection) => {
      const ch = dialect.changeSource(target.host, target.port, cred.user, cred.password);
      try {
        await c.query(ch.sql, ch.params);
      } catch (e) {
        const err = e as { code?: string; errno?: number };
        throw new Error(`CHANGE MASTER failed (${err.code ?? 'error'} ${err.errno ?? ''})`); // the server's text may quote the password
      }
      await c.query(dialect.startReplica);
    };
    for (const s of servers) {
      if (s === target || s === old) continue;
      await run('repoint', s, async () => {
        const c = await conn(s);
        await c.query(dialect.stopReplica);
        await changeTo(c);
        return `replicates from ${target.address}`;
      }).catch((e) => warnings.push(`repoint ${s.address}: ${safeMessage(e)}`));
    }
    await run('demote', old, async () => {
      const c = await conn(old);
      for (const s of dialect.prepareDemotion) await c.query(s);
      await changeTo(c);
      return `read_only=1, replicates from ${target.address}`;
    }).catch((e) => warnings.push(`demote ${old.address}: ${safeMessage(e)}`));

    let epoch = 0;
    await run('publish', target, async () => {
      const open = deps.openDatabase ?? ((url: string) => createDatabase(url, { size: 1, overflow: 0, timeoutSeconds: 5, recycleSeconds: 60 }));
      const db = open(urlOn(deps.config.dbUrl, target));
      try {
        await db.db.transaction().execute(async (trx) => {
          epoch = await publishTopology(trx, {
            primary: target.address,
            replicas: servers.filter((s) => s !== target).map((s) => s.address),
            at: deps.clock.now(),
            by: actor.actor,
            reason: `switchover from ${old.address}`,
          });
          await deps.audit.record(
            {
              ...base,
              result: 'success',
              details: {
                phase: 'finished',
                from: old.address,
                to: target.address,
                epoch,
                writeUnavailableMs,
                steps: steps.map(({ step, server, ms, ok }) => ({ step, server, ms, ok })),
                warnings,
              },
            },
            trx,
          );
          await trx.deleteFrom('ops_locks').where('name', '=', SWITCHOVER_LEASE).where('holder', '=', lease.holder).execute();
        });
      } finally {
        await db.close();
      }
      return `epoch ${epoch}`;
    });
    await settleLease(lease, old, target, conn, dialect);
    const summary = `数据库主从切换完成：${old.address} → ${target.address}（写入不可用 ${writeUnavailableMs} ms，拓扑版本 ${epoch}）${warnings.length ? `；需处理：${warnings.join('；')}` : ''}`;
    await deps.announce?.(summary).catch((e: unknown) => deps.log?.error({ err: safeMessage(e) }, 'switchover notice not sent'));
    return { from: old.address, to: target.address, epoch, writeUnavailableMs, steps, warnings, topology: await readTopology({ config: deps.config }) };
  } catch (e) {
    if (fenced && !promoted && from) {
      const old = from;
      await run('abort', old, async () => {
        const c = await conn(old);
        for (const s of dialect.setReadOnly(false)) await c.query(s);
        return 'old primary writable again';
      }).catch(() => undefined);
    }
    await deps.audit
      .record({
        ...base,
        result: 'failure',
        details: { phase: 'finished', error: (e as Error)?.message ?? String(e), steps: steps.map(({ step, server, ms, ok, detail }) => ({ step, server, ms, ok, detail })) },
      })
      .catch((err: unknown) => deps.log?.error({ err: safeMessage(err) }, 'could not audit a failed switchover'));
    await lease.release().catch(() => undefined);
    if (!(e instanceof AppError))
      throw new AppError('UNAVAILABLE', `switchover failed at step "${steps.at(-1)?.step ?? 'check'}": ${safeMessage(e)}`, { step: steps.at(-1)?.step });
    throw e;
  } finally {
    for (const c of conns.values()) c.destroy();
  }
}

/**
 * The lease row was deleted on the new primary; once the old primary applied that, releasing the
 * lease object only stops its timer (its DELETE matches nothing, so it writes nothing there).
 */
async function settleLease(lease: Lease, old: ServerRef, target: ServerRef, conn: (s: ServerRef) => Promise<mysql.Connection>, dialect: HaDialect): Promise<void> {
  try {
    const [[row]] = (await (await conn(target)).query(dialect.positionQuery)) as unknown as [{ pos: string }[]];
    const w = dialect.waitForGtid(String(row?.pos ?? ''), 5);
    const [[res]] = (await (await conn(old)).query(w.sql, w.params)) as unknown as [{ w: number | null }[]];
    if (Number(res?.w) !== 0) return; // not caught up: leave the lease to lapse (never write to the demoted server)
    await lease.release();
  } catch {
    /* the lease lapses by itself */
  }
}
