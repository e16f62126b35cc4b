import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cache } from '../infra/cache/cache.js';

/**
 * Maintenance mode (SPEC BAK-8: the app stays up but refuses writes while the database is being
 * restored, instead of the manual's `systemctl stop`). The flag lives where every replica sees it:
 * the shared cache, and a file in the data directory for the embedded single-host mode. Readiness
 * fails and API writes answer 503 MAINTENANCE while it is set.
 */
export interface MaintenanceState {
  reason: string;
  since: string;
}

export interface Maintenance {
  enter(reason: string): Promise<void>;
  exit(): Promise<void>;
  /** The current state (re-read at most once a second). */
  current(): Promise<MaintenanceState | undefined>;
}

const KEY = 'system:maintenance';
const TTL_SECONDS = 6 * 3600;

export function createMaintenance(deps: { cache: Cache; dataDir: string; now?: () => Date }): Maintenance {
  const file = join(deps.dataDir, 'maintenance.json');
  const now = deps.now ?? (() => new Date());
  let memo: { at: number; value: Promise<MaintenanceState | undefined> } | undefined;

  const read = async (): Promise<MaintenanceState | undefined> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as MaintenanceState;
    } catch {
      // no file: not in maintenance on this host
    }
    const cached = await deps.cache.get(KEY).catch(() => null);
    return cached ? (JSON.parse(cached) as MaintenanceState) : undefined;
  };

  return {
    async enter(reason) {
      const state: MaintenanceState = { reason, since: now().toISOString() };
      writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
      await deps.cache.set(KEY, JSON.stringify(state), TTL_SECONDS).catch(() => {});
      memo = undefined;
    },
    async exit() {
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
