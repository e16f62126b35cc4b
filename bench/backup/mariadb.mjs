// bench/backup — a private, throw-away MariaDB server for the backup benchmark.
//
// The same approach as test/support/mariadbServer.ts (which plain node cannot import): a fresh
// datadir from `mariadb-install-db --no-defaults --auth-root-authentication-method=normal
// --skip-test-db`, then `mariadbd --no-defaults` on a spare 127.0.0.1 port with the binary log on
// (ROW, as the backup engine's --master-data/--gtid coordinates need), root without a password and
// nothing from /etc/mysql. Differences from the test harness: sized for a 1 GB data set (buffer
// pool, redo log, --innodb-io-capacity for an SSD) and tuned for fast loading
// (--innodb-flush-log-at-trx-commit=2, --sync-binlog=0).
//
// Cleanup: stop() SIGKILLs the server (its data is thrown away anyway) and destroy() removes its
// directory. If the benchmark process dies without cleaning up (SIGKILL, crash), a small detached
// watchdog (`awk` reading a pipe from this process: EOF = we died) kills the server and removes the
// directory.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort } from '../lib/children.mjs';

const execFileAsync = promisify(execFile);
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

// ---------------------------------------------------------------------------------------------
// Watchdog: "P pid" / "p pid" register / unregister a process, "D dir" / "d dir" a directory.

const WATCHDOG_AWK = `
$1 == "P" { pids[$2] = 1; next }
$1 == "p" { delete pids[$2]; next }
$1 == "D" { dirs[substr($0, 3)] = 1; next }
$1 == "d" { delete dirs[substr($0, 3)]; next }
END {
  n = 0
  for (p in pids) { system("kill -9 " p " 2>/dev/null"); n++ }
  if (n > 0) system("sleep 0.5")
  for (d in dirs) system("rm -rf '" d "'")
}`;
let watchdog;

