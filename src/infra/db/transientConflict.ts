/**
 * Whether a statement failed only because a concurrent transaction was in the way and running it
 * again can succeed: MySQL/MariaDB `ER_LOCK_DEADLOCK` (1213, the transaction was rolled back) and
 * `ER_LOCK_WAIT_TIMEOUT` (1205), SQLite `SQLITE_BUSY`.
 */
export function isTransientConflict(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY';
}

/** Runs `write` (a whole transaction) again after a transient conflict, up to `attempts` times in all, with a short random pause. */
export async function retryOnConflict<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (e) {
      if (!isTransientConflict(e) || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * i));
    }
  }
}
