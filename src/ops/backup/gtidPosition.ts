/*
 * MariaDB GTID positions as the backup chain uses them (issue 12 item 7): a binlog file's
 * Gtid_list (the GTID state before its first event), the state after its last event, a full
 * backup's gtid_slave_pos. A position keeps, per replication domain, the GTID with the highest
 * sequence number: with gtid_strict_mode (which MariaDB HA needs) sequence numbers only grow
 * within a domain, whichever server wrote them, so "applied up to" is one number per domain.
 */

export interface Gtid {
  domain: number;
  server: number;
  seq: number;
}

/** domain → the newest GTID in that domain. */
export type GtidPosition = Map<number, Gtid>;

const GTID = /(\d+)-(\d+)-(\d+)/g;

/** `0-1-5,0-2-9, 1-3-4` / `[0-1-5]` / `` → a position (the highest sequence per domain). */
export function parseGtidPosition(text: string | null | undefined): GtidPosition {
  const pos: GtidPosition = new Map();
  for (const m of (text ?? '').matchAll(GTID)) advance(pos, { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) });
  return pos;
}

/** Moves `pos` forward to include `g` (in place). */
export function advance(pos: GtidPosition, g: Gtid): void {
  const had = pos.get(g.domain);
  if (!had || g.seq > had.seq) pos.set(g.domain, g);
}

/** `0-1-5,1-3-4`, domains in order: what `mariadb-binlog --start-position` and gtid_slave_pos take. */
export function formatGtidPosition(pos: GtidPosition): string {
  return [...pos.values()]
    .sort((a, b) => a.domain - b.domain)
    .map((g) => `${g.domain}-${g.server}-${g.seq}`)
    .join(',');
}

/** The later of two positions, domain by domain. */
export function mergePositions(...all: GtidPosition[]): GtidPosition {
  const out: GtidPosition = new Map();
  for (const p of all) for (const g of p.values()) advance(out, g);
  return out;
}

/** Everything before `start` is in `applied`: replaying from `start` leaves no hole. */
export function covers(applied: GtidPosition, start: GtidPosition): boolean {
  for (const g of start.values()) if (g.seq > (applied.get(g.domain)?.seq ?? 0)) return false;
  return true;
}

/** `end` holds a transaction `applied` lacks. */
export function goesBeyond(end: GtidPosition, applied: GtidPosition): boolean {
  return !covers(applied, end);
}

/**
 * The transactions between `applied` and `start` that are nowhere, for an error message:
 * `0-1-8..0-2-11` (domain 0, after sequence 7 up to 11).
 */
export function missingRange(applied: GtidPosition, start: GtidPosition): string {
  const parts: string[] = [];
  for (const g of [...start.values()].sort((a, b) => a.domain - b.domain)) {
    const have = applied.get(g.domain)?.seq ?? 0;
    if (g.seq <= have) continue;
    parts.push(have + 1 === g.seq ? `${g.domain}-${g.server}-${g.seq}` : `${g.domain}-*-${have + 1}..${g.domain}-${g.server}-${g.seq}`);
  }
  return parts.join(', ');
}
