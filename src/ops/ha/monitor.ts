import type { Logger } from 'pino';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import { isoTime } from '../../infra/db/time.js';
import type { Actor } from '../../services/actor.js';
import type { AuditLog } from '../../services/system/contract.js';
import { acquireLease, type Lease, leaseHolder } from '../lease.js';
import { dialectOf } from './dialect.js';
import { type Decision, decide, INITIAL_STATE, type MonitorState } from './failoverDecision.js';
import {
  FAILOVER_ALERT,
  failover,
  type FailoverDeps,
  type FailoverResult,
  fenceOldPrimary,
  formerPrimary,
  NEEDS_PERSON_ALERT,
  observationOf,
  receivedPositions,
  SEMI_SYNC_ALERT,
} from './failover.js';
import type { haAlerter } from './announce.js';
import { configuredServers, connect, haCredentials, type HaConfig, safeMessage, serverOf } from './servers.js';
import { readTopology, type Topology } from './topology.js';

/**
 * The HA monitor (issue 12 item 4, SPEC HA-3; role `monitor`): every `intervalMs` it checks the
 * primary (connect + `SELECT 1`, 1 s timeout), reads the replicas (IO thread connected? GTIDs,
 * errant GTIDs), asks `decide()`, and acts — a failover, a "needs a person" alert, fencing a former
 * primary that came back. Only the holder of the lease `ha:monitor` acts; other monitors observe
 * and take over when its lease lapses.
 *
 * What it persists lives in the platform database, which replicates everywhere: the failover is a
 * db_topology row (reason `failover from …`) and its audit row; `ha ack` is an audit row
 * `ops.ha.ack` on target `ha:epoch:<epoch>`. The monitor is blocked (anti-flapping) while the newest
 * db_topology row is a failover nobody acknowledged — after a restart too.
 */
export const MONITOR_LEASE = 'ha:monitor';
const FAILOVER_REASON = /^failover from ([^:\s]+:\d+)/;

export interface MonitorDeps {
  config: HaConfig;
  /** The platform database (it follows the primary): the lease, the block, the audit. */
  database: Database;
  audit: AuditLog;
  clock: Clock;
  log?: Logger;
  intervalMs: number;
  failuresNeeded: number;
  /** Raises/resolves HA alerts through the alerting pipeline (retried until the database takes them). */
  alert?: ReturnType<typeof haAlerter>;
  actor?: Actor;
  openDatabase?: FailoverDeps['openDatabase'];
  relayTimeoutMs?: number;
  /**
   * Stores the alerts the alerting pipeline spooled to local disk while the database was down (they
   * were notified directly then); run every 5 s, so a monitor running without the web role replays too.
   */
  replaySpool?: () => Promise<number>;
  /** Called after every tick (the CLI prints changes). */
  onTick?: (s: MonitorStatus) => void;
}

export interface SemiSyncState {
  /** rpl_semi_sync_master_enabled on the primary. */
  enabled: boolean;
  /** Rpl_semi_sync_master_status: false when it fell back to asynchronous. */
  active: boolean | null;
}

export interface MonitorStatus {
  leader: boolean;
  primary: string | null;
  primaryReachable: boolean | null;
  consecutiveFailures: number;
  blockedSince: string | null;
  lastDecision: Decision | null;
  lastCheckAt: string | null;
  semiSync: SemiSyncState | null;
  /** A former primary not fenced yet (unreachable since the failover). */
  pendingFence: string | null;
  lastFailover: Pick<FailoverResult, 'from' | 'to' | 'epoch' | 'fenced' | 'warnings'> | null;
  lastError: string | null;
  /** Alerts waiting for the platform database (the primary is down). */
  pendingAlerts: number;
}

export interface RunningMonitor {
  name: 'monitor';
  status(): MonitorStatus;
  /** One check now (tests; the loop runs them by itself). */
  tick(): Promise<MonitorStatus>;
  done: Promise<void>;
  stop(): Promise<void>;
}

interface Published {
  epoch: number;
  primary: string;
  reason: string;
  changedAt: string;
  acknowledged: boolean;
}

