import { hostname } from 'node:os';

/**
 * This process as `host:pid`: the holder recorded on a claim or lease (`ops_locks`), a job, a
 * running backup row (`backups.holder`), the maintenance flag and the binlog spool lock, so any
 * process of the same host can tell whether the holder is still alive.
 */
export const HOLDER = `${hostname()}:${process.pid}`;

/** `host:pid[:…]` of this host whose process is no longer running (another host's holder never is). */
export function holderDead(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname()) return false;
  const n = Number(pid);
  return n !== process.pid && !alive(n);
}

/** Whether a process of this host is still running. */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
