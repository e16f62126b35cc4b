import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { guardDir, guardProcess, releaseDir, releaseProcess } from './orphanGuard.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

/**
 * Private, throw-away MariaDB servers for tests that need binlogs, GTIDs, replication, crashes or
 * restarts. Each server is a separate `mariadbd` on a spare 127.0.0.1 port with its own datadir
 * under os.tmpdir(); the machine's shared MariaDB on 3306 is never touched (everything runs with
 * `--no-defaults`, so /etc/mysql is never read).
 *
 * The first server in a process runs `mariadb-install-db` once into a pristine datadir; every
 * server then starts from a `cp -a` copy of it (install ≈0.5 s once, then ≈0.2 s per server).
 *
 * Cleanup: servers are tracked; on process 'exit' they are SIGKILLed and their directories
 * removed. Because vitest ends fork workers with SIGTERM (no 'exit' event), a small detached
 * watchdog (`awk` reading a pipe from this process) also SIGKILLs leftover servers and removes
 * their directories when this process dies for any reason. Set MCP_TEST_KEEP_MARIADB=1 to keep the
 * directories (error logs, datadirs) of servers that were not destroyed.
 */
export interface MariadbServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly serverId: number;
  /** The server's datadir (`<root>/data`); socket, pid file and error log live in `<root>`. */
  readonly datadir: string;
  readonly socket: string;
  /** mysql://root@127.0.0.1:<port> (no database) */
  readonly rootUrl: string;
  /** mysql://root@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /**
   * Runs one statement as root over a shared mysql2/promise connection (reconnects after
   * stop/kill/start). SELECT-like statements give their rows; other statements give
   * `[ResultSetHeader]`.
   */
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Clean shutdown (SHUTDOWN statement; SIGTERM if that fails), waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL (crash simulation), waits for the process to exit. */
  kill(): Promise<void>;
  /** Starts again on the same port and datadir after stop()/kill(); no-op if running. */
  start(): Promise<void>;
  /** Stops (clean shutdown) if running and removes the datadir and everything else of this server. */
  destroy(): Promise<void>;
  /** true while the mariadbd process is alive. */
  readonly running: boolean;
  /** mariadbd error log path */
  readonly logFile: string;
}

export interface StartMariadbOptions {
  /** Default: a per-process counter starting at 101 (the shared server is 1). */
  serverId?: number;
  /** --log-bin=mysql-bin, ROW format, --log-slave-updates, --sync-binlog=1. Default true. */
  binlog?: boolean;
  /** Default true. */
  gtidStrictMode?: boolean;
  /** --read-only. Default false. */
  readOnly?: boolean;
  /** Appended to the mariadbd command line (later options win). */
  extraArgs?: string[];
  /** Readiness timeout in ms. Default 30 000. */
  startTimeoutMs?: number;
}

const MARIADBD = process.env.MCP_TEST_MARIADBD ?? 'mariadbd';
const INSTALL_DB = process.env.MCP_TEST_MARIADB_INSTALL_DB ?? 'mariadb-install-db';
const KEEP = process.env.MCP_TEST_KEEP_MARIADB === '1';
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const execFileAsync = promisify(execFile);

/** Options shared by install and every start, so the InnoDB files always match. */
const INNODB_ARGS = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M'];

// ---------------------------------------------------------------------------------------------
// Process tracking and cleanup (orphanGuard.ts)

function trackDir(dir: string, keepable: boolean): void {
  if (KEEP && keepable) return;
  guardDir(dir);
}

const untrackDir = releaseDir;

// ---------------------------------------------------------------------------------------------
// Helpers

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function tail(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}

