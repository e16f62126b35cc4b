#!/usr/bin/env node
// bench/backup — the platform's full backup and restore against plain mariadb-dump, one run.
//
//   npm run build && node bench/backup/run.mjs                  (1 GiB of data, the default)
//   BENCH_BACKUP_MB=128 node bench/backup/run.mjs               (quick check while developing)
//
// What it does, all against a private mariadbd of its own (never the shared server on 3306):
//   1. starts mariadbd (bench/backup/mariadb.mjs: binlog on, ROW; 1 GiB buffer pool; loading-
//      friendly durability), runs `node dist/cli/main.js migrate` to create the platform schema in
//      `mcp_platform`, then adds three bulk tables (bench/backup/datagen.mjs: an event log,
//      documents, metric samples; PRNG vocabulary text, compresses ≈ 3–4x) loaded by LOAD DATA
//      INFILE until SUM(data_length + index_length) of the schema is BENCH_BACKUP_MB MiB;
//   2. backups, measured in one run with the same credentials (a 0600 option file,
//      --defaults-extra-file):
//        (a) mariadb-dump --single-transaction --routines --triggers --events --master-data=2 --gtid mcp_platform > file
//        (b) the same | gzip > file.gz                       (the manual's pipeline)
//        (c) node dist/cli/main.js backup full --json         (ours: mariadb-dump | zstd | AES-256-GCM | SHA-256)
//      and, as a reference without a target, (f) mariadb-dump … | zstd -1 -T1 > file.zst (our
//      compression without node in the data path and without encryption);
//   3. restores: (d) mariadb bench_plain < (a)'s file, (e) node dist/cli/main.js restore latest
//      --target-db bench_restored --json;
//   4. checks that both restored databases hold the source's rows (COUNT(*) of every table,
//      CHECKSUM TABLE of the bulk tables);
//   5. prints the tables, MET/MISSED per target and, for every measured run, where the CPU went
//      (per process, from /proc: mariadbd, mariadb-dump, gzip, zstd, the CLI's node, mariadb)
//      plus the machine's iowait and the CPU other work took; removes everything it created
//      (server, datadir, dumps, backups) on success, failure or a signal.
//
// Targets: (c)/(a) ≤ 1.2x time; (b)/(c) ≥ 3x time; (e)/(d) ≤ 1.1x time; RTO of 1 GiB, (e)
// extrapolated linearly from the measured size, < 2 min.
// Times are wall-clock seconds of the whole command (process start to exit), as an operator sees
// them; the CLI's own figures (backup row started_at/finished_at, restore durationMs) are shown
// beside them.
//
// Settings (environment):
//   BENCH_BACKUP_MB=1024        logical size to generate (MiB of data_length + index_length)
//   BENCH_ROUNDS=1              measured rounds; each runs a, b, c, f then d, e (odd rounds) or the
//                               reverse order (even rounds); verdicts use the median per-round ratio
//   BENCH_WAIT_QUIET=600        before each measured run, wait up to this many seconds until other
//                               work (outside this process tree) takes < 20 % of one core, and
//                               repeat a run during which it took > 25 % of a core (up to
//                               BENCH_NOISE_RETRIES times); 0 = off
//   BENCH_NOISE_RETRIES=2
//   BENCH_BUFFER_POOL=1G        mariadbd --innodb-buffer-pool-size
//   BENCH_REDO_LOG=512M         mariadbd --innodb-log-file-size
//   BENCH_TMPDIR=$TMPDIR        where the server, dumps and backups go (needs ≈ 6x BENCH_BACKUP_MB free)
//   BENCH_CHECKSUM=1            also compare CHECKSUM TABLE of the bulk tables (0 = counts only)
//   BENCH_CPU_PROF=<dir>        run the platform CLI under `node --cpu-prof`, keep the profiles in
//                               <dir> and print where the CLI's main thread spends its time
//                               (bench/api/profile-summary.mjs); profiling slows the CLI a little
//   BENCH_JSON=<file>           also write the results as JSON
//   BENCH_ENFORCE_TARGET=1      exit 3 when a target is missed
//   BENCH_STEP_TIMEOUT=3600     seconds any one command may take before it is killed (and the run fails)
//   BENCH_KEEP=1                keep the directories (not the server) for inspection
// Exit code: 0 when every step ran and the restored data matched, 1 otherwise, 3 with
// BENCH_ENFORCE_TARGET=1 and a missed target, 130 when interrupted.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TABLES, tableGenerator } from './datagen.mjs';
import { releaseWatchdog, startMariadb, tellWatchdog } from './mariadb.mjs';
import { byLabel, othersBusyPct, startMonitor } from './procstat.mjs';
import { formatSummary, summarize } from '../api/profile-summary.mjs';
import { ROOT, tryExec } from '../lib/children.mjs';
import { createCleanup, stopOnSignals } from '../lib/cleanup.mjs';
import { fmt, median, out, progressLine } from '../lib/report.mjs';
import { BenchError, intEnv } from '../lib/settings.mjs';

