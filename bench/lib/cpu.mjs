// CPU accounting from /proc (Linux) and Redis INFO: seconds used so far, read before and after a run.
import { readFileSync } from 'node:fs';
import { tryExec } from './children.mjs';

/** Clock ticks per second of /proc's CPU times. */
export const CLK_TCK = Number(tryExec('getconf', ['CLK_TCK'])) || 100;

/** CPU seconds (user + system, all threads) a process has used so far; undefined if unknown. */
export function procCpuSeconds(pid, part = 'both') {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [user, sys] = [Number(f[11]) / CLK_TCK, Number(f[12]) / CLK_TCK]; // utime, stime (fields 14, 15)
    return part === 'user' ? user : part === 'sys' ? sys : user + sys;
  } catch {
    return undefined;
  }
}

/** CPU seconds Redis has used so far (INFO cpu); undefined if unknown. */
export async function redisCpuSeconds(redis) {
  try {
    const info = await redis.info('cpu');
    const v = (k) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return v('used_cpu_user') + v('used_cpu_sys');
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores); undefined if unknown. */
export function machineBusySeconds() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f; // idle and iowait left out
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return undefined;
  }
}