/** The newest db_topology row and whether a person acknowledged it (null: none published). */
export async function readPublished(database: Database): Promise<Published | null> {
  const row = await database.db.selectFrom('db_topology').selectAll().orderBy('epoch', 'desc').limit(1).executeTakeFirst();
  if (!row) return null;
  const ack = await database.db.selectFrom('audit_log').select('seq').where('action', '=', 'ops.ha.ack').where('target', '=', `ha:epoch:${row.epoch}`).executeTakeFirst();
  return { epoch: Number(row.epoch), primary: row.primary_server, reason: row.reason, changedAt: isoTime(row.changed_at), acknowledged: !!ack };
}

/** Blocked since when (null: not blocked): the newest topology is a failover nobody acknowledged. */
export function blockedSinceOf(p: Published | null): string | null {
  return p && FAILOVER_REASON.test(p.reason) && !p.acknowledged ? p.changedAt : null;
}

/** Checks the primary: connect + SELECT 1 within `timeoutMs`, and its semi-sync state. */
export async function checkPrimary(config: HaConfig, address: string, timeoutMs: number): Promise<{ reachable: boolean; semiSync: SemiSyncState | null }> {
  const ref = serverOf(`mysql://${address}`, 'primary');
  let c: Awaited<ReturnType<typeof connect>> | undefined;
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref());
  try {
    c = await Promise.race([connect(ref, haCredentials(config), timeoutMs), timer]);
    const conn = c;
    await Promise.race([conn.query('SELECT 1'), timer]);
    let semiSync: SemiSyncState | null = null;
    try {
      const [vars] = (await conn.query("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_%_enabled'")) as unknown as [{ Variable_name: string; Value: string }[]];
      const enabled = vars.find((v) => /^rpl_semi_sync_(master|source)_enabled$/.test(v.Variable_name));
      if (enabled) {
        const [[ver]] = (await conn.query('SELECT VERSION() AS v')) as unknown as [{ v: string }[]];
        const [st] = (await conn.query(dialectOf(String(ver?.v)).semiSyncStatus)) as unknown as [{ Variable_name: string; Value: string }[]];
        semiSync = { enabled: enabled.Value.toUpperCase() === 'ON', active: dialectOf(String(ver?.v)).parseSemiSync(st).primary ?? null };
      }
    } catch {
      /* no semi-sync variables: not supported here */
    }
    return { reachable: true, semiSync };
  } catch {
    return { reachable: false, semiSync: null };
  } finally {
    c?.destroy();
  }
}