const CLI = path.join(ROOT, 'dist/cli/main.js');
const MiB = 2 ** 20;
const DB = 'mcp_platform';
const PLAIN_DB = 'bench_plain';
const RESTORED_DB = 'bench_restored';
const DUMP_ARGS = ['--single-transaction', '--routines', '--triggers', '--events', '--master-data=2', '--gtid', DB];
const QUIET_PCT = 20; // % of one core other work may use before a measured run starts
const NOISE_PCT = 25; // % of one core other work may use during a run before it is repeated
const TARGETS = { backupVsPlain: 1.2, gzipVsOurs: 3, restoreVsPlain: 1.1, rtoSeconds: 120 };

function readSettings() {
  const size = (name, def) => {
    const v = process.env[name] || def;
    if (!/^\d+[KMG]?$/i.test(v)) throw new BenchError(`${name} must look like 1G or 512M, got "${v}"`);
    return v;
  };
  return {
    mb: intEnv('BENCH_BACKUP_MB', 1024, 8, 65536),
    rounds: intEnv('BENCH_ROUNDS', 1, 1, 20),
    waitQuiet: intEnv('BENCH_WAIT_QUIET', 600, 0, 7200),
    noiseRetries: intEnv('BENCH_NOISE_RETRIES', 2, 0, 10),
    bufferPool: size('BENCH_BUFFER_POOL', '1G'),
    redoLog: size('BENCH_REDO_LOG', '512M'),
    tmp: path.resolve(process.env.BENCH_TMPDIR || os.tmpdir()),
    checksum: process.env.BENCH_CHECKSUM !== '0',
    jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
    cpuProfDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined,
    enforce: process.env.BENCH_ENFORCE_TARGET === '1',
    keep: process.env.BENCH_KEEP === '1',
    stepTimeout: intEnv('BENCH_STEP_TIMEOUT', 3600, 10, 86400),
  };
}

// ---------------------------------------------------------------------------------------------
// Output: progress on stderr, the report on stdout.

const progress = progressLine('bench');
const mib = (bytes, d = 1) => fmt(bytes / MiB, d);

// ---------------------------------------------------------------------------------------------
// Cleanup: registered steps run once, last registered first, on success, failure or a signal.

const { onCleanup, cleanup, cleanupFailed } = createCleanup(progress);
// Registered first, so it runs last: the watchdog goes only when everything else was cleaned up.
onCleanup('release the watchdog', () => {
  if (!cleanupFailed()) releaseWatchdog();
});

const running = new Set(); // child processes to kill on a signal
let stepTimeoutMs = 3600_000;

/** Kills `child` when it runs longer than the step timeout; returns a function that cancels that. */
function guard(child, what) {
  const timer = setTimeout(() => {
    progress(`${what} still running after ${stepTimeoutMs / 1000} s; killing it`);
    child.kill('SIGKILL');
  }, stepTimeoutMs);
  timer.unref();
  return () => clearTimeout(timer);
}
let interrupted = false;
stopOnSignals(progress, cleanup, () => {
  interrupted = true;
  for (const c of running) c.kill('SIGTERM');
});

// ---------------------------------------------------------------------------------------------
// Child processes

/**
 * Runs a command to completion. stdio: { stdin: fd | 'ignore', stdout: fd | 'pipe' | 'ignore' }.
 * Resolves { code, signal, stdout (when piped), stderr (tail) }; never rejects on a non-zero exit.
 */
function runProcess(cmd, args, { stdin = 'ignore', stdout = 'pipe', env, cwd = ROOT } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: [stdin, stdout, 'pipe'] });
    running.add(child);
    const unguard = guard(
      child,
      `${path.basename(cmd)} ${args
        .filter((a) => !a.startsWith('--defaults'))
        .slice(0, 3)
        .join(' ')}`,
    );
    let so = '';
    let se = '';
    child.stdout?.on('data', (d) => (so = (so + d.toString()).slice(-1_000_000)));
    child.stderr.on('data', (d) => (se = (se + d.toString()).slice(-8000)));
    child.once('error', (e) => {
      running.delete(child);
      unguard();
      resolve({ code: -1, signal: null, stdout: so, stderr: `${se}\nspawn error: ${e.message}` });
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      unguard();
      resolve({ code, signal, stdout: so, stderr: se });
    });
  });
}

function check(result, what) {
  if (result.code !== 0) {
    throw new BenchError(`${what} failed (${result.signal ? `signal ${result.signal}` : `exit ${result.code}`}):\n  ${result.stderr.trim().split('\n').slice(-8).join('\n  ')}`);
  }
  return result;
}

/**
 * `mariadb-dump … | <cmd> <args> > file` (gzip, zstd): the two processes connected by an OS pipe,
 * as a shell would; node is not in the data path.
 */
