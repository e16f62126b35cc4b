import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { AppError } from '../../errors/appError.js';

/**
 * The MySQL/MariaDB command-line tools the backup engine drives (detected at run time: the
 * MariaDB names first, then MySQL's) and the credentials they get — never on the command line
 * (manual §5.2's `-p12345678` is visible to every `ps`) and never left in a file: the 0600 option
 * file is opened, unlinked at once, and handed to the tool as an inherited descriptor
 * (`--defaults-extra-file=/dev/fd/3`), so nothing with a password remains on disk even when the
 * process is killed.
 */
const run = promisify(execFile);

export interface ToolSet {
  dump: string;
  binlog: string;
  client: string;
  versions: Record<string, string>;
}

let detected: Promise<ToolSet> | undefined;

async function firstAvailable(names: string[]): Promise<{ path: string; version: string }> {
  for (const name of names) {
    try {
      const { stdout } = await run(name, ['--version'], { timeout: 10_000 });
      return { path: name, version: stdout.trim() };
    } catch {
      // try the next name
    }
  }
  throw new AppError('UNAVAILABLE', `none of ${names.join(', ')} is installed (apt-get install mariadb-client)`);
}

export function detectTools(): Promise<ToolSet> {
  detected ??= (async () => {
    const [dump, binlog, client] = await Promise.all([
      firstAvailable(['mariadb-dump', 'mysqldump']),
      firstAvailable(['mariadb-binlog', 'mysqlbinlog']),
      firstAvailable(['mariadb', 'mysql']),
    ]);
    return { dump: dump.path, binlog: binlog.path, client: client.path, versions: { [dump.path]: dump.version, [binlog.path]: binlog.version, [client.path]: client.version } };
  })().catch((e: unknown) => {
    detected = undefined;
    throw e;
  });
  return detected;
}

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parseMysqlUrl(url: string): MysqlTarget {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  };
}

/** The platform database as far as finding the primary goes. */
interface FollowingDatabase {
  writeTarget?(): string;
  replicaStates(): readonly unknown[];
}

/**
 * The server backups and restores must talk to: MCP_DB_URL's account and database on the current
 * primary. With replicas configured (MCP_DB_REPLICA_URLS) the platform's pool follows the primary
 * — a switchover or failover moves it — while the URL still names the server it started on, so the
 * tools take the pool's write target. Without replicas the URL is used as it is.
 */
export function primaryUrl(ctx: { dbUrl: string; database: FollowingDatabase }): string {
  if (!ctx.database.replicaStates().length) return ctx.dbUrl;
  const m = /^(.+):(\d+)$/.exec(ctx.database.writeTarget?.() ?? '');
  if (!m) return ctx.dbUrl;
  const u = new URL(ctx.dbUrl);
  u.hostname = m[1]!;
  u.port = m[2]!;
  return u.toString();
}

export const primaryTarget = (ctx: { dbUrl: string; database: FollowingDatabase }): MysqlTarget => parseMysqlUrl(primaryUrl(ctx));

/** The `[client]` option text for a connection. */
export function clientOptions(t: MysqlTarget): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `[client]\nhost="${esc(t.host)}"\nport=${t.port}\nuser="${esc(t.user)}"\npassword="${esc(t.password)}"\n`;
}

/** A descriptor of a 0600 option file that no longer has a name (unlinked right after opening). */
function unlinkedOptionFile(t: MysqlTarget): number {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-mysql-'));
  try {
    const path = join(dir, 'client.cnf');
    writeFileSync(path, clientOptions(t), { mode: 0o600 });
    return openSync(path, 'r');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Spawns a tool with the connection's credentials on fd 3 (`--defaults-extra-file` must be the
 * first argument). `stdout` may be another process's stdin (an OS pipe node does not read). stderr is kept (last 4 KB) for the error message; `done` settles with the exit
 * status.
 */
export function spawnTool(
  tool: string,
  target: MysqlTarget,
  args: string[],
  opts: { stdin?: 'pipe' | 'ignore'; stdout?: 'pipe' | Writable; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; done: Promise<void>; stderr(): string } {
  const credentials = unlinkedOptionFile(target);
  let child: ChildProcess;
  try {
    child = spawn(tool, ['--defaults-extra-file=/dev/fd/3', ...args], {
      stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'pipe', 'pipe', credentials],
      env: { ...process.env, ...opts.env },
    });
  } finally {
    closeSync(credentials);
  }
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new AppError('UNAVAILABLE', `cannot run ${tool}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new AppError('INVALID', `${tool} failed (${signal ?? `exit ${code}`}): ${lastLines(stderr)}`));
    });
  });
  return { child, done, stderr: () => stderr };
}

const lastLines = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => !/Using a password on the command line/.test(l))
    .slice(-3)
    .join(' | ');