export function startMonitor(deps: MonitorDeps): RunningMonitor {
  const actor: Actor = deps.actor ?? { actorId: null, actor: 'ha-monitor', ip: null };
  const servers = configuredServers(deps.config);
  let state: MonitorState = { ...INITIAL_STATE };
  let lease: Lease | undefined;
  let primary: string | null = null;
  let errant: string[] = [];
  let pendingFence: string | null = null;
  let semiDegraded = false;
  let needsPerson: string | null = null;
  let needsPersonSummary = '';
  let lastReplay = 0;
  /** Alerts the database did not take yet (the primary is down): retried every tick, in order. */
  const outbox: (() => Promise<void>)[] = [];
  const status: MonitorStatus = {
    leader: false,
    primary: null,
    primaryReachable: null,
    consecutiveFailures: 0,
    blockedSince: null,
    lastDecision: null,
    lastCheckAt: null,
    semiSync: null,
    pendingFence: null,
    lastFailover: null,
    lastError: null,
    pendingAlerts: 0,
  };
  const alert = (name: string, severity: 'critical' | 'major', s: 'firing' | 'resolved', summary: string) => {
    const a = deps.alert;
    if (a) outbox.push(() => a(name, severity, s, summary));
  };
  const flushAlerts = async () => {
    while (outbox.length) {
      try {
        await outbox[0]!();
        outbox.shift();
        status.pendingAlerts = outbox.length;
      } catch (e) {
        status.pendingAlerts = outbox.length;
        status.lastError = `alert not recorded yet: ${safeMessage(e)}`;
        deps.log?.warn({ err: safeMessage(e), pending: outbox.length }, 'HA alert not recorded yet (database unavailable); retrying');
        return;
      }
    }
  };

  const lead = async (): Promise<boolean> => {
    if (lease?.held()) return true;
    lease = undefined;
    try {
      lease = await acquireLease(deps.database, deps.clock, MONITOR_LEASE, 'the HA monitor');
      deps.log?.info({ holder: lease.holder }, 'HA monitor: this process holds the lease and acts');
      return true;
    } catch {
      return false; // another monitor holds it, or the database does not answer
    }
  };

  const tick = async (): Promise<MonitorStatus> => {
    status.lastCheckAt = deps.clock.now().toISOString();
    status.leader = await lead();
    let published: Published | null | undefined;
    try {
      published = await readPublished(deps.database);
      state = { ...state, blockedSince: blockedSinceOf(published) };
    } catch {
      /* the platform database is on the dead primary: keep what we knew */
    }
    const topo: Topology = await readTopology({ config: deps.config, timeoutMs: 1_000 });
    if (topo.primary) {
      primary = topo.primary;
      errant = topo.servers.filter((s) => s.errantGtids).map((s) => s.address);
    } else if (published && servers.some((s) => s.address === published!.primary)) primary = published.primary;
    else primary ??= formerPrimary(topo, servers);
    // a former primary that answers again while writable (restarted): fence it
    const former = published ? FAILOVER_REASON.exec(published.reason)?.[1] : undefined;
    if (former && former !== primary) {
      const s = topo.servers.find((x) => x.address === former);
      if (s?.reachable && (s.readOnly === false || !s.replication)) pendingFence = former;
    }
    const check = await checkPrimary(deps.config, primary, 1_000);
    status.primary = primary;
    status.primaryReachable = check.reachable;
    status.semiSync = check.semiSync;
    // what the replicas received counts only when the primary is gone (one more read per replica then)
    const received = check.reachable ? undefined : await receivedPositions(deps.config, topo);
    const d = decide(state, observationOf(topo, primary, check.reachable, errant, received), { failuresNeeded: deps.failuresNeeded });
    state = d.state;
    status.consecutiveFailures = state.consecutiveFailures;
    status.lastDecision = d.decision;
    if (!status.leader) {
      status.blockedSince = state.blockedSince;
      return { ...status };
    }

    // semi-synchronous replication fell back to asynchronous
    const degraded = !!check.semiSync?.enabled && check.semiSync.active === false;
    if (degraded !== semiDegraded) {
      semiDegraded = degraded;
      alert(
        SEMI_SYNC_ALERT,
        'major',
        degraded ? 'firing' : 'resolved',
        degraded ? `主库 ${primary} 的半同步复制已降级为异步：主库崩溃时已确认的写入可能丢失` : `主库 ${primary} 的半同步复制已恢复`,
      );
    }

    const decision = d.decision;
    if (decision.action === 'promote') {
      const from = primary;
      try {
        const res = await failover(
          {
            config: deps.config,
            audit: deps.audit,
            clock: deps.clock,
            ...(deps.log ? { log: deps.log } : {}),
            ...(deps.openDatabase ? { openDatabase: deps.openDatabase } : {}),
            ...(deps.relayTimeoutMs ? { relayTimeoutMs: deps.relayTimeoutMs } : {}),
          },
          actor,
          { to: decision.candidate, from, errant, reason: `${deps.failuresNeeded} consecutive failed checks, replicas lost the primary` },
        );
        primary = res.to;
        status.primary = primary;
        pendingFence = res.fenced ? null : from;
        state = { consecutiveFailures: 0, blockedSince: deps.clock.now().toISOString() };
        status.lastFailover = { from: res.from, to: res.to, epoch: res.epoch, fenced: res.fenced, warnings: res.warnings };
        status.lastError = null;
        alert(
          FAILOVER_ALERT,
          'critical',
          'firing',
          `数据库自动故障转移：${res.from} → ${res.to}（拓扑版本 ${res.epoch}）${res.fenced ? '' : '；原主库无法连接，恢复后将自动设为只读从库'}。请确认后执行 ha ack 解除故障转移锁定`,
        );
      } catch (e) {
        status.lastError = safeMessage(e);
        deps.log?.error({ err: status.lastError }, 'automatic failover failed');
        if (needsPerson !== 'failover-failed') {
          needsPerson = 'failover-failed';
          needsPersonSummary = `主库 ${from} 无法连接，自动故障转移失败：${status.lastError}`;
          alert(NEEDS_PERSON_ALERT, 'critical', 'firing', needsPersonSummary);
        }
      }
    } else if (decision.action === 'needs-person') {
      if (needsPerson !== decision.reason) {
        needsPerson = decision.reason;
        const why = {
          blocked: '上次故障转移后尚未确认（ha ack），为防止反复切换不再自动转移',
          'no-replica': '没有可用的从库',
          errant: '从库含有主库没有的事务（错误 GTID），提升会分叉数据',
          diverged: '从库的 GTID 相互分叉，无法确定最新的从库',
        }[decision.reason];
        deps.log?.error({ primary, reason: decision.reason }, 'the primary is down and no failover is possible: a person must act');
        needsPersonSummary = `主库 ${primary} 无法连接，未自动故障转移：${why}`;
        alert(NEEDS_PERSON_ALERT, 'critical', 'firing', needsPersonSummary);
      }
    } else if (decision.reason === 'healthy' && needsPerson) {
      needsPerson = null;
      alert(NEEDS_PERSON_ALERT, 'critical', 'resolved', needsPersonSummary); // resolved, with what fired
    }

    if (pendingFence && primary && pendingFence !== primary) {
      const old = servers.find((s) => s.address === pendingFence);
      const to = servers.find((s) => s.address === primary);
      if (old && to) {
        try {
          await fenceOldPrimary(deps.config, old, to);
          deps.log?.warn({ server: old.address, primary: to.address }, 'former primary fenced: read-only, replicating from the new primary');
          pendingFence = null;
        } catch {
          /* still unreachable: next tick */
        }
      }
    }
    status.pendingFence = pendingFence;
    status.blockedSince = state.blockedSince;
    await flushAlerts();
    if (deps.replaySpool && Date.now() - lastReplay >= 5_000) {
      lastReplay = Date.now();
      await deps.replaySpool().catch(() => 0);
    }
    return { ...status };
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const done = (async () => {
    while (!stopped) {
      try {
        const s = await tick(); // not inside `onTick?.(…)`: an absent onTick would skip the tick
        deps.onTick?.(s);
      } catch (e) {
        status.lastError = safeMessage(e);
        deps.log?.error({ err: status.lastError }, 'HA monitor check failed');
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, deps.intervalMs);
      });
    }
    await lease?.release().catch(() => undefined);
  })();
  return {
    name: 'monitor',
    status: () => ({ ...status }),
    tick,
    done,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}

