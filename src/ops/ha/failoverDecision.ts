/**
 * When to fail over, and to whom (issue 12 item 4; manual §6.5.2, with its mistakes fixed): pure
 * functions over what the monitor observed, no I/O. The manual fires on one failed `SELECT 1`;
 * here the primary is dead only after `failuresNeeded` consecutive failed checks **and** when every
 * reachable replica agrees (its IO thread lost the primary) — a monitor cut off from a primary the
 * replicas still see (a partition) changes nothing. After a failover, another is blocked until a
 * person acknowledges it (anti-flapping). No usable replica, or replicas whose GTIDs diverge, is
 * never promoted: that needs a person (§6.5.3).
 */

/** A MariaDB GTID position `domain-server-seq[,…]` as the highest sequence per domain. */
export type GtidPosition = Map<number, { server: number; seq: bigint }>;

export function parseGtidPosition(text: string): GtidPosition {
  const out: GtidPosition = new Map();
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!m) throw new Error(`not a MariaDB GTID: ${part}`);
    out.set(Number(m[1]), { server: Number(m[2]), seq: BigInt(m[3]!) });
  }
  return out;
}

/** -1, 0, 1 when `a` is behind, equal to, ahead of `b` in every domain; null when each is ahead somewhere (diverged). */
export function compareGtid(a: GtidPosition, b: GtidPosition): -1 | 0 | 1 | null {
  let ahead = false;
  let behind = false;
  for (const d of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(d)?.seq ?? -1n;
    const y = b.get(d)?.seq ?? -1n;
    if (x > y) ahead = true;
    if (x < y) behind = true;
  }
  if (ahead && behind) return null;
  return ahead ? 1 : behind ? -1 : 0;
}

export interface ReplicaObservation {
  endpoint: string;
  reachable: boolean;
  /** Its IO thread is connected to the primary (Slave_IO_Running = Yes). */
  ioConnected: boolean;
  /** Transactions applied (gtid_current_pos), after its relay log; null when unknown. */
  gtid: string | null;
  /** Transactions the primary never had (found by the topology read); such a replica is not promoted. */
  errant: boolean;
}

export interface Observation {
  primaryReachable: boolean;
  replicas: ReplicaObservation[];
}

export interface MonitorState {
  consecutiveFailures: number;
  /** Set after a failover until a person acknowledges it. */
  blockedSince: string | null;
}

export type Decision =
  | { action: 'none'; reason: 'healthy' | 'suspect' | 'partition' }
  | { action: 'promote'; candidate: string; others: string[] }
  | { action: 'needs-person'; reason: 'blocked' | 'no-replica' | 'diverged' | 'errant' };

export const INITIAL_STATE: MonitorState = { consecutiveFailures: 0, blockedSince: null };

/** One monitor tick: the new state and what to do. */
export function decide(state: MonitorState, o: Observation, opts: { failuresNeeded: number }): { state: MonitorState; decision: Decision } {
  if (o.primaryReachable) return { state: { ...state, consecutiveFailures: 0 }, decision: { action: 'none', reason: 'healthy' } };
  const failures = state.consecutiveFailures + 1;
  const next = { ...state, consecutiveFailures: failures };
  if (failures < opts.failuresNeeded) return { state: next, decision: { action: 'none', reason: 'suspect' } };
  const reachable = o.replicas.filter((r) => r.reachable);
  // the replicas must agree: one that still replicates from the primary says it is alive
  if (reachable.some((r) => r.ioConnected)) return { state: next, decision: { action: 'none', reason: 'partition' } };
  if (state.blockedSince) return { state: next, decision: { action: 'needs-person', reason: 'blocked' } };
  const usable = reachable.filter((r) => r.gtid !== null);
  if (usable.length === 0) return { state: next, decision: { action: 'needs-person', reason: 'no-replica' } };
  const clean = usable.filter((r) => !r.errant);
  if (clean.length === 0) return { state: next, decision: { action: 'needs-person', reason: 'errant' } };
  // the most advanced: ahead of or equal to every other; none such → they diverged
  const positions = clean.map((r) => ({ r, pos: parseGtidPosition(r.gtid!) }));
  const best = positions.find((c) => positions.every((other) => compareGtid(c.pos, other.pos) !== -1 && compareGtid(c.pos, other.pos) !== null));
  if (!best) return { state: next, decision: { action: 'needs-person', reason: 'diverged' } };
  return {
    state: next,
    decision: { action: 'promote', candidate: best.r.endpoint, others: reachable.filter((r) => r.endpoint !== best.r.endpoint).map((r) => r.endpoint) },
  };
}