function runDumpPipe(optFile, file, cmd, args) {
  return new Promise((resolve, reject) => {
    const fd = openSync(file, 'w', 0o600);
    const dump = spawn('mariadb-dump', [`--defaults-extra-file=${optFile}`, ...DUMP_ARGS], { stdio: ['ignore', 'pipe', 'pipe'] });
    const comp = spawn(cmd, args, { stdio: [dump.stdout, fd, 'pipe'] });
    dump.stdout.destroy(); // the compressor holds the read end now
    closeSync(fd);
    running.add(dump).add(comp);
    const unguard = [guard(dump, `mariadb-dump (| ${cmd})`), guard(comp, cmd)];
    let errs = '';
    for (const c of [dump, comp]) c.stderr.on('data', (d) => (errs = (errs + d.toString()).slice(-4000)));
    const done = (c) =>
      new Promise((r) => {
        c.once('error', (e) => r({ code: -1, e }));
        c.once('close', (code, signal) => (running.delete(c), r({ code, signal })));
      });
    Promise.all([done(dump), done(comp)]).then(([d, g]) => {
      for (const f of unguard) f();
      if (d.code !== 0 || g.code !== 0) reject(new BenchError(`mariadb-dump | ${cmd} failed (dump exit ${d.code}, ${cmd} exit ${g.code}): ${errs.trim()}`));
      else resolve();
    }, reject);
  });
}

// ---------------------------------------------------------------------------------------------
// The platform CLI

function cliEnv(dirs, server) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MCP_') && !k.startsWith('OTEL_')));
  return {
    ...env,
    NODE_ENV: 'production',
    MCP_ENV: 'production',
    MCP_LOG_LEVEL: 'warn',
    MCP_DB_URL: server.url(DB),
    MCP_DATA_DIR: dirs.data,
    MCP_LOG_DIR: dirs.logs,
    MCP_BACKUP_DIR: dirs.backups,
    MCP_BACKUP_KEY: dirs.backupKey,
  };
}

let cpuProfDir;

async function cli(env, args, what, profName) {
  const prof = cpuProfDir && profName ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${profName}.cpuprofile`] : [];
  const r = check(await runProcess(process.execPath, [...prof, CLI, ...args], { env }), what);
  const line = r.stdout.trim().split('\n').filter(Boolean).pop();
  try {
    return JSON.parse(line);
  } catch {
    return { output: r.stdout.trim() };
  }
}

// ---------------------------------------------------------------------------------------------
// Server helpers

async function q(conn, sql, params) {
  const [rows] = await conn.query(sql, params);
  return rows;
}

async function schemaSize(conn, db) {
  const rows = await q(
    conn,
    `SELECT table_name AS name, table_rows AS approx_rows, data_length AS data, index_length AS idx
       FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name`,
    [db],
  );
  return rows.map((r) => ({ name: r.name, approxRows: Number(r.approx_rows), data: Number(r.data), index: Number(r.idx) }));
}

async function baseTables(conn, db) {
  return (await q(conn, `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name`, [db])).map(
    (r) => r.name,
  );
}

async function rowCounts(conn, db, only) {
  const counts = {};
  for (const t of only ?? (await baseTables(conn, db))) counts[t] = Number((await q(conn, `SELECT COUNT(*) AS n FROM \`${db}\`.\`${t}\``))[0].n);
  return counts;
}

async function checksums(conn, db) {
  const sums = {};
  for (const t of TABLES) sums[t.name] = String((await q(conn, `CHECKSUM TABLE \`${db}\`.\`${t.name}\``))[0].Checksum);
  return sums;
}

/**
 * Lets one run's after-effects settle before the next is measured: InnoDB writes its dirty pages
 * out (max dirty % lowered to 0 and I/O capacity raised until few are left), the kernel its dirty
 * page cache (sync); then the binary logs so far are purged.
 */
async function quiesce(conn) {
  const vars = Object.fromEntries(
    (await q(conn, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_max_dirty_pages_pct', 'innodb_io_capacity', 'innodb_io_capacity_max')")).map((r) => [
      r.Variable_name,
      r.Value,
    ]),
  );
  await q(conn, 'SET GLOBAL innodb_io_capacity_max = 100000');
  await q(conn, 'SET GLOBAL innodb_io_capacity = 50000');
  await q(conn, 'SET GLOBAL innodb_max_dirty_pages_pct = 0');
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const [{ Value: dirty }] = await q(conn, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
      if (Number(dirty) < 200 || Date.now() > deadline) break;
      await sleep(500);
    }
  } finally {
    await q(conn, `SET GLOBAL innodb_max_dirty_pages_pct = ${Number(vars.innodb_max_dirty_pages_pct)}`);
    await q(conn, `SET GLOBAL innodb_io_capacity = ${Number(vars.innodb_io_capacity)}`);
    await q(conn, `SET GLOBAL innodb_io_capacity_max = ${Number(vars.innodb_io_capacity_max)}`);
  }
  tryExec('sync', []);
  // Binary logs of earlier runs (each restore writes ≈ its size again) are not needed: keep the disk bounded.
  await q(conn, 'FLUSH BINARY LOGS');
  await q(conn, 'PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 SECOND');
}

// ---------------------------------------------------------------------------------------------
// Loading

