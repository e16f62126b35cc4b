import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/appError.js';
import type { Clock } from '../infra/clock.js';
import type { Database } from '../infra/db/database.js';
import { toDbTime } from '../infra/db/time.js';
import { isUniqueViolation } from '../infra/db/uniqueViolation.js';
import { HOLDER, holderDead } from './holder.js';

/* Claims in the database that let replicas agree on who does a piece of work. */

/**
 * Claims `name` once: true for the first caller, false for everyone after (until the claim
 * expires). Used for one run per scheduled occurrence across replicas. Expired claims are swept.
 */
export async function claimOnce(database: Database, clock: Clock, name: string, ttlSeconds: number): Promise<boolean> {
  const now = clock.now();
  await database.db.deleteFrom('ops_locks').where('expires_at', '<', toDbTime(now)).execute();
  try {
    await database.db
      .insertInto('ops_locks')
      .values({ name, holder: HOLDER, expires_at: toDbTime(new Date(now.getTime() + ttlSeconds * 1000)) })
      .execute();
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
}

/**
 * A claim held for the length of an operation, or by a long-lived leader (the HA monitor), renewed
 * while it runs; it lapses within `ttlSeconds` of its process dying. Its holder is this process's
 * holder id (the one `claimOnce`, jobs and maintenance record) followed by `:<lease instance>`.
 */
export interface Lease {
  name: string;
  holder: string;
  /** True until the lease is released or lost. */
  held(): boolean;
  /** Extends the lease now (it is also renewed every third of its TTL); false once it is lost. */
  renew(): Promise<boolean>;
  /**
   * Settles when the lease is lost: another holder took it, or no renewal succeeded before it
   * expired (the database was unreachable). A leader must stop acting as one at once.
   */
  lost: Promise<void>;
  release(): Promise<void>;
}

export const LEASE_TTL_SECONDS = 15;

/** The holder of `name` when its claim has not expired (a dead process of this host holds nothing). */
export async function leaseHolder(database: Database, clock: Clock, name: string): Promise<string | undefined> {
  const row = await database.db.selectFrom('ops_locks').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
  if (!row || row.expires_at < toDbTime(clock.now()) || holderDead(row.holder)) return undefined;
  return row.holder;
}

/**
 * Takes the lease `name`, or throws CONFLICT naming who holds it. Renewed every third of its TTL
 * until `release` or until it is lost; a holder of this host whose process is gone is replaced at once.
 */
export async function acquireLease(database: Database, clock: Clock, name: string, what: string, ttlSeconds = LEASE_TTL_SECONDS): Promise<Lease> {
  const holder = `${HOLDER}:${randomUUID().slice(0, 8)}`;
  const expiry = () => new Date(clock.now().getTime() + ttlSeconds * 1000);
  const current = await database.db.selectFrom('ops_locks').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
  if (current && (current.expires_at < toDbTime(clock.now()) || holderDead(current.holder))) {
    await database.db.deleteFrom('ops_locks').where('name', '=', name).where('holder', '=', current.holder).execute();
  }
  let expiresAt = expiry();
  try {
    await database.db
      .insertInto('ops_locks')
      .values({ name, holder, expires_at: toDbTime(expiresAt) })
      .execute();
  } catch (e) {
    if (isUniqueViolation(e)) {
      const other = await leaseHolder(database, clock, name);
      throw new AppError('CONFLICT', `${what} is already running (${other ?? 'another process'}); wait for it to finish`, { lease: name, holder: other });
    }
    throw e;
  }
  let state: 'held' | 'lost' | 'released' = 'held';
  let markLost!: () => void;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  const lose = () => {
    if (state !== 'held') return;
    state = 'lost';
    clearInterval(timer);
    markLost();
  };
  const renew = async (): Promise<boolean> => {
    if (state !== 'held') return false;
    const next = expiry();
    try {
      const [r] = await database.db
        .updateTable('ops_locks')
        .set({ expires_at: toDbTime(next) })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .execute();
      // no row matched, or (MySQL without found-rows) nothing changed: ask who holds it
      const mine =
        Number(r?.numUpdatedRows ?? 0) > 0 || (await database.db.selectFrom('ops_locks').select('holder').where('name', '=', name).executeTakeFirst())?.holder === holder;
      if (!mine) {
        lose();
        return false;
      }
      expiresAt = next;
      return state === 'held';
    } catch {
      // the database did not answer: the lease stands until its expiry, then it is lost
      if (clock.now() >= expiresAt) lose();
      return false;
    }
  };
  const timer = setInterval(() => void renew(), (ttlSeconds * 1000) / 3);
  timer.unref();
  return {
    name,
    holder,
    held: () => state === 'held',
    renew,
    lost,
    async release() {
      const was = state;
      clearInterval(timer);
      state = 'released';
      if (was !== 'released') await database.db.deleteFrom('ops_locks').where('name', '=', name).where('holder', '=', holder).execute();
    },
  };
}
