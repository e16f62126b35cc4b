#!/usr/bin/env node
// bench/split — what the nginx gateway hop of split mode costs, and how fast logins fail once a
// module is dead and the breaker on it is open (issue 14 "Performance"). Measured in one run, on
// one machine, against a baseline started by the same run.
//
//   npm run bench:split                      (= node bench/split/run.mjs; `npm run build` first)
//   BENCH_BACKENDS=real,embedded npm run bench:split
//
// Per backend (real: MariaDB + Redis + RabbitMQ on this machine, in a database, Redis key prefix
// and AMQP prefix of the run's own, all removed at the end; embedded: SQLite file, memory cache,
// in-process bus, in a temporary directory), sharing one database and one data directory (so one
// JWT key):
//   a) baseline  the all-in-one process (`serve`), GET /api/users/1 with an admin token, directly
//   b) split     one `serve --only <module>` process per module (auth user permission system
//                support, MCP_SERVICE_URLS, MCP_TRUST_PROXY=true) behind nginx running the split
//                gateway of deploy/nginx; GET /api/users/1 through the gateway (the user module)
// Rounds alternate a, b, a, b, … (each measured run after its own warm-up). Each round measures
// saturated (BENCH_CONNECTIONS connections, as fast as they go) and, when BENCH_PACED_RATE > 0,
// paced (a fixed total rate over BENCH_PACED_CONNECTIONS connections: latency without queueing).
// Targets: the hop costs <= 25 % throughput (b/a >= 75 %) and <= 2 ms p99.
//
// Then the dead module: SIGKILL the user module, drive POST /api/auth/login through the gateway
// (the auth module calls the user module for the credentials) until the auth module's breaker on
// the user module is open (its /metrics), then measure the failing logins for BENCH_DEAD_DURATION
// seconds. Target: p99 <= 50 ms once the breaker is open; every answer a 503. The logins cycle
// through 4 × BENCH_DEAD_CONNECTIONS user names (many users, none with more than one login in
// flight: one account with MCP_LOGIN_MAX_FAILURES or more logins in flight is refused 429 by design).
//
// Every process the run starts is stopped at the end, also after a failure or Ctrl-C (the servers
// and nginx's guard have bench/lib/orphan-guard.mjs preloaded: they stop themselves if this
// process dies without cleaning up). Exit code: 0 when every run went without errors and every
// answer was the expected one (2xx; 503 once the module is dead), 1 otherwise (or when setup or
// cleanup failed), 3 when BENCH_ENFORCE_TARGET=1 and a target is missed, 130 when interrupted.
//
// Settings (environment):
//   BENCH_BACKENDS=real            real, embedded, or real,embedded
//   BENCH_PHASES=hop,dead          which phases to run
//   BENCH_ROUNDS=3                 alternating rounds of a and b
//   BENCH_DURATION=10              seconds of each measured run
//   BENCH_WARMUP=3                 seconds of warm-up before each measured run (not reported)
//   BENCH_CONNECTIONS=50           connections of the saturated runs
//   BENCH_PACED_RATE=300           total req/s of the paced runs (0: no paced runs)
//   BENCH_PACED_CONNECTIONS=10     connections of the paced runs
//   BENCH_NGINX_WORKERS=1          nginx worker_processes (the machine's cores are shared by all)
//   BENCH_DEAD_DURATION=10         seconds of failing logins measured once the breaker is open
//   BENCH_DEAD_CONNECTIONS=10      connections driving the logins
//   BENCH_DEAD_OPEN_TIMEOUT=30     seconds to wait for the breaker to open
//   BENCH_DEAD_PACED_RATE=100      then the same logins at this fixed total rate for
//                                  BENCH_DEAD_DURATION seconds (latency without queueing; 0: off)
//   BENCH_BREAKER_FAILURES, BENCH_BREAKER_OPEN_SECONDS   passed to the modules as
//                                  MCP_BREAKER_FAILURES / MCP_BREAKER_OPEN_SECONDS (unset: the
//                                  platform's defaults, 5 failures and 10 s)
//   BENCH_LOGIN_IP_LIMIT=100000    MCP_LOGIN_IP_FAILURES_PER_MINUTE of every process; `platform` keeps
//                                  the platform's default (30). All the load comes from one address
//                                  and a login refused for a dead dependency still counts against
//                                  its address: with the default, the address is refused (429,
//                                  Retry-After 60) after 30 such logins, before the breaker matters.
//   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306   BENCH_REDIS_URL=redis://127.0.0.1:6379/0
//   BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672
//   BENCH_WAIT_QUIET=0             before each measured run, wait up to this many seconds for the
//                                  machine to be quiet (< 20 % of one core busy over 2 s, the run's
//                                  own idle servers included); for shared machines; 0: off
//   BENCH_JSON=<file>              also write the results as JSON
//   BENCH_ENFORCE_TARGET=1         exit 3 when a target is missed
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { ROOT, describeExit, freePort, startNodeChild, tryExec, waitReady } from '../lib/children.mjs';
import { createCleanup, stopOnSignals } from '../lib/cleanup.mjs';
import { deleteKeys, mysqlQuery } from '../lib/services.mjs';
import { machineBusySeconds, procCpuSeconds, redisCpuSeconds } from '../lib/cpu.mjs';
import autocannon from 'autocannon';
import { fmt, median, out, percentile, progressLine } from '../lib/report.mjs';
import { BenchError, intEnv, redact } from '../lib/settings.mjs';
import { findBinary, installGateway } from './gateway.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');
const MODULES = ['auth', 'user', 'permission', 'system', 'support'];
const ADMIN_PASSWORD = 'Bench-Split!2026x';
const RATIO_TARGET = 0.75; // b/a throughput: the hop costs at most 25 %
const P99_DELTA_TARGET_MS = 2;
const DEAD_P99_TARGET_MS = 50;
const ALL_BACKENDS = ['real', 'embedded'];
const ALL_PHASES = ['hop', 'dead'];

// ---------------------------------------------------------------------------------------------
// Settings

function listEnv(name, def, allowed) {
  const xs = (process.env[name] || def)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = xs.filter((x) => !allowed.includes(x));
  if (unknown.length || !xs.length) throw new BenchError(`${name}: choose from ${allowed.join(', ')}; got "${process.env[name]}"`);
  return allowed.filter((x) => xs.includes(x));
}

