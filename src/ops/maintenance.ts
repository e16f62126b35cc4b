import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cache } from '../infra/cache/cache.js';
import { HOLDER, holderDead } from './holder.js';

/**
 * Maintenance mode (SPEC BAK-8: the app stays up but refuses writes while the database is being
 * restored, instead of the manual's `systemctl stop`). The flag lives where every replica sees it:
 * the shared cache, and a file in the data directory for the embedded single-host mode. Readiness
 * fails and API writes answer 503 MAINTENANCE while it is set.
 *
 * The flag belongs to the operation that set it (SPEC SEC-6): it carries an expiry that the
 * operation renews (`renew`) while it runs, and the process holding it. A flag past its expiry, or
 * held by a process of this host that is gone (kill -9), is off — it never outlives its job.
 */
export interface MaintenanceState {
  reason: string;
  since: string;
  /** The flag lapses at this time unless renewed. */
  expiresAt?: string;
  /** `host:pid` of the process that set it (in the stored flag only; `current()` leaves it out). */
  holder?: string;
  /** The job that set it, when there is one. */
  job?: string;
}

export interface Maintenance {
  enter(reason: string, opts?: { job?: string; ttlSeconds?: number }): Promise<void>;
  /** Pushes the expiry of the flag this process set forward by its TTL. */
  renew(): Promise<void>;
  exit(): Promise<void>;
  /** The current state (re-read at most once a second); a lapsed or orphaned flag is off. */
  current(): Promise<MaintenanceState | undefined>;
}

const KEY = 'system:maintenance';
/** Long enough to survive a stalled second, short enough that a dead job's flag is gone quickly. */
export const MAINTENANCE_TTL_SECONDS = 15;

export function createMaintenance(deps: { cache: Cache; dataDir: string; now?: () => Date }): Maintenance {
  const file = join(deps.dataDir, 'maintenance.json');
  const now = deps.now ?? (() => new Date());
  let memo: { at: number; value: Promise<MaintenanceState | undefined> } | undefined;
  let mine: { state: MaintenanceState; ttl: number } | undefined;

  const live = (s: MaintenanceState | undefined): MaintenanceState | undefined => {
    if (!s) return undefined;
    if (s.expiresAt && Date.parse(s.expiresAt) < now().getTime()) return undefined;
    if (s.holder && holderDead(s.holder)) return undefined;
    // the holder (host:pid) stays internal: /ready is public
    const { holder: _holder, ...visible } = s;
    return visible;
  };

  const read = async (): Promise<MaintenanceState | undefined> => {
    try {
      const s = live(JSON.parse(readFileSync(file, 'utf8')) as MaintenanceState);
      if (s) return s;
    } catch {
      // no file: not in maintenance on this host
    }
    const cached = await deps.cache.get(KEY).catch(() => null);
    return cached ? live(JSON.parse(cached) as MaintenanceState) : undefined;
  };

  const write = async (state: MaintenanceState, ttl: number) => {
    writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
    await deps.cache.set(KEY, JSON.stringify(state), ttl).catch(() => {});
    memo = undefined;
  };

  return {
    async enter(reason, opts = {}) {
      const ttl = opts.ttlSeconds ?? MAINTENANCE_TTL_SECONDS;
      const state: MaintenanceState = {
        reason,
        since: now().toISOString(),
        expiresAt: new Date(now().getTime() + ttl * 1000).toISOString(),
        holder: HOLDER,
        ...(opts.job ? { job: opts.job } : {}),
      };
      mine = { state, ttl };
      await write(state, ttl);
    },
    async renew() {
      if (!mine) return;
      mine.state = { ...mine.state, expiresAt: new Date(now().getTime() + mine.ttl * 1000).toISOString() };
      await write(mine.state, mine.ttl);
    },
    async exit() {
      mine = undefined;
      rmSync(file, { force: true });
      await deps.cache.del(KEY).catch(() => {});
      memo = undefined;
    },
    current() {
      if (!memo || Date.now() - memo.at > 1000) memo = { at: Date.now(), value: read() };
      return memo.value;
    },
  };
}