async function logTail(file: string, lines = 30): Promise<string> {
  try {
    return tail(await readFile(file, 'utf8'), lines);
  } catch {
    return '(no error log)';
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let pristine: Promise<string> | undefined;

/** Installs system tables once per process into a pristine datadir that servers are copied from. */
function pristineDatadir(): Promise<string> {
  pristine ??= (async () => {
    const root = mkdtempSync(join(tmpdir(), 'mcp-mariadb-pristine-'));
    trackDir(root, false);
    const datadir = join(root, 'data');
    // install-db also creates root@<hostname>, which --skip-name-resolve servers warn about.
    const extra = join(root, 'extra.sql');
    writeFileSync(extra, "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1');\n");
    // A starting mariadbd removes every `#sql*` file in its tmpdir as a leftover of its own: with the
    // default /tmp, install-db's bootstrap server deleted the live temporary tables of the machine's
    // shared MariaDB ("Error on delete of '/tmp/#sql-temptable-…'"). A private tmpdir, as for the servers.
    const privateTmp = join(root, 'tmp');
    mkdirSync(privateTmp);
    const args = [
      '--no-defaults',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      `--datadir=${datadir}`,
      ...(IS_ROOT ? ['--user=root'] : []),
      `--extra-file=${extra}`,
      `--tmpdir=${privateTmp}`,
      ...INNODB_ARGS,
    ];
    try {
      await execFileAsync(INSTALL_DB, args, { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 });
    } catch (e) {
      pristine = undefined;
      const err = e as { message: string; stdout?: string; stderr?: string };
      throw new Error(`${INSTALL_DB} ${args.join(' ')} failed: ${err.message}\n${tail(`${err.stdout ?? ''}\n${err.stderr ?? ''}`)}`);
    }
    return datadir;
  })();
  return pristine;
}

let nextServerId = 101;

// ---------------------------------------------------------------------------------------------

class Server implements MariadbServer {
  readonly host = '127.0.0.1' as const;
  readonly datadir: string;
  readonly socket: string;
  readonly logFile: string;
  readonly pidFile: string;
  port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  private conn: Promise<mysql.Connection> | undefined;
  private destroyed = false;

  constructor(
    readonly root: string,
    readonly serverId: number,
    private readonly args: (port: number) => string[],
    private readonly startTimeoutMs: number,
  ) {
    this.datadir = join(root, 'data');
    this.socket = join(root, 'mysqld.sock');
    this.logFile = join(root, 'error.log');
    this.pidFile = join(root, 'mysqld.pid');
  }

  get rootUrl(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  url(database: string): string {
    return `${this.rootUrl}/${encodeURIComponent(database)}`;
  }

  private connect(): Promise<mysql.Connection> {
    return mysql.createConnection({
      host: '127.0.0.1',
      port: this.port,
      user: 'root',
      connectTimeout: 2_000,
      supportBigNumbers: true,
    });
  }

  async query<T = any>(sql: string, params?: unknown[], retried = false): Promise<T[]> {
    if (this.destroyed) throw new Error(`mariadb ${this.port} is destroyed`);
    if (!this.conn) {
      const pending = this.connect().then((c) => {
        // killed by the server (a switchover fences the old primary by killing client connections)
        const forget = () => {
          if (this.conn === pending) this.conn = undefined;
        };
        c.on('error', forget);
        c.on('end', forget);
        return c;
      });
      this.conn = pending;
      pending.catch(() => {
        if (this.conn === pending) this.conn = undefined;
      });
    }
    const pending = this.conn;
    const conn = await pending;
    try {
      const [rows] = await conn.query(sql, params);
      return (Array.isArray(rows) ? rows : [rows]) as T[];
    } catch (e) {
      // the cached connection was closed before this statement was sent: it never ran, so run it once on a new one
      if (!retried && /closed state/.test((e as Error).message)) {
        if (this.conn === pending) this.conn = undefined;
        return this.query<T>(sql, params, true);
      }
      throw e;
    }
  }

  private async closeConnection(): Promise<void> {
    const pending = this.conn;
    this.conn = undefined;
    if (!pending) return;
    try {
      (await pending).destroy();
    } catch {
      /* never connected */
    }
  }

  /** Spawns mariadbd and waits until root can connect over TCP. */
  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`mariadb ${this.port} is destroyed`);
    if (this.child) return;
    await rm(this.socket, { force: true });
    await rm(this.pidFile, { force: true });
    this.stderr = '';
    const child = spawn(MARIADBD, this.args(this.port), {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true, // own process group: a terminal ^C does not reach it; the watchdog/exit hook do
    });
    let spawnError: Error | undefined;
    let exitInfo: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (e) => {
        spawnError = e;
        resolve();
      });
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
    }).then(() => {
      if (child.pid !== undefined) releaseProcess(child.pid);
      if (this.child === child) this.child = undefined;
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-8_000);
    });
    (child.stderr as unknown as net.Socket).unref?.();
    child.unref();
    this.child = child;
    if (child.pid !== undefined) guardProcess(child.pid);

    const deadline = Date.now() + this.startTimeoutMs;
    let lastError = 'not tried';
    for (;;) {
      if (spawnError || exitInfo) {
        const why = spawnError ? `could not spawn ${MARIADBD}: ${spawnError.message}` : `mariadbd exited (${exitInfo})`;
        throw new Error(`${why} during startup on port ${this.port}\n--- stderr ---\n${tail(this.stderr)}\n--- ${this.logFile} ---\n${await logTail(this.logFile)}`);
      }
      try {
        const c = await this.connect();
        await c.query('SELECT 1');
        await c.end().catch(() => undefined);
        return;
      } catch (e) {
        lastError = (e as Error).message;
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `mariadbd on port ${this.port} not ready after ${this.startTimeoutMs} ms (last error: ${lastError})\n--- ${this.logFile} ---\n${await logTail(this.logFile)}`,
        );
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    await this.closeConnection();
    if (!child) return;
    try {
      const c = await this.connect();
      c.on('error', () => undefined);
      await c.query('SHUTDOWN').catch(() => undefined);
      c.destroy();
    } catch {
      child.kill('SIGTERM'); // mariadbd treats SIGTERM as a clean shutdown too
    }
    const done = await Promise.race([this.exited.then(() => true), sleep(60_000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(`mariadbd on port ${this.port} did not shut down within 60 s; killed\n${await logTail(this.logFile)}`);
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    await this.closeConnection();
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    try {
      await this.stop();
    } catch {
      await this.kill();
    }
    this.destroyed = true;
    await rm(this.root, { recursive: true, force: true });
    untrackDir(this.root);
  }
}

function isBindFailure(message: string): boolean {
  return /Address already in use|Can't start server: Bind on TCP\/IP port|Do you already have another (mysqld|mariadbd) server running/i.test(message);
}

/** Starts a private mariadbd (see the module comment); destroy() it when done. */
export async function startMariadb(opts: StartMariadbOptions = {}): Promise<MariadbServer> {
  const serverId = opts.serverId ?? nextServerId++;
  const binlog = opts.binlog ?? true;
  const gtidStrict = opts.gtidStrictMode ?? true;
  const source = await pristineDatadir();
  const root = mkdtempSync(join(tmpdir(), `mcp-mariadb-${serverId}-`));
  trackDir(root, true);
  const socket = join(root, 'mysqld.sock');
  if (Buffer.byteLength(socket) > 100) {
    throw new Error(`unix socket path too long (${socket}); set TMPDIR to a shorter directory`);
  }
  try {
    await execFileAsync('cp', ['-a', source, join(root, 'data')]);
    await mkdir(join(root, 'tmp'), { recursive: true });
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    untrackDir(root);
    throw e;
  }

  const args = (port: number): string[] => [
    '--no-defaults',
    `--datadir=${join(root, 'data')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${join(root, 'mysqld.pid')}`,
    `--log-error=${join(root, 'error.log')}`,
    // a private temp dir: other programs cleaning the shared /tmp must not remove its temp tables
    `--tmpdir=${join(root, 'tmp')}`,
    ...(IS_ROOT ? ['--user=root'] : []),
    `--server-id=${serverId}`,
    ...(binlog ? ['--log-bin=mysql-bin', '--binlog-format=ROW', '--log-slave-updates', '--sync-binlog=1'] : ['--skip-log-bin']),
    `--gtid-strict-mode=${gtidStrict ? 'ON' : 'OFF'}`,
    ...(opts.readOnly ? ['--read-only'] : []),
    '--relay-log=relay-bin', // stable relay log names (the default derives from the hostname)
    ...INNODB_ARGS,
    '--innodb-temp-data-file-path=ibtmp1:1M:autoextend', // default 12M is written out in full at every start
    '--innodb-buffer-pool-load-at-startup=OFF',
    '--innodb-buffer-pool-dump-at-shutdown=OFF',
    '--skip-name-resolve',
    '--max-connections=100',
    '--table-open-cache=400',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    ...(opts.extraArgs ?? []),
  ];

  const server = new Server(root, serverId, args, opts.startTimeoutMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    server.port = await freePort();
    try {
      await server.start();
      return server;
    } catch (e) {
      const message = (e as Error).message;
      if (attempt < 3 && isBindFailure(message)) {
        // Someone took the port between freePort() and bind: retry on another one with a fresh log.
        await rm(server.logFile, { force: true });
        continue;
      }
      await server.destroy().catch(() => undefined);
      throw e;
    }
  }
}

/** Runs fn with a fresh private server and destroys it afterwards. */
export async function withMariadb<T>(fn: (s: MariadbServer) => Promise<T>, opts?: StartMariadbOptions): Promise<T> {
  const server = await startMariadb(opts);
  try {
    return await fn(server);
  } finally {
    await server.destroy();
  }
}