/** What `GET /api/ops/ha/monitor` and `ha status` show from any process: the lease holder, the block, the last failover, semi-sync. */
export async function monitorState(database: Database, clock: Clock, o: { config?: HaConfig; local?: RunningMonitor | undefined } = {}) {
  if (o.config) configuredServers(o.config); // INVALID on SQLite: there is no replication to watch
  const published = await readPublished(database);
  const former = published ? FAILOVER_REASON.exec(published.reason)?.[1] : undefined;
  const primary = published?.primary ?? (o.config ? configuredServers(o.config)[0]!.address : null);
  return {
    monitor: (await leaseHolder(database, clock, MONITOR_LEASE)) ?? null,
    epoch: published?.epoch ?? null,
    primary,
    blockedSince: blockedSinceOf(published),
    lastFailover: former && published ? { epoch: published.epoch, from: former, to: published.primary, at: published.changedAt, reason: published.reason } : null,
    /** The primary's semi-synchronous replication: enabled, and active (false: fell back to asynchronous). */
    semiSync: o.config && primary ? (await checkPrimary(o.config, primary, 1_000)).semiSync : null,
    /** The monitor of this process (null when it runs elsewhere: its decisions are in its log). */
    local: o.local ? o.local.status() : null,
  };
}

/** `ha ack`: a person acknowledges the last failover; the monitor may fail over again. */
export async function ackFailover(deps: { database: Database; audit: AuditLog }, actor: Actor): Promise<{ acknowledged: number | null; blockedSince: string | null }> {
  const published = await readPublished(deps.database);
  const since = blockedSinceOf(published);
  if (!published || !since) return { acknowledged: null, blockedSince: null };
  await deps.audit.record({ ...actor, action: 'ops.ha.ack', target: `ha:epoch:${published.epoch}`, result: 'success', details: { blockedSince: since, reason: published.reason } });
  return { acknowledged: published.epoch, blockedSince: since };
}
