import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type net from 'node:net';

/**
 * Cleanup of what the test helpers start (private mariadbd, Redis + Sentinel, RabbitMQ nodes) even
 * when the test process dies however: a detached awk reads one line per change from our pipe —
 * "P pid" (a process), "G pid" (a process group), "D dir" (a directory), and the same in lower case
 * when released — and on EOF kills what is still registered, then removes the directories. Normal
 * exits are covered by an 'exit' hook too (and without awk, only by it).
 */
const WATCHDOG_AWK = `
$1 == "P" { pids[$2] = 1; next }
$1 == "p" { delete pids[$2]; next }
$1 == "G" { groups[$2] = 1; next }
$1 == "g" { delete groups[$2]; next }
$1 == "D" { dirs[substr($0, 3)] = 1; next }
$1 == "d" { delete dirs[substr($0, 3)]; next }
END {
  n = 0
  for (p in pids) { system("kill -9 " p " 2>/dev/null"); n++ }
  for (g in groups) { system("kill -9 -" g " 2>/dev/null"); n++ }
  if (n > 0) system("sleep 0.5")
  for (d in dirs) system("rm -rf '" d "'")
}`;

const processes = new Map<number, { group: boolean }>();
const dirs = new Set<string>();
let watchdog: ChildProcess | undefined;

function tell(line: string): void {
  if (!watchdog) {
    process.on('exit', () => {
      for (const [pid, o] of processes) kill(pid, o.group);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
    try {
      watchdog = spawn('awk', [WATCHDOG_AWK], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      watchdog.on('error', () => undefined);
      watchdog.stdin?.on('error', () => undefined);
      watchdog.unref();
      (watchdog.stdin as unknown as net.Socket | null)?.unref?.();
    } catch {
      return; // no awk: the 'exit' hook still covers normal exits
    }
  }
  watchdog.stdin?.write(`${line}\n`);
}

function kill(pid: number, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Kills `pid` (its whole process group with `group`) if the tests end without releasing it. */
export function guardProcess(pid: number, o: { group?: boolean } = {}): void {
  processes.set(pid, { group: o.group ?? false });
  tell(`${o.group ? 'G' : 'P'} ${pid}`);
}

/** The process ended or was stopped on purpose: nothing to clean up any more. */
export function releaseProcess(pid: number): void {
  const o = processes.get(pid);
  if (!o) return;
  processes.delete(pid);
  tell(`${o.group ? 'g' : 'p'} ${pid}`);
}

/** Removes `dir` if the tests end without releasing it. */
export function guardDir(dir: string): void {
  dirs.add(dir);
  tell(`D ${dir}`);
}

export function releaseDir(dir: string): void {
  if (dirs.delete(dir)) tell(`d ${dir}`);
}
