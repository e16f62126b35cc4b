// bench/backup — where the CPU goes during a measured run (Linux /proc; no pidstat needed).
//
// A monitor samples /proc every `intervalMs` and keeps, per process of our own tree (this process
// and its descendants: mariadbd, mariadb-dump, gzip, zstd, the platform CLI's node and its children),
// the CPU seconds (user + system, all threads) used since the run started. A process that exits
// between two samples loses at most one interval of CPU (≤ 0.2 s by default). It also records the
// machine's busy and iowait time (/proc/stat) so the run can say how much CPU other work took
// (the machine is shared) and whether the disk was the bottleneck.
import { readdirSync, readFileSync } from 'node:fs';
import { CLK_TCK } from '../lib/cpu.mjs';

/** { busy, iowait } CPU seconds of the whole machine so far (all cores). */
export function machineSeconds() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, , iowait, irq, softirq, steal] = f;
    return { busy: (user + nice + system + irq + softirq + steal) / CLK_TCK, iowait: iowait / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** pid → { ppid, comm, cpu (s), start (clock ticks since boot) } for every process now. */
export function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // f[0] = state (field 3), f[1] = ppid (4), f[11] = utime (14), f[12] = stime (15), f[19] = starttime (22)
      table.set(Number(name), { ppid: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, start: Number(f[19]) });
    } catch {
      // exited while we looked
    }
  }
  return table;
}

/** The pids of `root` and all its descendants in `table`. */
function treeOf(table, root) {
  const children = new Map();
  for (const [pid, p] of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  const out = new Set([root]);
  const stack = [root];
  while (stack.length) for (const c of children.get(stack.pop()) ?? []) if (!out.has(c)) out.add(c), stack.push(c);
  return out;
}

/** CPU seconds the machine spent on work outside our process tree, over `seconds`; as % of one core. */
export async function othersBusyPct(seconds = 2, root = process.pid) {
  const m0 = machineSeconds();
  const t0 = processTable();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const m1 = machineSeconds();
  const t1 = processTable();
  const tree1 = treeOf(t1, root);
  let ours = 0;
  for (const pid of tree1) {
    const p = t1.get(pid);
    const before = t0.get(pid);
    ours += p.cpu - (before && before.start === p.start ? before.cpu : 0);
  }
  if (!m0 || !m1) return undefined;
  return (100 * Math.max(0, m1.busy - m0.busy - ours)) / seconds;
}

/**
 * Starts sampling; `stop()` returns { seconds, byProcess: [{ label, pid, cpu }], machineBusy,
 * iowait, ours, others } — CPU seconds over the run (machine figures over all cores).
 * `label(pid, p)` names a process (default: its comm).
 */
export function startMonitor({ root = process.pid, intervalMs = 200, label } = {}) {
  const t0 = process.hrtime.bigint();
  const m0 = machineSeconds();
  const first = processTable();
  const tree0 = treeOf(first, root);
  const seen = new Map(); // `${pid}:${start}` → { pid, comm, base, last }
  const take = (table) => {
    for (const pid of treeOf(table, root)) {
      const p = table.get(pid);
      if (!p) continue;
      const key = `${pid}:${p.start}`;
      let s = seen.get(key);
      if (!s) {
        // Present when the run started: count from there; started during the run: count it all.
        const base = tree0.has(pid) && first.get(pid)?.start === p.start ? first.get(pid).cpu : 0;
        s = { pid, ppid: p.ppid, comm: p.comm, base, last: p.cpu };
        seen.set(key, s);
      }
      s.last = p.cpu;
      s.comm = p.comm; // a forked child takes its real name at exec
    }
  };
  take(first);
  const timer = setInterval(() => take(processTable()), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      take(processTable());
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const m1 = machineSeconds();
      const byProcess = [...seen.values()]
        .map((s) => ({ label: label?.(s.pid, s) ?? s.comm, pid: s.pid, cpu: s.last - s.base }))
        .filter((p) => p.cpu > 0.005)
        .sort((a, b) => b.cpu - a.cpu);
      const ours = byProcess.reduce((n, p) => n + p.cpu, 0);
      const machineBusy = m0 && m1 ? m1.busy - m0.busy : undefined;
      const iowait = m0 && m1 ? m1.iowait - m0.iowait : undefined;
      return { seconds, byProcess, ours, machineBusy, iowait, others: machineBusy === undefined ? undefined : Math.max(0, machineBusy - ours) };
    },
  };
}

/** Sums a monitor result by label: [{ label, cpu, pct (of one core over the run) }]. */
export function byLabel(result) {
  const sums = new Map();
  for (const p of result.byProcess) sums.set(p.label, (sums.get(p.label) ?? 0) + p.cpu);
  return [...sums].map(([l, cpu]) => ({ label: l, cpu, pct: (100 * cpu) / result.seconds })).sort((a, b) => b.cpu - a.cpu);
}