/**
 * Creates the bulk tables in `mcp_platform` and loads them (LOAD DATA INFILE of generated TSV
 * chunks, binlog off for the session) until the schema's data + index size reaches the target:
 * each table gets its share; its size is re-measured (ANALYZE TABLE) after every chunk and the
 * next chunk sized from the bytes-per-TSV-byte seen so far. The next chunk is generated while the
 * current one loads.
 */
async function loadData(conn, server, settings) {
  const target = settings.mb * MiB;
  const dir = path.join(server.root, 'load');
  mkdirSync(dir, { recursive: true });
  await q(conn, `USE \`${DB}\``);
  await q(conn, 'SET SESSION sql_log_bin = 0, unique_checks = 0, foreign_key_checks = 0');
  for (const t of TABLES) await q(conn, t.ddl);
  const platformBytes = (await schemaSize(conn, DB)).filter((t) => !TABLES.some((b) => b.name === t.name)).reduce((n, t) => n + t.data + t.index, 0);
  const started = Date.now();
  let fileNo = 0;
  const loaded = {};
  for (const t of TABLES) {
    const goal = t.share * Math.max(0, target - platformBytes);
    const gen = tableGenerator(t, 1);
    const CHUNK = 32 * MiB;
    let ratio = t.name === 'bench_metrics' ? 2 : 1.3; // logical bytes per TSV byte; re-measured after each chunk
    let size = 0;
    let tsvBytes = 0;
    let rows = 0;
    let inflight;
    const measure = async () => {
      await q(conn, `ANALYZE TABLE \`${t.name}\``);
      const s = (await schemaSize(conn, DB)).find((x) => x.name === t.name);
      size = s.data + s.index;
      if (tsvBytes > 0) ratio = size / tsvBytes;
    };
    const finish = async () => {
      const f = inflight;
      inflight = undefined;
      await f.promise;
      rmSync(f.file, { force: true });
      tsvBytes += f.bytes;
      rows += f.rows;
      await measure();
      progress(`load ${t.name}: ${mib(size, 0)} / ${mib(goal, 0)} MiB, ${rows} rows (${fmt(ratio, 2)} bytes per TSV byte)`);
    };
    for (;;) {
      if (interrupted) throw new BenchError('interrupted');
      const want = (goal - size) / ratio - (inflight?.bytes ?? 0);
      if (want < 64 * 1024 || goal - size < 0.002 * goal) {
        if (!inflight) break;
        await finish();
        continue;
      }
      const chunk = gen.next(Math.min(CHUNK, want));
      const file = path.join(dir, `chunk-${fileNo++ % 2}.tsv`);
      writeFileSync(file, chunk.text);
      const bytes = Buffer.byteLength(chunk.text);
      if (inflight) await finish();
      const promise = q(
        conn,
        `LOAD DATA INFILE ? INTO TABLE \`${t.name}\` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${t.columns})`,
        [file],
      );
      promise.catch(() => undefined);
      inflight = { promise, file, bytes, rows: chunk.rows };
    }
    loaded[t.name] = { rows, tsvBytes };
  }
  rmSync(dir, { recursive: true, force: true });
  for (const t of await baseTables(conn, DB)) await q(conn, `ANALYZE TABLE \`${DB}\`.\`${t}\``);
  return { seconds: (Date.now() - started) / 1000, loaded };
}

// ---------------------------------------------------------------------------------------------
// Measured runs

/** Waits until other work takes < QUIET_PCT % of one core (up to settings.waitQuiet s). */
async function waitQuiet(settings, tag) {
  if (!settings.waitQuiet) return undefined;
  const deadline = Date.now() + settings.waitQuiet * 1000;
  let waited = false;
  for (;;) {
    const pct = await othersBusyPct(2);
    if (pct === undefined || pct < QUIET_PCT) {
      if (waited) progress(`${tag}: quiet now (${fmt(pct, 0)} % of a core)`);
      return pct;
    }
    if (Date.now() >= deadline || interrupted) {
      progress(`${tag}: other work still takes ${fmt(pct, 0)} % of a core after ${settings.waitQuiet} s; going on`);
      return pct;
    }
    if (!waited) progress(`${tag}: other work takes ${fmt(pct, 0)} % of a core; waiting for a quiet machine`);
    waited = true;
  }
}

/**
 * One measured run: settle (quiesce), wait for a quiet machine, then time `fn` under the CPU
 * monitor. A run during which other work took > NOISE_PCT % of a core is repeated (after `reset`)
 * up to settings.noiseRetries times; the last attempt counts.
 */
