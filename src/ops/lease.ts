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

/** A claim held for the length of an operation, renewed while it runs; it lapses within `ttlSeconds` of its process dying. */
export interface Lease {
  name: string;
  holder: string;
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
 * Takes the lease `name` for one operation, or throws CONFLICT naming who holds it. Renewed every
 * third of its TTL until `release`; a holder of this host whose process is gone is replaced at once.
 */
export async function acquireLease(database: Database, clock: Clock, name: string, what: string, ttlSeconds = LEASE_TTL_SECONDS): Promise<Lease> {
  const holder = `${HOLDER}:${randomUUID().slice(0, 8)}`;
  const expires = () => toDbTime(new Date(clock.now().getTime() + ttlSeconds * 1000));
  const current = await database.db.selectFrom('ops_locks').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
  if (current && (current.expires_at < toDbTime(clock.now()) || holderDead(current.holder))) {
    await database.db.deleteFrom('ops_locks').where('name', '=', name).where('holder', '=', current.holder).execute();
  }
  try {
    await database.db.insertInto('ops_locks').values({ name, holder, expires_at: expires() }).execute();
  } catch (e) {
    if (isUniqueViolation(e)) {
      const other = await leaseHolder(database, clock, name);
      throw new AppError('CONFLICT', `${what} is already running (${other ?? 'another process'}); wait for it to finish`, { lease: name, holder: other });
    }
    throw e;
  }
  const timer = setInterval(() => {
    void database.db
      .updateTable('ops_locks')
      .set({ expires_at: expires() })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute()
      .catch(() => {});
  }, (ttlSeconds * 1000) / 3);
  timer.unref();
  return {
    name,
    holder,
    async release() {
      clearInterval(timer);
      await database.db.deleteFrom('ops_locks').where('name', '=', name).where('holder', '=', holder).execute();
    },
  };
}