/** Tells the watchdog about a process or directory to clean up should we die. */
export function tellWatchdog(line) {
  if (!watchdog) {
    try {
      watchdog = spawn('awk', [WATCHDOG_AWK], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      watchdog.on('error', () => undefined);
      watchdog.stdin.on('error', () => undefined);
      watchdog.unref();
      watchdog.stdin.unref?.();
    } catch {
      return;
    }
  }
  watchdog.stdin.write(`${line}\n`);
}

/** Closes the watchdog's pipe after everything was cleaned up (it then has nothing to do). */
export function releaseWatchdog() {
  watchdog?.stdin.end();
  watchdog = undefined;
}

const tail = (text, lines = 30) => text.split('\n').slice(-lines).join('\n');

/**
 * Starts a private mariadbd. Options: bufferPool ('1G'), redoLog ('512M'), serverId (901),
 * extraArgs ([]), tmpRoot (os.tmpdir()). Returns { port, root, datadir, socket, pid, logFile,
 * rootUrl, url(db), connect(opts), optionFile(), stop(), destroy() }.
 */
export async function startMariadb(opts = {}) {
  const bufferPool = opts.bufferPool ?? '1G';
  const redoLog = opts.redoLog ?? '512M';
  const serverId = opts.serverId ?? 901;
  const root = mkdtempSync(path.join(opts.tmpRoot ?? os.tmpdir(), 'mcp-bench-mariadb-'));
  tellWatchdog(`D ${root}`);
  const datadir = path.join(root, 'data');
  const socket = path.join(root, 'mysqld.sock');
  const logFile = path.join(root, 'error.log');
  const innodb = [`--innodb-buffer-pool-size=${bufferPool}`, `--innodb-log-file-size=${redoLog}`];

  // install-db also creates root@<hostname>, which --skip-name-resolve servers warn about.
  const extra = path.join(root, 'extra.sql');
  writeFileSync(extra, "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1');\n");
  // a starting mariadbd removes every `#sql*` file in its tmpdir: never the shared /tmp (the machine's
  // MariaDB keeps its live temporary tables there)
  const privateTmp = path.join(root, 'tmp');
  mkdirSync(privateTmp, { recursive: true });
  const installArgs = [
    '--no-defaults',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
    `--datadir=${datadir}`,
    ...(IS_ROOT ? ['--user=root'] : []),
    `--extra-file=${extra}`,
    `--tmpdir=${privateTmp}`,
    ...innodb,
  ];
  try {
    await execFileAsync('mariadb-install-db', installArgs, { timeout: 120_000, maxBuffer: 10 * 1024 * 1024 });
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    tellWatchdog(`d ${root}`);
    throw new Error(`mariadb-install-db failed: ${e.message}\n${tail(`${e.stdout ?? ''}\n${e.stderr ?? ''}`)}`);
  }

  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${path.join(root, 'mysqld.pid')}`,
    `--log-error=${logFile}`,
    `--tmpdir=${privateTmp}`,
    ...(IS_ROOT ? ['--user=root'] : []),
    `--server-id=${serverId}`,
    '--log-bin=mysql-bin',
    '--binlog-format=ROW',
    '--sync-binlog=0',
    '--innodb-flush-log-at-trx-commit=2',
    '--innodb-io-capacity=2000', // an SSD; the default 200 pages/s takes minutes to write out a 1 GB load
    '--innodb-io-capacity-max=8000',
    ...innodb,
    '--innodb-buffer-pool-load-at-startup=OFF',
    '--innodb-buffer-pool-dump-at-shutdown=OFF',
    '--max-allowed-packet=256M',
    `--secure-file-priv=${root}`,
    '--skip-name-resolve',
    '--max-connections=50',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    ...(opts.extraArgs ?? []),
  ];
  let stderr = '';
  const child = spawn('mariadbd', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  tellWatchdog(`P ${child.pid}`);
  let exitInfo;
  const exited = new Promise((resolve) => {
    child.once('error', (e) => resolve((exitInfo = `spawn error ${e.message}`)));
    child.once('exit', (code, signal) => resolve((exitInfo = signal ? `signal ${signal}` : `code ${code}`)));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
  child.stderr.unref?.();
  child.unref();

  const connect = (extraOpts = {}) =>
    createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 5000, supportBigNumbers: true, bigNumberStrings: false, ...extraOpts });

  const server = {
    port,
    root,
    datadir,
    socket,
    logFile,
    pid: child.pid,
    rootUrl: `mysql://root@127.0.0.1:${port}`,
    url: (db) => `mysql://root@127.0.0.1:${port}/${encodeURIComponent(db)}`,
    connect,
    /** A 0600 option file with the client credentials (`--defaults-extra-file`); lives in root. */
    optionFile() {
      const file = path.join(root, 'client.cnf');
      writeFileSync(file, `[client]\nhost=127.0.0.1\nport=${port}\nuser=root\npassword=""\n`, { mode: 0o600 });
      return file;
    },
    get running() {
      return exitInfo === undefined;
    },
    async errorLogTail(lines = 30) {
      try {
        return tail(await readFile(logFile, 'utf8'), lines);
      } catch {
        return '(no error log)';
      }
    },
    /** SIGKILL: the data is thrown away, so there is nothing to flush. */
    async stop() {
      if (exitInfo !== undefined) return;
      child.ref(); // keep the event loop alive until the exit is seen (it was unref'd at start)
      child.kill('SIGKILL');
      await exited;
      tellWatchdog(`p ${child.pid}`);
    },
    async destroy() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
      tellWatchdog(`d ${root}`);
    },
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  let lastError = 'not tried';
  for (;;) {
    if (exitInfo !== undefined) {
      const log = await server.errorLogTail();
      await server.destroy();
      throw new Error(`mariadbd exited (${exitInfo}) during startup on port ${port}\n--- stderr ---\n${tail(stderr)}\n--- error log ---\n${log}`);
    }
    try {
      const c = await connect({ connectTimeout: 2000 });
      await c.query('SELECT 1');
      await c.end().catch(() => undefined);
      return server;
    } catch (e) {
      lastError = e.message;
    }
    if (Date.now() > deadline) {
      const log = await server.errorLogTail();
      await server.destroy();
      throw new Error(`mariadbd on port ${port} not ready (last error: ${lastError})\n${log}`);
    }
    await sleep(100);
  }
}
