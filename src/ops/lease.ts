import { hostname } from 'node:os';
import type { Clock } from '../infra/clock.js';
import type { Database } from '../infra/db/database.js';
import { toDbTime } from '../infra/db/time.js';

/** Claims in the database that let replicas agree on who does a piece of work. */
const HOLDER = `${hostname()}:${process.pid}`;

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
    const code = (e as { code?: string }).code ?? '';
    if (code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT')) return false;
    throw e;
  }
}