function readSettings() {
  const breakerEnv = {};
  if (process.env.BENCH_BREAKER_FAILURES) breakerEnv.MCP_BREAKER_FAILURES = String(intEnv('BENCH_BREAKER_FAILURES', 5, 1, 100));
  if (process.env.BENCH_BREAKER_OPEN_SECONDS) breakerEnv.MCP_BREAKER_OPEN_SECONDS = String(intEnv('BENCH_BREAKER_OPEN_SECONDS', 10, 1, 600));
  const ipLimitRaw = (process.env.BENCH_LOGIN_IP_LIMIT || '100000').trim();
  const ipLimit = ipLimitRaw === 'platform' ? undefined : intEnv('BENCH_LOGIN_IP_LIMIT', 100_000, 1, 100_000);
  return {
    ipLimit,
    backends: listEnv('BENCH_BACKENDS', 'real', ALL_BACKENDS),
    phases: listEnv('BENCH_PHASES', 'hop,dead', ALL_PHASES),
    rounds: intEnv('BENCH_ROUNDS', 3, 1, 100),
    duration: intEnv('BENCH_DURATION', 10, 1, 3600),
    warmup: intEnv('BENCH_WARMUP', 3, 0, 600),
    connections: intEnv('BENCH_CONNECTIONS', 50, 1, 10_000),
    pacedRate: intEnv('BENCH_PACED_RATE', 300, 0, 1_000_000),
    pacedConnections: intEnv('BENCH_PACED_CONNECTIONS', 10, 1, 10_000),
    nginxWorkers: intEnv('BENCH_NGINX_WORKERS', 1, 1, 64),
    deadDuration: intEnv('BENCH_DEAD_DURATION', 10, 1, 3600),
    deadConnections: intEnv('BENCH_DEAD_CONNECTIONS', 10, 1, 10_000),
    deadOpenTimeout: intEnv('BENCH_DEAD_OPEN_TIMEOUT', 30, 1, 3600),
    waitQuiet: intEnv('BENCH_WAIT_QUIET', 0, 0, 3600),
    deadPacedRate: intEnv('BENCH_DEAD_PACED_RATE', 100, 0, 1_000_000),
    breakerEnv,
    mysqlUrl: (process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/0',
    amqpUrl: process.env.BENCH_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
    enforceTarget: process.env.BENCH_ENFORCE_TARGET === '1',
  };
}

// ---------------------------------------------------------------------------------------------
// Output, cleanup, signals

const progress = progressLine('bench:split');
const { onCleanup, cleanup, cleanupFailed } = createCleanup(progress);
let interrupted = false;
stopOnSignals(progress, cleanup, () => {
  interrupted = true;
  stopLoad();
});
const checkInterrupted = () => {
  if (interrupted) throw new BenchError('interrupted');
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function printInvocation(settings, tag) {
  const npmScript = process.env.npm_lifecycle_event ? ` (via \`npm run ${process.env.npm_lifecycle_event}\`: ${process.env.npm_lifecycle_script})` : '';
  const benchEnv = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_'))
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  const sha = tryExec('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryExec('git', ['status', '--porcelain', '--', 'src', 'deploy/nginx']);
  const cpus = os.cpus();
  const argv = process.argv.slice(1).map((a) => (path.isAbsolute(a) && a.startsWith(`${ROOT}/`) ? path.relative(ROOT, a) : a));
  out(`# bench/split — ${new Date().toISOString()}`);
  out(`invoked as: node ${argv.join(' ')}${npmScript}`);
  out(`BENCH_* environment: ${benchEnv.length ? benchEnv.join(' ') : '(none set; defaults)'}`);
  out(
    `settings: backends=${settings.backends.join(',')} phases=${settings.phases.join(',')} rounds=${settings.rounds} duration=${settings.duration}s warmup=${settings.warmup}s connections=${settings.connections} paced=${settings.pacedRate ? `${settings.pacedRate} req/s over ${settings.pacedConnections} connections` : 'off'} nginx-workers=${settings.nginxWorkers}${settings.waitQuiet ? ` wait-quiet=${settings.waitQuiet}s` : ''} dead: ${settings.deadDuration}s over ${settings.deadConnections} connections, login limit per address ${settings.ipLimit ?? 'platform default (30/min)'}, breaker ${Object.keys(settings.breakerEnv).length ? JSON.stringify(settings.breakerEnv) : 'platform defaults (5 failures, 10 s open)'}`,
  );
  out(`machine: nproc=${os.availableParallelism?.() ?? cpus.length}, ${cpus[0]?.model ?? 'unknown cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`);
  out(`node ${process.version}; ${nginxVersion()}; autocannon in this process (pid ${process.pid}); every server in its own child process`);
  if (existsSync(CLI))
    out(`platform: dist/cli/main.js built ${statSync(CLI).mtime.toISOString()}; git ${sha ?? '?'}${dirty ? ' (src/ or deploy/nginx has uncommitted changes)' : ''}`);
  out(`run tag: ${tag}`);
  out();
}

function nginxVersion() {
  // `nginx -v` prints on stderr
  const nginx = findBinary('nginx');
  const r = nginx ? spawnSync(nginx, ['-v'], { encoding: 'utf8' }) : undefined;
  return r?.stderr?.trim() || 'nginx: not found';
}

// ---------------------------------------------------------------------------------------------
// Shared services: the run's own database, Redis keys and AMQP objects

/** The durable exchanges and queues the platform declares under `prefix` (src/infra/bus/amqpBus.ts). */
async function dropBrokerObjects(settings, prefix) {
  const conn = await amqp.connect(settings.amqpUrl);
  try {
    const removed = [];
    const each = async (what, name, fn) => {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      try {
        await fn(ch, name);
        removed.push(`${what} ${name}`);
      } catch {
        // absent: a channel error closes only this channel
      } finally {
        await ch.close().catch(() => {});
      }
    };
    for (const q of ['notify.delivery', 'notify.delivery.dead']) await each('queue', `${prefix}${q}`, (ch, n) => ch.deleteQueue(n));
    for (const x of ['events.dlx', 'events']) await each('exchange', `${prefix}${x}`, (ch, n) => ch.deleteExchange(n));
    return removed;
  } finally {
    await conn.close();
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc, Redis INFO)

/** The pid of the MariaDB server the run uses (its @@pid_file; other mariadbd instances may run beside it). */
async function mariadbPid(settings) {
  try {
    const [rows] = await mysqlQuery(settings, 'SELECT @@pid_file AS f');
    return Number(readFileSync(rows[0].f, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** nginx's master and its workers. */
function processTree(pid) {
  if (!pid) return [];
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...kids];
  } catch {
    return [pid];
  }
}

const sumCpu = (pids) => pids.reduce((a, p) => a + (procCpuSeconds(p) ?? 0), 0);

async function cpuSnapshot(stack, redis) {
  const self = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    machine: machineBusySeconds(),
    baseline: procCpuSeconds(stack.baseline?.pid),
    user: procCpuSeconds(stack.modules?.user?.pid),
    auth: procCpuSeconds(stack.modules?.auth?.pid),
    otherModules: stack.modules ? sumCpu(['permission', 'system', 'support'].map((m) => stack.modules[m].pid)) : undefined,
    nginx: stack.nginxPid ? sumCpu(processTree(stack.nginxPid)) : undefined,
    autocannon: (self.user + self.system) / 1e6,
    redis: redis ? await redisCpuSeconds(redis) : undefined,
    mariadb: stack.real ? procCpuSeconds(stack.dbPid) : undefined,
  };
}

const CPU_PARTS = ['baseline', 'user', 'auth', 'otherModules', 'nginx', 'autocannon', 'redis', 'mariadb'];

/** Per component: % of one core used between the two snapshots; `rest` is everything else. */
function cpuBetween(a, b) {
  const wall = Number(b.at - a.at) / 1e9;
  const pct = (k) => (a[k] === undefined || b[k] === undefined || !Number.isFinite(a[k] + b[k]) ? undefined : (100 * (b[k] - a[k])) / wall);
  const c = Object.fromEntries([...CPU_PARTS, 'machine'].map((k) => [k, pct(k)]));
  if (c.machine !== undefined) c.rest = c.machine - CPU_PARTS.map((k) => c[k] ?? 0).reduce((x, y) => x + y, 0);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Load

let activeLoad;
/** Stops the autocannon run in progress, if any. */
const stopLoad = () => activeLoad?.stop();

/**
 * autocannon (timeout 10 s), one run at a time, as bench/lib/load.mjs `runCannon`, but also
 * counting its request errors by kind (`errorKinds`); `onResponse` sees every response.
 */
function runCannon(opts, onResponse) {
  const errorKinds = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon({ timeout: 10, ...opts }, (err, result) => {
      activeLoad = undefined;
      if (err) reject(err);
      else resolve({ ...result, errorKinds });
    });
    activeLoad = instance;
    instance.on('reqError', (e) => {
      const kind = e?.code ?? e?.message ?? String(e);
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    });
    if (onResponse) instance.on('response', onResponse);
  });
}

/** Waits (up to settings.waitQuiet s) until the machine is < 20 % of one core busy over 2 s. */
async function waitQuiet(settings, tag) {
  if (!settings.waitQuiet) return;
  const deadline = Date.now() + settings.waitQuiet * 1000;
  for (;;) {
    const before = machineBusySeconds();
    await sleep(2000);
    if (before === undefined) return;
    const pct = ((machineBusySeconds() - before) / 2) * 100;
    if (pct < 20) return;
    if (Date.now() >= deadline || interrupted) {
      progress(`${tag}: machine still ${pct.toFixed(0)} % busy after ${settings.waitQuiet} s; going on`);
      return;
    }
    progress(`${tag}: machine ${pct.toFixed(0)} % busy with other work; waiting`);
  }
}

/**
 * One measured run: a first request (must be 2xx and pass `check`), a warm-up, then the run.
 * Latency percentiles come from every response's own time in ms.
 */
async function measure(settings, spec, { stack, redis, paced }) {
  checkInterrupted();
  const first = await fetch(spec.url, { headers: spec.headers, signal: AbortSignal.timeout(15_000) });
  const firstBody = await first.text();
  if (first.status !== 200) throw new BenchError(`${spec.name}: first request answered HTTP ${first.status}: ${firstBody.slice(0, 400)}`);
  spec.check(firstBody);
  const connections = paced ? settings.pacedConnections : settings.connections;
  const cannon = { url: spec.url, headers: spec.headers, connections, pipelining: 1, ...(paced ? { overallRate: settings.pacedRate } : {}) };
  const tag = `${spec.name} ${paced ? `paced ${settings.pacedRate} req/s` : 'saturated'}`;
  let warm = { errors: 0, non2xx: 0 };
  await waitQuiet(settings, tag);
  if (settings.warmup > 0) {
    progress(`${tag}: warm-up ${settings.warmup} s, ${connections} connections`);
    warm = await runCannon({ ...cannon, duration: settings.warmup });
  }
  checkInterrupted();
  progress(`${tag}: measuring ${settings.duration} s, ${connections} connections`);
  const samples = [];
  const before = await cpuSnapshot(stack, redis);
  const r = await runCannon({ ...cannon, duration: settings.duration }, (_c, _s, _b, ms) => samples.push(ms));
  const cpu = cpuBetween(before, await cpuSnapshot(stack, redis));
  checkInterrupted();
  const sorted = Float64Array.from(samples).sort();
  const result = {
    name: spec.name,
    paced: Boolean(paced),
    connections,
    reqPerSec: r.requests.average,
    responses: samples.length,
    durationSeconds: r.duration,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    errors: r.errors,
    timeouts: r.timeouts,
    errorKinds: r.errorKinds,
    non2xx: r.non2xx,
    warmup: { errors: warm.errors, non2xx: warm.non2xx },
    cpu,
    responseBytes: Buffer.byteLength(firstBody),
    latencies: sorted,
  };
  progress(`${tag}: ${fmt(result.reqPerSec, 0)} req/s, p50 ${fmt(result.p50)} ms, p99 ${fmt(result.p99)} ms, errors ${result.errors}, non-2xx ${result.non2xx}`);
  return result;
}

/** Rounds pooled: mean req/s, percentiles over every response, counts summed, CPU averaged. */
function pool(runs) {
  const sorted = Float64Array.from(runs.flatMap((r) => Array.from(r.latencies))).sort();
  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  const sum = (f) => runs.reduce((a, r) => a + f(r), 0);
  const cpu = {};
  for (const k of [...CPU_PARTS, 'machine', 'rest']) {
    const xs = runs.map((r) => r.cpu[k]).filter((x) => x !== undefined);
    cpu[k] = xs.length ? mean(xs) : undefined;
  }
  return {
    reqPerSec: mean(runs.map((r) => r.reqPerSec)),
    responses: sum((r) => r.responses),
    durationSeconds: sum((r) => r.durationSeconds),
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    errorKinds: runs.reduce((acc, r) => {
      for (const [k, n] of Object.entries(r.errorKinds ?? {})) acc[k] = (acc[k] ?? 0) + n;
      return acc;
    }, {}),
    non2xx: sum((r) => r.non2xx),
    warmupErrors: sum((r) => r.warmup.errors + r.warmup.non2xx),
    cpu,
    responseBytes: runs[0]?.responseBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// The processes under test

function platformEnv(settings, backend, ids, dataDir) {
  const common = {
    MCP_HOST: '127.0.0.1',
    MCP_ENV: 'production',
    MCP_LANG: 'en',
    MCP_DATA_DIR: dataDir,
    MCP_LOG_LEVEL: 'warn',
    MCP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MCP_SHUTDOWN_DRAIN: '0',
    // the HTTP server only, in every process: no scheduler, relay or watchdog working beside the load
    MCP_ROLES: 'web',
    // long enough that the tokens taken before the first round outlive the run
    ...(settings.ipLimit ? { MCP_LOGIN_IP_FAILURES_PER_MINUTE: String(settings.ipLimit) } : {}),
    MCP_ACCESS_TOKEN_TTL: String(Math.min(86_400, Math.max(900, settings.rounds * 4 * (settings.warmup + settings.duration) + 900))),
  };
  if (backend === 'embedded') return common;
  return {
    ...common,
    MCP_DB_URL: `${settings.mysqlUrl}/${ids.dbName}`,
    MCP_REDIS_URL: settings.redisUrl,
    MCP_REDIS_KEY_PREFIX: ids.keyPrefix,
    MCP_AMQP_URL: settings.amqpUrl,
    MCP_AMQP_PREFIX: ids.amqpPrefix,
  };
}

const startServer = (name, args, env) => startNodeChild(name, args, env, { onCleanup, progress });

async function stopProc(proc) {
  if (!proc || proc.exit) return;
  const e = await proc.stop();
  progress(`${proc.name}: stopped (${describeExit(e)})`);
}

/** Logs in as admin at `base` (directly or through the gateway); the access token. */
async function login(base, label) {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status !== 200 || !body.accessToken) throw new BenchError(`${label}: login failed: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  if (body.passwordChangeRequired) throw new BenchError(`${label}: the admin account must change its password first`);
  return body.accessToken;
}

const readCheck = (name) => (b) => {
  let id;
  try {
    id = JSON.parse(b).id;
  } catch {
    // reported below
  }
  if (id !== 1) throw new BenchError(`${name}: unexpected body ${b.slice(0, 200)}`);
};

/** The baseline, the five modules and the gateway, over one database; the stack they make. */
async function startStack(settings, backend, ids, tmp) {
  const dataDir = path.join(tmp, 'data');
  const env = platformEnv(settings, backend, ids, dataDir);
  const stack = { backend, real: backend === 'real', modules: {}, dbPid: backend === 'real' ? await mariadbPid(settings) : undefined };
  if (stack.real && !stack.dbPid) progress("the MariaDB server's pid is unknown (its @@pid_file is not readable here): no mariadbd CPU figures");
  const logDir = (name) => path.join(tmp, 'logs', name);

  // a) the all-in-one process first: it creates the schema and the first administrator, so the
  //    modules start on a ready database
  const basePort = await freePort();
  stack.baseline = startServer(`${backend}/all-in-one`, [CLI, 'serve', '--port', String(basePort)], { ...env, MCP_PORT: String(basePort), MCP_LOG_DIR: logDir('all-in-one') });
  stack.baselineUrl = `http://127.0.0.1:${basePort}`;
  await waitReady(stack.baseline, `${stack.baselineUrl}/ready`);
  progress(`${backend}/all-in-one: ready`);

  // b) one process per module, each told where the others are
  const ports = {};
  for (const m of MODULES) ports[m] = await freePort();
  const serviceUrls = MODULES.map((m) => `${m}=http://127.0.0.1:${ports[m]}`).join(',');
  for (const m of MODULES) {
    stack.modules[m] = startServer(`${backend}/${m}`, [CLI, 'serve', '--only', m, '--port', String(ports[m])], {
      ...env,
      ...settings.breakerEnv,
      MCP_PORT: String(ports[m]),
      MCP_LOG_DIR: logDir(m),
      MCP_SERVICE_URLS: serviceUrls,
      // the gateway is the only client: the caller's address is its X-Forwarded-For
      MCP_TRUST_PROXY: 'true',
    });
  }
  stack.moduleUrl = (m) => `http://127.0.0.1:${ports[m]}`;
  await Promise.all(MODULES.map((m) => waitReady(stack.modules[m], `${stack.moduleUrl(m)}/ready`)));
  progress(`${backend}: the five modules are ready`);

  const nginx = findBinary('nginx');
  if (!nginx) throw new BenchError('nginx not found: apt-get install -y nginx (Debian)');
  const gatewayPort = await freePort();
  const gw = installGateway({ http: gatewayPort, https: await freePort(), ports, workers: settings.nginxWorkers });
  onCleanup('remove the gateway prefix', () => rmSync(gw.dir, { recursive: true, force: true }));
  stack.nginx = startServer(`${backend}/nginx`, [path.join(HERE, 'nginx-guard.mjs'), nginx, ...gw.args], {});
  stack.gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  await waitReady(stack.nginx, `${stack.gatewayUrl}/health`, { timeoutMs: 15_000 });
  stack.nginxPid = Number(readFileSync(gw.pidFile, 'utf8').trim()) || undefined;
  stack.gatewayDir = gw.dir;
  progress(`${backend}/nginx: gateway ready (${stack.gatewayUrl}, master pid ${stack.nginxPid}, ${settings.nginxWorkers} worker(s))`);
  return stack;
}

async function stopStack(stack) {
  await stopProc(stack.nginx);
  await Promise.all(MODULES.map((m) => stopProc(stack.modules[m])));
  await stopProc(stack.baseline);
}

// ---------------------------------------------------------------------------------------------
// Phase 1: the gateway hop

async function hopPhase(settings, stack, redis) {
  const a = { name: `${stack.backend} a) all-in-one, direct`, url: `${stack.baselineUrl}/api/users/1` };
  const b = { name: `${stack.backend} b) split, through nginx`, url: `${stack.gatewayUrl}/api/users/1` };
  a.headers = { authorization: `Bearer ${await login(stack.baselineUrl, 'all-in-one')}` };
  b.headers = { authorization: `Bearer ${await login(stack.gatewayUrl, 'gateway')}` };
  a.check = readCheck(a.name);
  b.check = readCheck(b.name);
  const runs = { a: [], b: [], aPaced: [], bPaced: [] };
  const ctx = { stack, redis };
  for (let round = 1; round <= settings.rounds; round++) {
    progress(`${stack.backend}: round ${round} of ${settings.rounds}`);
    runs.a.push(await measure(settings, a, ctx));
    runs.b.push(await measure(settings, b, ctx));
    if (settings.pacedRate) {
      runs.aPaced.push(await measure(settings, a, { ...ctx, paced: true }));
      runs.bPaced.push(await measure(settings, b, { ...ctx, paced: true }));
    }
  }
  return runs;
}

function hopVerdict(runs) {
  const pa = pool(runs.a);
  const pb = pool(runs.b);
  const ratios = runs.a.map((x, i) => runs.b[i].reqPerSec / x.reqPerSec);
  const deltas = runs.a.map((x, i) => runs.b[i].p99 - x.p99);
  const v = {
    a: pa,
    b: pb,
    ratios,
    ratio: median(ratios),
    p99Delta: pb.p99 - pa.p99,
    p99Deltas: deltas,
  };
  v.ratioOk = v.ratio >= RATIO_TARGET;
  v.p99Ok = v.p99Delta <= P99_DELTA_TARGET_MS;
  if (runs.aPaced.length) {
    v.aPaced = pool(runs.aPaced);
    v.bPaced = pool(runs.bPaced);
    v.pacedP99Delta = v.bPaced.p99 - v.aPaced.p99;
    v.pacedP50Delta = v.bPaced.p50 - v.aPaced.p50;
    v.pacedP99Deltas = runs.aPaced.map((x, i) => runs.bPaced[i].p99 - x.p99);
    v.pacedP99Ok = v.pacedP99Delta <= P99_DELTA_TARGET_MS;
  }
  return v;
}

function printHop(settings, stack, runs, v) {
  const { backend } = stack;
  out(`## ${backend}: the gateway hop — GET /api/users/1 (admin token)`);
  out();
  out('| run | conns | req/s | p50 ms | p95 ms | p99 ms | max ms | errors / non-2xx |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|');
  const row = (label, conns, p) =>
    out(
      `| ${label} | ${conns} | ${fmt(p.reqPerSec, 0)} | ${fmt(p.p50)} | ${fmt(p.p95)} | ${fmt(p.p99)} | ${fmt(p.max, 1)} | ${p.errors}${p.timeouts ? ` (${p.timeouts} timeouts)` : ''} / ${p.non2xx} |`,
    );
  row('a) all-in-one, direct — saturated', settings.connections, v.a);
  row('b) split via nginx — saturated', settings.connections, v.b);
  if (v.aPaced) {
    row(`a) all-in-one, direct — paced ${settings.pacedRate} req/s`, settings.pacedConnections, v.aPaced);
    row(`b) split via nginx — paced ${settings.pacedRate} req/s`, settings.pacedConnections, v.bPaced);
  }
  out();
  out(
    `${settings.rounds} alternating round(s) (a, b${v.aPaced ? ', a paced, b paced' : ''}), each run ${settings.duration} s after ${settings.warmup} s of warm-up; req/s is the mean over the rounds of autocannon's mean of per-second samples; percentiles over every response of all rounds. Response bodies: a ${v.a.responseBytes} bytes, b ${v.b.responseBytes} bytes.`,
  );
  for (const [label, p] of [
    ['a saturated', v.a],
    ['b saturated', v.b],
    ['a paced', v.aPaced],
    ['b paced', v.bPaced],
  ])
    if (p?.errors) out(`Request errors of ${label}, by kind: ${JSON.stringify(p.errorKinds)}.`);
  if (v.a.warmupErrors || v.b.warmupErrors) out(`Warm-up errors or non-2xx: a ${v.a.warmupErrors}, b ${v.b.warmupErrors}.`);
  const complaints = stack.nginx.tail.filter((l) => /\[(warn|error|crit|alert|emerg)\]/.test(l));
  if (complaints.length) out(`nginx's error log (last ${complaints.length} lines kept):\n\n    ${complaints.slice(-10).join('\n    ')}\n`);
  out();
  out('| round | a req/s | b req/s | b / a | a p99 ms | b p99 ms | p99 b − a ms | paced a p99 | paced b p99 | paced p99 b − a | other work a / b (% of a core) |');
  out('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  runs.a.forEach((x, i) => {
    const y = runs.b[i];
    const pa = runs.aPaced[i];
    const pb = runs.bPaced[i];
    out(
      `| ${i + 1} | ${fmt(x.reqPerSec, 0)} | ${fmt(y.reqPerSec, 0)} | ${fmt(100 * v.ratios[i], 1)} % | ${fmt(x.p99)} | ${fmt(y.p99)} | ${fmt(y.p99 - x.p99)} | ${pa ? fmt(pa.p99) : '–'} | ${pb ? fmt(pb.p99) : '–'} | ${pa ? fmt(pb.p99 - pa.p99) : '–'} | ${fmt(x.cpu.rest, 0)} / ${fmt(y.cpu.rest, 0)} |`,
    );
  });
  out();
  out(`CPU during the measured runs, % of one core (mean over the rounds; the machine has ${os.availableParallelism?.() ?? os.cpus().length} cores):`);
  out();
  out('| run | all-in-one | user module | auth module | other 3 modules | nginx | autocannon | redis | mariadbd | rest | machine | serving CPU µs/request |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const cpuRow = (label, p, serving) => {
    const c = p.cpu;
    const rps = p.responses / p.durationSeconds;
    const us = (serving.map((k) => c[k] ?? 0).reduce((x, y) => x + y, 0) * 1e4) / rps;
    out(
      `| ${label} | ${fmt(c.baseline, 0)} | ${fmt(c.user, 0)} | ${fmt(c.auth, 0)} | ${fmt(c.otherModules, 0)} | ${fmt(c.nginx, 0)} | ${fmt(c.autocannon, 0)} | ${fmt(c.redis, 0)} | ${fmt(c.mariadb, 0)} | ${fmt(c.rest, 0)} | ${fmt(c.machine, 0)} | ${fmt(us, 0)} |`,
    );
  };
  cpuRow('a) saturated', v.a, ['baseline']);
  cpuRow('b) saturated', v.b, ['user', 'nginx']);
  if (v.aPaced) {
    cpuRow('a) paced', v.aPaced, ['baseline']);
    cpuRow('b) paced', v.bPaced, ['user', 'nginx']);
  }
  out();
  out(
    '"serving CPU" is the all-in-one process for a, the user module + nginx for b. "rest" is kernel time not charged to the processes listed (loopback networking in softirq) plus any other work on the machine.',
  );
  out();
  out(`### ${backend}: targets (gateway hop)`);
  out();
  const range = (xs, f = (x) => x) => `${fmt(f(Math.min(...xs)), 1)}…${fmt(f(Math.max(...xs)), 1)}`;
  out(
    `- throughput b / a: median of the per-round ratios **${fmt(100 * v.ratio, 1)} %** (rounds ${range(v.ratios, (x) => 100 * x)} %; means ${fmt(v.b.reqPerSec, 0)} / ${fmt(v.a.reqPerSec, 0)} req/s), so the hop costs ${fmt(100 * (1 - v.ratio), 1)} % (target ≤ 25 %): ${v.ratioOk ? 'MET' : 'MISSED'}`,
  );
  out(
    `- p99 delta, saturated (${settings.connections} connections): **${fmt(v.p99Delta)} ms** (${fmt(v.b.p99)} − ${fmt(v.a.p99)}; per round ${range(v.p99Deltas)} ms) (target ≤ ${P99_DELTA_TARGET_MS} ms): ${v.p99Ok ? 'MET' : 'MISSED'}`,
  );
  if (v.aPaced) {
    out(
      `- p99 delta, paced at ${settings.pacedRate} req/s (no queueing): **${fmt(v.pacedP99Delta)} ms** (${fmt(v.bPaced.p99)} − ${fmt(v.aPaced.p99)}; per round ${range(v.pacedP99Deltas)} ms; p50 delta ${fmt(v.pacedP50Delta)} ms) (target ≤ ${P99_DELTA_TARGET_MS} ms): ${v.pacedP99Ok ? 'MET' : 'MISSED'}`,
    );
  }
  out();
}

// ---------------------------------------------------------------------------------------------
// Phase 2: a dead module

async function breakerState(stack) {
  const res = await fetch(`${stack.moduleUrl('auth')}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  // a transition counter appears with its first transition
  const n = (re, absent) => Number(re.exec(text)?.[1] ?? absent);
  return {
    state: n(/mcp_circuit_breaker_state\{target="module:user"\} (\d+)/, Number.NaN),
    opened: n(/mcp_circuit_breaker_transitions_total\{target="module:user",to="open"\} (\d+)/, 0),
    halfOpened: n(/mcp_circuit_breaker_transitions_total\{target="module:user",to="half-open"\} (\d+)/, 0),
  };
}

/** Logins through the gateway, cycling through 4 × connections user names. */
function loginCannon(stack, settings) {
  const names = 4 * settings.deadConnections;
  let n = 0;
  const body = () => JSON.stringify({ username: `bench.user${n++ % names}`, password: 'Not-The-Password!1' });
  return {
    url: `${stack.gatewayUrl}/api/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(),
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
    connections: settings.deadConnections,
    pipelining: 1,
    names,
  };
}

/** Runs autocannon, recording every response's status and time in ms (and CPU when `stack` is given). */
async function loginLoad(opts, stack) {
  const samples = [];
  const statuses = {};
  const before = stack ? await cpuSnapshot(stack) : undefined;
  const r = await runCannon(opts, (_c, status, _b, ms) => {
    samples.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const cpu = before ? cpuBetween(before, await cpuSnapshot(stack)) : undefined;
  const sorted = Float64Array.from(samples).sort();
  return {
    cpu,
    responses: samples.length,
    statuses,
    errors: r.errors,
    timeouts: r.timeouts,
    errorKinds: r.errorKinds,
    reqPerSec: r.requests.average,
    durationSeconds: r.duration,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

async function deadPhase(settings, stack) {
  await login(stack.gatewayUrl, 'gateway (before the kill)');
  const before = await breakerState(stack);
  if (before.state !== 0) throw new BenchError(`the auth module's breaker on the user module is not closed before the kill (state ${before.state})`);

  await waitQuiet(settings, `${stack.backend} dead module`);
  const user = stack.modules.user;
  progress(`${stack.backend}: SIGKILL the user module (pid ${user.pid})`);
  process.kill(user.pid, 'SIGKILL');
  const exit = await user.exited;
  progress(`${stack.backend}/user: gone (${describeExit(exit)})`);

  // until open: logins through the gateway while the breaker counts the failures
  const { names, ...cannon } = loginCannon(stack, settings);
  const startedAt = performance.now();
  let openAfterMs;
  let pollError;
  const poller = (async () => {
    while (!interrupted && performance.now() - startedAt < settings.deadOpenTimeout * 1000) {
      try {
        if ((await breakerState(stack)).state === 1) {
          openAfterMs = performance.now() - startedAt;
          break;
        }
      } catch (e) {
        pollError = e;
      }
      await sleep(20);
    }
    stopLoad();
  })();
  progress(`${stack.backend}: driving logins through the gateway until the breaker on the user module opens (at most ${settings.deadOpenTimeout} s)`);
  const untilOpen = await loginLoad({ ...cannon, duration: settings.deadOpenTimeout + 5 });
  await poller;
  checkInterrupted();
  if (openAfterMs === undefined) throw new BenchError(`the breaker did not open within ${settings.deadOpenTimeout} s${pollError ? ` (${pollError.message})` : ''}`);
  progress(`${stack.backend}: breaker open after ${fmt(openAfterMs, 0)} ms and ${untilOpen.responses} logins (${JSON.stringify(untilOpen.statuses)})`);

  // open: the failing logins measured
  progress(`${stack.backend}: measuring ${settings.deadDuration} s of logins with the breaker open, ${settings.deadConnections} connections`);
  const open = await loginLoad({ ...cannon, duration: settings.deadDuration }, stack);
  checkInterrupted();
  let paced;
  if (settings.deadPacedRate) {
    progress(`${stack.backend}: measuring ${settings.deadDuration} s of logins with the breaker open, paced at ${settings.deadPacedRate} req/s`);
    paced = await loginLoad({ ...cannon, duration: settings.deadDuration, overallRate: settings.deadPacedRate }, stack);
    checkInterrupted();
  }
  const after = await breakerState(stack);
  // what a user sees: one answer, its status, Retry-After and message
  const sample = await fetch(cannon.url, { method: 'POST', headers: cannon.headers, body: cannon.requests[0].setupRequest({}).body, signal: AbortSignal.timeout(15_000) });
  const sampleBody = await sample.text();
  const v = {
    names,
    ipLimit: settings.ipLimit,
    openAfterMs,
    untilOpen,
    open,
    paced,
    halfOpenTrials: after.halfOpened - before.halfOpened,
    reopened: after.opened - before.opened,
    stateAfter: after.state,
    sample: { status: sample.status, retryAfter: sample.headers.get('retry-after'), body: sampleBody.slice(0, 300) },
  };
  const non503 = (r) =>
    Object.entries(r.statuses)
      .filter(([s]) => s !== '503')
      .reduce((a, [, n]) => a + n, 0);
  v.non503 = non503(open) + (paced ? non503(paced) : 0);
  v.count503 = (open.statuses['503'] ?? 0) + (paced?.statuses['503'] ?? 0);
  v.errors = open.errors + (paced?.errors ?? 0);
  v.p99Ok = open.p99 <= DEAD_P99_TARGET_MS;
  v.pacedP99Ok = paced ? paced.p99 <= DEAD_P99_TARGET_MS : undefined;
  v.all503 = v.non503 === 0 && v.errors === 0 && open.responses > 0;
  progress(`${stack.backend}: open breaker: ${open.responses} logins, ${JSON.stringify(open.statuses)}, p50 ${fmt(open.p50)} ms, p99 ${fmt(open.p99)} ms`);
  return v;
}

function printDead(settings, backend, v) {
  out(`## ${backend}: a dead module — POST /api/auth/login through the gateway, user module SIGKILLed`);
  out();
  const row = (label, r) =>
    out(
      `| ${label} | ${settings.deadConnections} | ${r.responses} | ${fmt(r.reqPerSec, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max, 1)} | ${Object.entries(
        r.statuses,
      )
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')} | ${r.errors} (${r.timeouts}) |`,
    );
  out(
    `Logins cycle through ${v.names} user names (none known to the platform: the credentials are asked of the dead user module first), ${settings.deadConnections} connections; per-address login limit ${v.ipLimit ? `${v.ipLimit}/min (BENCH_LOGIN_IP_LIMIT)` : 'the platform default, 30/min'}.`,
  );
  out();
  out('| window | conns | logins | req/s | p50 ms | p95 ms | p99 ms | max ms | statuses | errors (timeouts) |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|');
  row(`kill → breaker open (${fmt(v.openAfterMs / 1000, 2)} s)`, v.untilOpen);
  row(`breaker open, saturated, ${settings.deadDuration} s`, v.open);
  if (v.paced) row(`breaker open, paced ${settings.deadPacedRate} req/s, ${settings.deadDuration} s`, v.paced);
  out();
  out('CPU while the breaker was open, % of one core:');
  out();
  out('| window | auth module | other 3 modules | nginx | all-in-one (idle) | autocannon | mariadbd | rest | machine | auth + nginx CPU µs/login |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [label, r] of [
    ['saturated', v.open],
    ['paced', v.paced],
  ]) {
    if (!r?.cpu) continue;
    const c = r.cpu;
    const us = (((c.auth ?? 0) + (c.nginx ?? 0)) * 1e4) / (r.responses / r.durationSeconds);
    out(
      `| ${label} | ${fmt(c.auth, 0)} | ${fmt(c.otherModules, 0)} | ${fmt(c.nginx, 0)} | ${fmt(c.baseline, 0)} | ${fmt(c.autocannon, 0)} | ${fmt(c.mariadb, 0)} | ${fmt(c.rest, 0)} | ${fmt(c.machine, 0)} | ${fmt(us, 0)} |`,
    );
  }
  out();
  out(
    `The breaker (auth module → module:user) opened ${fmt(v.openAfterMs, 0)} ms after the load started (read from the auth module's /metrics every 20 ms); from the kill to the end of the measured windows it opened ${v.reopened} time(s) and went half-open (one trial call, which failed) ${v.halfOpenTrials} time(s); state at the end: ${v.stateAfter === 1 ? 'open' : v.stateAfter === 2 ? 'half-open' : v.stateAfter === 0 ? 'closed' : v.stateAfter}.`,
  );
  out(`One login after the window: HTTP ${v.sample.status}, Retry-After: ${v.sample.retryAfter ?? '(none)'}, body ${v.sample.body}`);
  out();
  out(`### ${backend}: targets (dead module)`);
  out();
  out(
    `- p99 of the failing logins with the breaker open, saturated (${settings.deadConnections} connections): **${fmt(v.open.p99)} ms** (p50 ${fmt(v.open.p50)} ms) (target ≤ ${DEAD_P99_TARGET_MS} ms): ${v.p99Ok ? 'MET' : 'MISSED'}`,
  );
  if (v.paced)
    out(
      `- p99 of the failing logins with the breaker open, paced at ${settings.deadPacedRate} req/s: **${fmt(v.paced.p99)} ms** (p50 ${fmt(v.paced.p50)} ms) (target ≤ ${DEAD_P99_TARGET_MS} ms): ${v.pacedP99Ok ? 'MET' : 'MISSED'}`,
    );
  out(`- answers with the breaker open: ${v.count503} × 503, ${v.non503} other, ${v.errors} connection errors: ${v.all503 ? 'all 503' : 'NOT all 503'}`);
  out();
}

// ---------------------------------------------------------------------------------------------
// Main

async function runBackend(settings, backend, tag, redis) {
  const ids = { dbName: `mcp_bench_split_${tag}`, keyPrefix: `bench_split_${tag}:`, amqpPrefix: `bench_split_${tag}.` };
  const tmp = mkdtempSync(path.join(os.tmpdir(), `mcp-bench-split-${backend}-`));
  mkdirSync(path.join(tmp, 'logs'));
  onCleanup(`remove ${tmp}`, () => rmSync(tmp, { recursive: true, force: true }));
  if (backend === 'real') {
    out(
      `${backend}: mysql ${redact(settings.mysqlUrl)}/${ids.dbName}, redis ${redact(settings.redisUrl)} prefix "${ids.keyPrefix}", amqp ${redact(settings.amqpUrl)} prefix "${ids.amqpPrefix}"`,
    );
    await mysqlQuery(settings, 'SELECT 1').catch((e) => {
      throw new BenchError(`cannot reach MariaDB at ${redact(settings.mysqlUrl)}: ${e.message}`);
    });
    const conn = await amqp.connect(settings.amqpUrl).catch((e) => {
      throw new BenchError(`cannot reach RabbitMQ at ${redact(settings.amqpUrl)}: ${e.message}`);
    });
    await conn.close();
    // registered before the processes start, so they run after the processes stopped
    onCleanup(`drop database ${ids.dbName}`, async () => {
      await mysqlQuery(settings, `DROP DATABASE IF EXISTS \`${ids.dbName}\``);
      progress(`cleanup: dropped database ${ids.dbName}`);
    });
    onCleanup(`delete Redis keys ${ids.keyPrefix}*`, async () => progress(`cleanup: deleted ${await deleteKeys(redis, ids.keyPrefix)} Redis keys under "${ids.keyPrefix}"`));
    onCleanup(`drop AMQP objects ${ids.amqpPrefix}*`, async () =>
      progress(`cleanup: removed ${(await dropBrokerObjects(settings, ids.amqpPrefix)).join(', ') || 'nothing'} on the broker`),
    );
  } else {
    out(`${backend}: SQLite file, memory cache and in-process bus in ${tmp}/data (the split modules share the SQLite file; each has a private cache and bus)`);
  }
  out();

  const stack = await startStack(settings, backend, ids, tmp);
  const result = { backend };
  try {
    if (settings.phases.includes('hop')) {
      const runs = await hopPhase(settings, stack, backend === 'real' ? redis : undefined);
      result.hop = hopVerdict(runs);
      result.hopRuns = runs;
      printHop(settings, stack, runs, result.hop);
    }
    if (settings.phases.includes('dead')) {
      result.dead = await deadPhase(settings, stack);
      printDead(settings, backend, result.dead);
    }
  } finally {
    await stopStack(stack);
  }
  return result;
}

async function main() {
  const settings = readSettings();
  if (!existsSync(CLI)) throw new BenchError(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  printInvocation(settings, tag);

  let redis;
  if (settings.backends.includes('real')) {
    redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
    redis.on('error', () => {});
    await redis.connect().catch((e) => {
      throw new BenchError(`cannot reach Redis at ${redact(settings.redisUrl)}: ${e.message}`);
    });
    onCleanup('close redis', () => redis.quit());
  }

  const quiet = machineBusySeconds();
  await sleep(1000);
  const busyPct = quiet === undefined ? undefined : (machineBusySeconds() - quiet) * 100;
  out(
    `machine load before starting: ${fmt(busyPct, 0)} % of one core busy over 1 s (load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})`,
  );
  out();

  const results = [];
  for (const backend of settings.backends) results.push(await runBackend(settings, backend, tag, redis));

  if (settings.jsonOut) {
    const replacer = (k, v) => (k === 'latencies' ? undefined : v);
    writeFileSync(
      settings.jsonOut,
      `${JSON.stringify({ date: new Date().toISOString(), settings, results, node: process.version, nproc: os.availableParallelism?.() }, replacer, 2)}\n`,
    );
    progress(`wrote ${settings.jsonOut}`);
  }

  const failures = [];
  const missed = [];
  for (const r of results) {
    if (r.hop) {
      const all = [...r.hopRuns.a, ...r.hopRuns.b, ...r.hopRuns.aPaced, ...r.hopRuns.bPaced];
      if (all.some((x) => x.errors || x.non2xx || x.warmup.errors || x.warmup.non2xx)) failures.push(`${r.backend}: errors or non-2xx answers in the hop runs`);
      if (!r.hop.ratioOk) missed.push(`${r.backend} hop throughput`);
      if (!r.hop.p99Ok) missed.push(`${r.backend} hop p99 (saturated)`);
      if (r.hop.pacedP99Ok === false) missed.push(`${r.backend} hop p99 (paced)`);
    }
    if (r.dead) {
      if (!r.dead.all503) failures.push(`${r.backend}: not every login with the breaker open was a 503`);
      if (!r.dead.p99Ok) missed.push(`${r.backend} dead-module p99 (saturated)`);
      if (r.dead.pacedP99Ok === false) missed.push(`${r.backend} dead-module p99 (paced)`);
    }
  }
  out(`Targets missed: ${missed.length ? missed.join(', ') : 'none'}.`);
  if (failures.length) {
    out(`FAILED: ${failures.join('; ')}`);
    return 1;
  }
  if (settings.enforceTarget && missed.length) {
    out('FAILED: a target was missed (BENCH_ENFORCE_TARGET=1)');
    return 3;
  }
  return 0;
}

let code;
try {
  code = await main();
} catch (e) {
  if (!interrupted) process.stderr.write(`bench:split failed: ${e instanceof BenchError ? e.message : (e?.stack ?? e)}\n`);
  code = interrupted ? 130 : 1;
}
await cleanup();
if (cleanupFailed()) {
  process.stderr.write('cleanup was incomplete (see above)\n');
  if (code === 0) code = 1;
}
process.exit(code);