async function measured(ctx, tag, fn, reset) {
  const { settings, conn, server } = ctx;
  const label = (pid, p) => (pid === process.pid ? 'bench (this process)' : pid === server.pid ? 'mariadbd' : p.comm === 'node' ? 'node (platform CLI)' : p.comm);
  let discarded = 0;
  for (let attempt = 1; ; attempt++) {
    if (interrupted) throw new BenchError('interrupted');
    await reset?.();
    await quiesce(conn);
    const quietBefore = await waitQuiet(settings, tag);
    progress(`${tag}: running${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    const mon = startMonitor({ label });
    const t0 = process.hrtime.bigint();
    const value = await fn();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = mon.stop();
    const othersPct = (100 * (cpu.others ?? 0)) / cpu.seconds;
    progress(`${tag}: ${fmt(seconds, 1)} s (other work: ${fmt(othersPct, 0)} % of a core)`);
    if (!settings.waitQuiet || othersPct <= NOISE_PCT || attempt > settings.noiseRetries) {
      return { tag, seconds, value, cpu, othersPct, quietBefore, discarded };
    }
    progress(`${tag}: other work took ${fmt(othersPct, 0)} % of a core during the run; repeating it`);
    discarded++;
  }
}

// ---------------------------------------------------------------------------------------------

function printHeader(settings, versions) {
  const cpus = os.cpus();
  const benchEnv = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_'))
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  const argv = process.argv.slice(1).map((a) => (path.isAbsolute(a) && a.startsWith(`${ROOT}/`) ? path.relative(ROOT, a) : a));
  const sha = tryExec('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryExec('git', ['status', '--porcelain', '--', 'src']);
  out(`# bench/backup — ${new Date().toISOString()}`);
  out(`invoked as: ${benchEnv.length ? `${benchEnv.join(' ')} ` : ''}node ${argv.join(' ')}`);
  out(
    `settings: size=${settings.mb} MiB rounds=${settings.rounds} wait-quiet=${settings.waitQuiet}s noise-retries=${settings.noiseRetries} buffer-pool=${settings.bufferPool} redo-log=${settings.redoLog} tmp=${settings.tmp}`,
  );
  out(`machine: nproc=${os.availableParallelism?.() ?? cpus.length}, ${cpus[0]?.model ?? 'unknown cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`);
  out(`tools: ${versions.join('; ')}; node ${process.version}`);
  if (existsSync(CLI)) out(`platform: dist/cli/main.js built ${statSync(CLI).mtime.toISOString()}; git ${sha ?? '?'}${dirty ? ' (src/ has uncommitted changes)' : ''}`);
  out();
}

function cpuLine(run) {
  const parts = byLabel(run.cpu)
    .filter((p) => p.cpu >= 0.05)
    .map((p) => `${p.label} ${fmt(p.cpu, 1)} s (${fmt(p.pct, 0)} %)`);
  const m = run.cpu;
  const busyPct = m.machineBusy === undefined ? '–' : fmt((100 * m.machineBusy) / m.seconds, 0);
  const ioPct = m.iowait === undefined ? '–' : fmt((100 * m.iowait) / m.seconds, 0);
  const noisy = run.othersPct > NOISE_PCT ? ' (**noisy**: above the limit even after retries)' : '';
  return `${parts.join(', ')}; machine busy ${busyPct} % of one core (of 200), iowait ${ioPct} %, other work ${fmt(run.othersPct, 0)} %${noisy}${run.discarded ? `; ${run.discarded} noisy attempt(s) discarded` : ''}`;
}

async function main() {
  const settings = readSettings();
  stepTimeoutMs = settings.stepTimeout * 1000;
  cpuProfDir = settings.cpuProfDir;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  if (!existsSync(CLI)) throw new BenchError(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  const versions = [];
  for (const [cmd, args] of [
    ['mariadb-dump', ['--version']],
    ['mariadbd', ['--version']],
    ['zstd', ['--version']],
    ['gzip', ['--version']],
  ]) {
    const v = tryExec(cmd, args);
    if (!v) throw new BenchError(`${cmd} is not installed`);
    versions.push(
      v
        .split('\n')[0]
        .replace(/^\*+\s*|\s*\*+$/g, '')
        .replace(/, by Yann Collet/, ''),
    );
  }
  printHeader(settings, versions);

  // Directories: the server's (inside startMariadb) and ours for dumps and the platform's files.
  const work = mkdtempSync(path.join(settings.tmp, 'mcp-bench-backup-'));
  tellWatchdog(`D ${work}`);
  onCleanup('remove work dir', () => {
    if (settings.keep) {
      tellWatchdog(`d ${work}`); // the watchdog would remove it when we exit
      return progress(`kept ${work}`);
    }
    rmSync(work, { recursive: true, force: true });
    tellWatchdog(`d ${work}`);
  });
  const dirs = { data: path.join(work, 'data'), logs: path.join(work, 'logs'), backups: path.join(work, 'backups'), dumps: path.join(work, 'dumps') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  dirs.backupKey = `bench-backup-key-${Math.random().toString(36).slice(2)}-0123456789abcdef0123456789`;

  progress(`starting mariadbd (buffer pool ${settings.bufferPool})`);
  const server = await startMariadb({ bufferPool: settings.bufferPool, redoLog: settings.redoLog, tmpRoot: settings.tmp });
  onCleanup('stop mariadbd', async () => {
    if (settings.keep) {
      await server.stop();
      tellWatchdog(`d ${server.root}`);
      return progress(`kept ${server.root}`);
    }
    await server.destroy();
  });
  progress(`mariadbd pid ${server.pid} on 127.0.0.1:${server.port}, datadir ${server.datadir}`);
  const conn = await server.connect({ multipleStatements: false });
  onCleanup('close connection', () => conn.end().catch(() => conn.destroy()));
  const optFile = server.optionFile();
  const env = cliEnv(dirs, server);
  const ctx = { settings, conn, server };

  // 1. Schema and data.
  await q(conn, `CREATE DATABASE \`${DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await cli(env, ['migrate', '--json'], 'migrate');
  progress(`loading ≈ ${settings.mb} MiB into ${DB}`);
  const load = await loadData(conn, server, settings);
  const sizes = await schemaSize(conn, DB);
  const logical = sizes.reduce((n, t) => n + t.data + t.index, 0);
  progress(`loaded in ${fmt(load.seconds, 0)} s; logical size ${mib(logical)} MiB; counting rows and checksumming the bulk tables`);
  const bulkNames = TABLES.map((t) => t.name);
  const bulkCounts = await rowCounts(conn, DB, bulkNames);
  const sourceSums = settings.checksum ? await checksums(conn, DB) : undefined;
  const platformTables = (await baseTables(conn, DB)).filter((t) => !bulkNames.includes(t));
  const logicalMiB = logical / MiB;

  out('## Data set');
  out();
  out(`Database \`${DB}\`: platform schema (\`migrate\`) plus three bulk tables, loaded in ${fmt(load.seconds, 0)} s.`);
  out();
  out('| table | rows | data MiB | index MiB | avg row bytes |');
  out('|---|---:|---:|---:|---:|');
  for (const t of sizes.filter((s) => bulkNames.includes(s.name))) {
    out(`| ${t.name} | ${bulkCounts[t.name]} | ${mib(t.data)} | ${mib(t.index)} | ${fmt(t.data / Math.max(1, bulkCounts[t.name]), 0)} |`);
  }
  const plat = sizes.filter((s) => !bulkNames.includes(s.name));
  out(`| ${plat.length} platform tables | – | ${mib(plat.reduce((n, t) => n + t.data, 0))} | ${mib(plat.reduce((n, t) => n + t.index, 0))} | – |`);
  out(`| **total (logical size)** | | | | **${mib(logical)} MiB** |`);
  out();

  // 2 + 3. Measured rounds.
  const plainFile = path.join(dirs.dumps, 'plain.sql');
  const gzFile = path.join(dirs.dumps, 'plain.sql.gz');
  const zstFile = path.join(dirs.dumps, 'plain.sql.zst');
  const rounds = [];
  let expectPlain; // platform-table counts at the time of the last (a)
  let expectOurs; // … and of the last (c)
  for (let round = 1; round <= settings.rounds; round++) {
    const r = { round };
    const backupSteps = {
      a: async () => {
        r.a = await measured(ctx, `round ${round} (a) mariadb-dump > file`, async () => {
          const fd = openSync(plainFile, 'w', 0o600);
          try {
            check(await runProcess('mariadb-dump', [`--defaults-extra-file=${optFile}`, ...DUMP_ARGS], { stdout: fd }), 'mariadb-dump');
          } finally {
            closeSync(fd);
          }
        });
        r.a.bytes = statSync(plainFile).size;
        expectPlain = await rowCounts(conn, DB, platformTables);
      },
      b: async () => {
        r.b = await measured(ctx, `round ${round} (b) mariadb-dump | gzip`, () => runDumpPipe(optFile, gzFile, 'gzip', ['-c']));
        r.b.bytes = statSync(gzFile).size;
        rmSync(gzFile, { force: true });
      },
      c: async () => {
        r.c = await measured(ctx, `round ${round} (c) platform backup full`, () => cli(env, ['backup', 'full', '--json'], 'backup full', `backup-c-round${round}`));
        const row = r.c.value;
        r.c.bytes = Number(row.stored_bytes);
        r.c.rawBytes = Number(row.raw_bytes);
        r.c.internalSeconds = (Date.parse(row.finished_at) - Date.parse(row.started_at)) / 1000;
        r.c.id = row.id;
        expectOurs = await rowCounts(conn, DB, platformTables);
      },
      f: async () => {
        r.f = await measured(ctx, `round ${round} (f) reference: mariadb-dump | zstd -1 -T1`, () => runDumpPipe(optFile, zstFile, 'zstd', ['-1', '-T1', '-q', '-c']));
        r.f.bytes = statSync(zstFile).size;
        rmSync(zstFile, { force: true });
      },
    };
    for (const k of round % 2 ? ['a', 'b', 'c', 'f'] : ['f', 'c', 'b', 'a']) await backupSteps[k]();

    const restoreSteps = {
      d: async () => {
        r.d = await measured(
          ctx,
          `round ${round} (d) mariadb ${PLAIN_DB} < dump`,
          async () => {
            const fd = openSync(plainFile, 'r');
            try {
              check(await runProcess('mariadb', [`--defaults-extra-file=${optFile}`, PLAIN_DB], { stdin: fd, stdout: 'ignore' }), 'mariadb < dump');
            } finally {
              closeSync(fd);
            }
          },
          async () => {
            await q(conn, `DROP DATABASE IF EXISTS \`${PLAIN_DB}\``);
            await q(conn, `CREATE DATABASE \`${PLAIN_DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
          },
        );
      },
      e: async () => {
        r.e = await measured(
          ctx,
          `round ${round} (e) platform restore latest --target-db ${RESTORED_DB}`,
          () => cli(env, ['restore', 'latest', '--target-db', RESTORED_DB, '--json'], 'restore', `restore-e-round${round}`),
          () => q(conn, `DROP DATABASE IF EXISTS \`${RESTORED_DB}\``),
        );
        r.e.internalSeconds = Number(r.e.value.durationMs) / 1000;
        r.e.bytes = Number(r.e.value.bytes);
      },
    };
    for (const k of round % 2 ? ['d', 'e'] : ['e', 'd']) await restoreSteps[k]();
    r.ratios = { backupVsPlain: r.c.seconds / r.a.seconds, gzipVsOurs: r.b.seconds / r.c.seconds, restoreVsPlain: r.e.seconds / r.d.seconds };
    progress(`round ${round}: (c)/(a) ${fmt(r.ratios.backupVsPlain)}x, (b)/(c) ${fmt(r.ratios.gzipVsOurs)}x, (e)/(d) ${fmt(r.ratios.restoreVsPlain)}x`);
    rounds.push(r);
  }

  // 4. Both restored databases against the source.
  progress('checking the restored databases (row counts, checksums)');
  const verify = [];
  for (const [db, expectPlatform] of [
    [PLAIN_DB, expectPlain],
    [RESTORED_DB, expectOurs],
  ]) {
    const counts = await rowCounts(conn, db);
    const expected = { ...bulkCounts, ...expectPlatform };
    const problems = [];
    for (const t of Object.keys(expected)) if (counts[t] !== expected[t]) problems.push(`${t}: ${counts[t] ?? 'missing'} rows, source ${expected[t]}`);
    for (const t of Object.keys(counts)) if (!(t in expected)) problems.push(`${t}: not in the source`);
    let sums;
    if (sourceSums) {
      sums = await checksums(conn, db);
      for (const t of bulkNames) if (sums[t] !== sourceSums[t]) problems.push(`${t}: CHECKSUM ${sums[t]} ≠ source ${sourceSums[t]}`);
    }
    verify.push({ db, tables: Object.keys(counts).length, rows: Object.values(counts).reduce((a, b) => a + b, 0), problems, checksummed: !!sums });
  }

  // 5. Report.
  const last = rounds[rounds.length - 1];
  const mean = (k, f = (x) => x.seconds) => rounds.reduce((n, r) => n + f(r[k]), 0) / rounds.length;
  const ratio = (k) => median(rounds.map((r) => r.ratios[k]));
  const rtoSeconds = (mean('e') * 1024) / logicalMiB;

  out(`## Results (${settings.rounds} round${settings.rounds > 1 ? 's' : ''}; seconds are wall-clock of the whole command${settings.rounds > 1 ? ', mean over rounds' : ''})`);
  out();
  out('| step | command | seconds | output | MiB/s (logical) | note |');
  out('|---|---|---:|---:|---:|---|');
  const rawRatio = (bytes) => `${fmt(last.a.bytes / bytes, 2)}x smaller than (a)`;
  out(`| (a) | \`mariadb-dump … ${DB} > file\` | ${fmt(mean('a'), 1)} | ${mib(last.a.bytes)} MiB | ${fmt(logicalMiB / mean('a'), 1)} | plain SQL, not compressed, not encrypted |`);
  out(
    `| (b) | \`mariadb-dump … \\| gzip > file.gz\` (manual) | ${fmt(mean('b'), 1)} | ${mib(last.b.bytes)} MiB | ${fmt(logicalMiB / mean('b'), 1)} | gzip -6, ${rawRatio(last.b.bytes)} |`,
  );
  out(
    `| (c) | \`mcp-platform backup full\` | ${fmt(mean('c'), 1)} | ${mib(last.c.bytes)} MiB | ${fmt(logicalMiB / mean('c'), 1)} | zstd -1 -T1 + AES-256-GCM + SHA-256, ${rawRatio(last.c.bytes)}; CLI's own time ${fmt(
      mean('c', (x) => x.internalSeconds),
      1,
    )} s; dump ${mib(last.c.rawBytes)} MiB |`,
  );
  out(
    `| (f) | \`mariadb-dump … \\| zstd -1 -T1 > file.zst\` (reference, no target) | ${fmt(mean('f'), 1)} | ${mib(last.f.bytes)} MiB | ${fmt(logicalMiB / mean('f'), 1)} | our compression without node in the data path and without encryption; (f)/(a) ${fmt(median(rounds.map((r) => r.f.seconds / r.a.seconds)))}x |`,
  );
  out(`| (d) | \`mariadb ${PLAIN_DB} < file\` | ${fmt(mean('d'), 1)} | – | ${fmt(logicalMiB / mean('d'), 1)} | restore of (a)'s dump |`);
  out(
    `| (e) | \`mcp-platform restore latest --target-db ${RESTORED_DB}\` | ${fmt(mean('e'), 1)} | – | ${fmt(logicalMiB / mean('e'), 1)} | decrypt + zstd -d + mariadb; CLI's durationMs ${fmt(
      mean('e', (x) => x.internalSeconds),
      1,
    )} s |`,
  );
  out();
  if (settings.rounds > 1) {
    out(`Per round (c)/(a), (b)/(c), (e)/(d): ${rounds.map((r) => `${fmt(r.ratios.backupVsPlain)}, ${fmt(r.ratios.gzipVsOurs)}, ${fmt(r.ratios.restoreVsPlain)}`).join(' | ')}`);
    out();
  }

  const verdict = (ok) => (ok ? 'MET' : 'MISSED');
  const checks = [
    { name: 'backup time (c)/(a)', target: `≤ ${TARGETS.backupVsPlain}x`, value: `${fmt(ratio('backupVsPlain'))}x`, ok: ratio('backupVsPlain') <= TARGETS.backupVsPlain },
    { name: 'gzip pipeline vs ours (b)/(c)', target: `≥ ${TARGETS.gzipVsOurs}x`, value: `${fmt(ratio('gzipVsOurs'))}x`, ok: ratio('gzipVsOurs') >= TARGETS.gzipVsOurs },
    { name: 'restore time (e)/(d)', target: `≤ ${TARGETS.restoreVsPlain}x`, value: `${fmt(ratio('restoreVsPlain'))}x`, ok: ratio('restoreVsPlain') <= TARGETS.restoreVsPlain },
    {
      name: 'RTO of 1 GiB (e, extrapolated)',
      target: `< ${TARGETS.rtoSeconds} s`,
      value: `${fmt(rtoSeconds, 0)} s (${fmt(mean('e'), 1)} s for ${fmt(logicalMiB, 0)} MiB)`,
      ok: rtoSeconds < TARGETS.rtoSeconds,
    },
  ];
  out('## Targets');
  out();
  out('| target | goal | measured | verdict |');
  out('|---|---|---|---|');
  for (const c of checks) out(`| ${c.name} | ${c.target} | ${c.value} | **${verdict(c.ok)}** |`);
  const dataOk = verify.every((v) => v.problems.length === 0);
  out(
    `| restored data = source | same rows${settings.checksum ? ' and checksums' : ''} | ${verify.map((v) => `${v.db}: ${v.tables} tables, ${v.rows} rows${v.problems.length ? `, ${v.problems.length} problem(s)` : ''}`).join('; ')} | **${dataOk ? 'OK' : 'FAILED'}** |`,
  );
  out();
  for (const v of verify) for (const p of v.problems) out(`- ${v.db}: ${p}`);

  out('## Where the CPU went (per measured run; % of one core over the run; 2 cores = 200 %)');
  out();
  for (const r of rounds) for (const k of ['a', 'b', 'c', 'f', 'd', 'e']) out(`- ${r[k].tag}: ${fmt(r[k].seconds, 1)} s — ${cpuLine(r[k])}`);
  out();

  if (cpuProfDir) {
    out(`## Node CPU profiles of the platform CLI (main thread; ${cpuProfDir})`);
    for (const r of rounds) {
      for (const [k, name] of [
        ['c', `backup-c-round${r.round}`],
        ['e', `restore-e-round${r.round}`],
      ]) {
        const file = path.join(cpuProfDir, `${name}.cpuprofile`);
        if (!existsSync(file)) continue;
        const sum = summarize(JSON.parse(readFileSync(file, 'utf8')), { top: 12 });
        out();
        out(formatSummary(sum, `${r[k].tag} (${fmt(r[k].seconds, 1)} s wall)`));
      }
    }
    out();
  }

  if (settings.jsonOut) {
    const strip = (run) =>
      run && {
        seconds: run.seconds,
        bytes: run.bytes,
        rawBytes: run.rawBytes,
        internalSeconds: run.internalSeconds,
        othersPct: run.othersPct,
        discarded: run.discarded,
        cpu: byLabel(run.cpu),
        iowait: run.cpu.iowait,
        machineBusy: run.cpu.machineBusy,
      };
    writeFileSync(
      settings.jsonOut,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          settings,
          logicalBytes: logical,
          tables: sizes,
          bulkCounts,
          rounds: rounds.map((r) => ({ round: r.round, ratios: r.ratios, a: strip(r.a), b: strip(r.b), c: strip(r.c), f: strip(r.f), d: strip(r.d), e: strip(r.e) })),
          targets: checks,
          rtoSeconds,
          verify,
        },
        null,
        2,
      ),
    );
  }
  const missed = checks.filter((c) => !c.ok).length;
  return dataOk ? (settings.enforce && missed ? 3 : 0) : 1;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  if (!interrupted) progress(e instanceof BenchError ? e.message : (e?.stack ?? String(e)));
  code = interrupted ? 130 : 1;
} finally {
  await cleanup();
}
process.exit(cleanupFailed() && code === 0 ? 1 : code);
