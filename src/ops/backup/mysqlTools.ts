import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../errors/appError.js';

/**
 * The MySQL/MariaDB command-line tools the backup engine drives (detected at run time: the
 * MariaDB names first, then MySQL's) and the credentials they get — always through a temporary
 * 0600 option file (`--defaults-extra-file`), never on the command line (manual §5.2's `-p12345678`
 * is visible to every `ps`).
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

/** A private option file with the connection's credentials; `dispose` removes it. */
export function optionFile(t: MysqlTarget): { path: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-mysql-'));
  const path = join(dir, 'client.cnf');
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  writeFileSync(path, `[client]\nhost="${esc(t.host)}"\nport=${t.port}\nuser="${esc(t.user)}"\npassword="${esc(t.password)}"\n`, { mode: 0o600 });
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Spawns a tool with the option file as its first argument (the tools require that position).
 * stderr is kept (last 4 KB) for the error message; `done` settles with the exit status.
 */
export function spawnTool(
  tool: string,
  defaultsFile: string,
  args: string[],
  opts: { stdin?: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; done: Promise<void>; stderr(): string } {
  const child = spawn(tool, [`--defaults-extra-file=${defaultsFile}`, ...args], {
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
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
