#!/usr/bin/env node
// bench/observability — what metrics, the access log and tracing cost on the authenticated read.
//
//   node bench/observability/run.mjs                           (3 alternating rounds, 10 s each)
//   BENCH_WAIT_QUIET=120 node bench/observability/run.mjs      (on a shared machine)
//   BENCH_CPU_PROF=/tmp/obs-prof BENCH_ROUNDS=1 node bench/observability/run.mjs   (profiles)
//
// One run drives `GET /api/users/1` (bearer token, user cached in Redis) with autocannon at 50
// connections against four platforms of the SAME build (dist/), each in its own process, all
// started up front over one database and one Redis key prefix and idle while another is measured:
//   1  all signals off          MCP_HTTP_METRICS=false MCP_ACCESS_LOG=false, no OTEL endpoint
//   2  metrics + access log     the defaults, tracing off
//   3  2 + tracing, default     OTEL_EXPORTER_OTLP_ENDPOINT set, no sampler variables
//                               (the platform's default: parentbased_traceidratio, ratio 0.1,
//                               at most MCP_TRACES_PER_SECOND=10 new traces a second)
//   4  2 + tracing, 100 %       ... and OTEL_TRACES_SAMPLER=always_on
// Spans go to an OTLP/HTTP JSON sink of our own (bench/observability/otlp-sink.mjs, another child
// process) that counts them; the report gives spans/s and the share of requests traced, so it is
// visible that tracing really ran. Each config's cost is given against config 1 (throughput loss %
// and p99 increase in ms) and checked against the targets: 2 ≤ 10 % and ≤ 2 ms p99; 3 ≤ 15 %;
// 4 reported only. Rounds alternate the order (1 2 3 4, then 4 3 2 1, …) so slow drifts of a
// shared machine hit every config alike; the throughput verdict uses the median of the per-round
// losses (each against config 1 of the same round), the p99 verdict the p99 over all responses
// of the rounds used (all rounds, or only the undisturbed ones; see BENCH_WAIT_QUIET).
// Afterwards it checks that the switches did what they say (access-log lines and
// http_requests_total per platform) and times `GET /metrics` of platform 2.
//
// The scrape cost of the metrics registry at many series is measured by
// bench/observability/scrape.mjs (see there).
//
// Settings (environment):
//   BENCH_DURATION=10            seconds of each measured run
//   BENCH_WARMUP=3               seconds of warm-up before each measured run (not reported)
//   BENCH_CONNECTIONS=50
//   BENCH_ROUNDS=3               rounds; each measures every selected config once
//   BENCH_CONFIGS=1,2,3,4        which configs to run (1 must be among them for the cost figures);
//                                optional ones, to split the costs up (report only):
//                                  m   HTTP metrics only (MCP_ACCESS_LOG=false)
//                                  a   access log only (MCP_HTTP_METRICS=false)
//                                  t0  2 + tracing with OTEL_TRACES_SAMPLER=always_off: what every
//                                      request pays for tracing (its SERVER span's sampling
//                                      decision) without recording or exporting anything
//                                  t10 2 + tracing at 10 % without the cap (MCP_TRACES_PER_SECOND=0)
//   BENCH_WAIT_QUIET=<seconds>   before each measured run, wait up to this long for the machine to
//                                be quiet (< 20 % of one core busy), and repeat a run during which
//                                other work used > 15 % of a core (up to BENCH_NOISY_ATTEMPTS runs);
//                                default 0 (off). A round in which a run stayed disturbed is marked,
//                                and the tables use only the undisturbed rounds when there is one.
//   BENCH_NOISY_ATTEMPTS=4       measured runs per config and round at most, with BENCH_WAIT_QUIET
//   BENCH_CPU_PROF=<dir>         run the platforms under `node --cpu-prof`, keep the profiles in
//                                <dir>, and print where the time goes (last round's measured run),
//                                per request: 4 vs 2, t10 vs 2, 3 vs 2, 3 vs t0, t0 vs 2, 2 vs 1, m vs 1,
//                                a vs 1 (those that ran). Profiling slows everything:
//                                take the throughput figures from a run without it.
//   BENCH_FRESH=1                start the platforms afresh for every round (and stop them after it),
//                                so that a process's own luck — memory layout, JIT decisions — which
//                                lasts its whole life and is not cancelled by alternating rounds,
//                                varies between rounds too; default 0 (one process per config for
//                                the whole run). Does not combine with BENCH_CPU_PROF.
//   BENCH_JSON=<file>            also write the results as JSON
//   BENCH_ENFORCE_TARGET=1       exit 3 when a target is missed
//   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306, BENCH_REDIS_URL=redis://127.0.0.1:6379/0,
//   BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672
// Exit code: 0 when every run was free of errors and non-2xx answers, 1 otherwise (or setup or
// cleanup failed), 3 with BENCH_ENFORCE_TARGET=1 and a missed target, 130 when interrupted.
//
// The process, cleanup, CPU-accounting and autocannon helpers are bench/lib's, shared with
// bench/api and bench/backup; bench/api's CPU-profile summariser is used as it is.
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { diffPerRequest, formatDiff, formatSummary, summarize } from '../api/profile-summary.mjs';
import { ROOT, describeExit, freePort, startNodeChild, tryExec, waitReady } from '../lib/children.mjs';
import { createCleanup, stopOnSignals } from '../lib/cleanup.mjs';
import { deleteKeys, mysqlQuery } from '../lib/services.mjs';
import { machineBusySeconds, procCpuSeconds, redisCpuSeconds } from '../lib/cpu.mjs';
import { runCannon, stopLoad } from '../lib/load.mjs';
import { fmt, median, out, percentile, progressLine } from '../lib/report.mjs';
import { BenchError, intEnv, redact } from '../lib/settings.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');

const NOISE_LIMIT = 15; // % of one core used by other work during a run, above which BENCH_WAIT_QUIET repeats it
const ADMIN_PASSWORD = 'Bench-Pass!2026x';
const READ_ROUTE = '/api/users/:id';

/**
 * The four configurations, and three optional ones (BENCH_CONFIGS) that split the costs up;
 * `otel` marks those that export to the sink. Listed in the order they run in odd rounds.
 */
const CONFIGS = [
  { id: '1', label: '(1) all signals off', env: { MCP_HTTP_METRICS: 'false', MCP_ACCESS_LOG: 'false' }, otel: false },
  { id: 'm', label: '(m) HTTP metrics only', env: { MCP_ACCESS_LOG: 'false' }, otel: false },
  { id: 'a', label: '(a) access log only', env: { MCP_HTTP_METRICS: 'false' }, otel: false },
  { id: '2', label: '(2) metrics + access log (defaults), no tracing', env: {}, otel: false },
  { id: 't0', label: '(t0) = 2 + tracing on, sampler always_off', env: { OTEL_TRACES_SAMPLER: 'always_off' }, otel: true, expectTraced: 0 },
  { id: '3', label: '(3) = 2 + tracing, default sampling (10 %, ≤ 10 new traces/s)', env: {}, otel: true, expectTraced: 0.1, capPerSecond: 10 },
  { id: 't10', label: '(t10) = 2 + tracing, 10 % without a cap', env: { OTEL_TRACES_SAMPLER_ARG: '0.1', MCP_TRACES_PER_SECOND: '0' }, otel: true, expectTraced: 0.1 },
  { id: '4', label: '(4) = 2 + tracing, always_on (100 %)', env: { OTEL_TRACES_SAMPLER: 'always_on' }, otel: true, expectTraced: 1 },
];
/** Targets against config 1: throughput loss (fraction) and p99 increase (ms); undefined = report only. */
const TARGETS = { 2: { loss: 0.1, p99: 2 }, 3: { loss: 0.15 }, 4: {} };

// ---------------------------------------------------------------------------------------------
// Settings

function readSettings() {
  const ids = (process.env.BENCH_CONFIGS || '1,2,3,4')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((s) => !CONFIGS.some((c) => c.id === s));
  if (unknown.length) throw new BenchError(`BENCH_CONFIGS: unknown ${unknown.join(', ')}; choose from ${CONFIGS.map((c) => c.id).join(', ')}`);
  return {
    duration: intEnv('BENCH_DURATION', 10, 1, 3600),
    warmup: intEnv('BENCH_WARMUP', 3, 0, 600),
    connections: intEnv('BENCH_CONNECTIONS', 50, 1, 10_000),
    rounds: intEnv('BENCH_ROUNDS', 3, 1, 100),
    configs: CONFIGS.filter((c) => ids.includes(c.id)),
    waitQuiet: intEnv('BENCH_WAIT_QUIET', 0, 0, 3600),
    noisyAttempts: intEnv('BENCH_NOISY_ATTEMPTS', 4, 1, 100),
    mysqlUrl: (process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/0',
    amqpUrl: process.env.BENCH_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    cpuProfDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined,
    fresh: process.env.BENCH_FRESH === '1',
    jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
    enforceTarget: process.env.BENCH_ENFORCE_TARGET === '1',
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const progress = progressLine('obs');
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
const signed = (n, d = 2) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(d)}` : '–');
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Files under `dir` modified after `since` (ms), relative to ROOT (for "is dist/ older than src/?"). */
function newerFiles(dir, since, found = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newerFiles(p, since, found);
    else if (statSync(p).mtimeMs > since) found.push(path.relative(ROOT, p));
  }
  return found;
}

function printInvocation(settings, ids) {
  const benchEnv = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_'))
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  const sha = tryExec('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryExec('git', ['status', '--porcelain', '--', 'src']);
  const cpus = os.cpus();
  const argv = process.argv.slice(1).map((a) => (path.isAbsolute(a) && a.startsWith(`${ROOT}/`) ? path.relative(ROOT, a) : a));
  out(`# bench/observability — ${new Date().toISOString()}`);
  out(`invoked as: node ${argv.join(' ')}`);
  out(`BENCH_* environment: ${benchEnv.length ? benchEnv.join(' ') : '(none set; defaults)'}`);
  out(
    `settings: duration=${settings.duration}s warmup=${settings.warmup}s connections=${settings.connections} rounds=${settings.rounds} configs=${settings.configs.map((c) => c.id).join(',')}${settings.waitQuiet ? ` wait-quiet=${settings.waitQuiet}s` : ''}${settings.cpuProfDir ? ' cpu-prof=on' : ''}${settings.fresh ? ' fresh-processes=on' : ''}`,
  );
  out(`machine: nproc=${os.availableParallelism?.() ?? cpus.length}, ${cpus[0]?.model ?? 'unknown cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`);
  out(`node ${process.version}; autocannon in this process (pid ${process.pid}); each platform and the OTLP sink in its own child process`);
  if (existsSync(CLI)) {
    const built = statSync(CLI).mtimeMs;
    const stale = newerFiles(path.join(ROOT, 'src'), built);
    out(`platform: dist/cli/main.js built ${new Date(built).toISOString()}; git ${sha ?? '?'}${dirty ? ' (src/ has uncommitted changes)' : ''}`);
    if (stale.length) out(`WARNING: changed since the build (\`npm run build\`): ${stale.slice(0, 6).join(', ')}${stale.length > 6 ? ` and ${stale.length - 6} more` : ''}`);
  }
  out(`services: mysql ${redact(settings.mysqlUrl)}/${ids.dbName}, redis ${redact(settings.redisUrl)} prefix "${ids.keyPrefix}", amqp ${redact(settings.amqpUrl)}`);
  out();
}

// ---------------------------------------------------------------------------------------------
// Cleanup: registered steps run once, last registered first, on success, failure or a signal.

const { onCleanup, cleanup, cleanupFailed } = createCleanup(progress);
let interrupted = false;
stopOnSignals(progress, cleanup, () => {
  interrupted = true;
  stopLoad();
});

// ---------------------------------------------------------------------------------------------
// Child processes

const startChild = (name, args, env, { cpuProfDir } = {}) => startNodeChild(name, args, env, { cpuProfDir, onCleanup, progress });

async function stopChild(proc) {
  const e = await proc.stop();
  progress(`${proc.name}: stopped (${describeExit(e)})`);
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc; Redis INFO)

/** The longest-running mariadbd (tests may start short-lived ones of their own). */
const DB_PID = (() => {
  const pids = (tryExec('pidof', ['mariadbd']) || tryExec('pidof', ['mysqld']) || '').split(' ').map(Number).filter(Boolean);
  const started = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]); // starttime (field 22)
    } catch {
      return Infinity;
    }
  };
  return pids.sort((a, b) => started(a) - started(b))[0];
})();

async function waitQuiet(settings, tag) {
  if (!settings.waitQuiet) return;
  const deadline = Date.now() + settings.waitQuiet * 1000;
  for (;;) {
    const before = machineBusySeconds();
    await new Promise((r) => setTimeout(r, 2000));
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

async function cpuSnapshot(redis, serverPid, sinkPid) {
  const self = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    machine: machineBusySeconds(),
    server: procCpuSeconds(serverPid),
    serverSys: procCpuSeconds(serverPid, 'sys'),
    autocannon: (self.user + self.system) / 1e6,
    redis: await redisCpuSeconds(redis),
    mariadb: procCpuSeconds(DB_PID),
    sink: procCpuSeconds(sinkPid),
  };
}

/** Per component: % of one core used between the two snapshots; `rest` = everything else. */
function cpuBetween(a, b) {
  const wall = Number(b.at - a.at) / 1e9;
  const pct = (k) => (a[k] === undefined || b[k] === undefined || !Number.isFinite(a[k] + b[k]) ? undefined : (100 * (b[k] - a[k])) / wall);
  const c = {
    server: pct('server'),
    serverSys: pct('serverSys'),
    autocannon: pct('autocannon'),
    redis: pct('redis'),
    mariadb: pct('mariadb'),
    sink: pct('sink'),
    machine: pct('machine'),
  };
  if (c.machine !== undefined) c.rest = c.machine - [c.server, c.autocannon, c.redis, c.mariadb, c.sink].filter((x) => x !== undefined).reduce((x, y) => x + y, 0);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Load generation

async function sinkStats(sink) {
  if (!sink) return undefined;
  const res = await fetch(`${sink.base}/stats`, { signal: AbortSignal.timeout(5000) });
  return res.json();
}

/**
 * One measured run of one config: a single checked request, waiting for quiet, warm-up, then the
 * measured run (repeated when other work disturbed it and BENCH_WAIT_QUIET is set). Latency
 * percentiles come from every response's own time (autocannon's histogram keeps whole ms only).
 */
async function measure(settings, { config, spec, redis, sink, round }) {
  const tag = `config ${config.id} (round ${round})`;
  const { url, headers } = spec;
  const first = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  const firstBody = await first.text();
  if (first.status !== 200) throw new BenchError(`${tag}: first request answered HTTP ${first.status}: ${firstBody.slice(0, 400)}`);
  if (JSON.parse(firstBody).id !== 1) throw new BenchError(`${tag}: unexpected body ${firstBody.slice(0, 200)}`);
  await waitQuiet(settings, tag);
  const cannon = { url, method: 'GET', headers, connections: settings.connections, pipelining: 1 };
  let warm = { errors: 0, timeouts: 0, non2xx: 0, requests: { total: 0 } };
  if (settings.warmup > 0) {
    progress(`${tag}: warm-up ${settings.warmup} s`);
    warm = await runCannon({ ...cannon, duration: settings.warmup });
  }
  const discarded = { runs: 0, errors: 0, non2xx: 0, requests: 0 };
  let latencies, r, from, to, cpu, spans;
  for (let attempt = 1; ; attempt++) {
    if (interrupted) throw new BenchError('interrupted');
    progress(`${tag}: measuring ${settings.duration} s${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    const samples = [];
    const sinkBefore = config.otel ? await sinkStats(sink) : undefined;
    const cpuBefore = await cpuSnapshot(redis, spec.pid, sink?.pid);
    from = monotonicMicros();
    r = await runCannon({ ...cannon, duration: settings.duration }, (_c, _s, _b, ms) => samples.push(ms));
    to = monotonicMicros();
    cpu = cpuBetween(cpuBefore, await cpuSnapshot(redis, spec.pid, sink?.pid));
    if (config.otel) {
      const after = await sinkStats(sink);
      spans = {
        spans: after.spans - sinkBefore.spans,
        serverSpans: after.serverSpans - sinkBefore.serverSpans,
        posts: after.posts - sinkBefore.posts,
        bytes: after.bytes - sinkBefore.bytes,
      };
    }
    latencies = samples;
    if (interrupted) throw new BenchError('interrupted');
    if (!settings.waitQuiet || !(cpu.rest > NOISE_LIMIT) || attempt >= settings.noisyAttempts) break;
    progress(`${tag}: other work used ${cpu.rest.toFixed(0)} % of a core during the run (${r.requests.average.toFixed(0)} req/s); discarding it`);
    discarded.runs += 1;
    discarded.errors += r.errors;
    discarded.non2xx += r.non2xx;
    discarded.requests += r.requests.total;
    await waitQuiet(settings, tag);
  }
  const sorted = Float64Array.from(latencies).sort();
  const seconds = (to - from) / 1e6;
  const result = {
    config: config.id,
    round,
    reqPerSec: r.requests.average,
    responses: latencies.length,
    seconds,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    warmup: { errors: warm.errors, timeouts: warm.timeouts, non2xx: warm.non2xx },
    discarded,
    requestsSent: 1 + warm.requests.total + discarded.requests + r.requests.total,
    cpu,
    spans,
    window: { fromMicros: from, toMicros: to },
    latencies: sorted,
  };
  const spanNote = spans ? `, ${(spans.spans / seconds).toFixed(0)} spans/s, ${((100 * spans.serverSpans) / Math.max(1, latencies.length)).toFixed(1)} % traced` : '';
  progress(
    `${tag}: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, errors ${result.errors}, non-2xx ${result.non2xx}${spanNote}`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// Services and servers

async function startSink(_settings) {
  const port = await freePort();
  const proc = startChild('otlp-sink', [path.join(HERE, 'otlp-sink.mjs')], { BENCH_PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(proc, `${base}/stats`, { timeoutMs: 15_000 });
  return { proc, pid: proc.pid, base };
}

async function startPlatform(settings, ids, tmp, config, sink) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dir = path.join(tmp, `config-${config.id}`);
  const measuredSeconds = settings.rounds * settings.configs.length * (settings.warmup + settings.duration + 2 * settings.waitQuiet);
  const proc = startChild(
    `platform-${config.id}`,
    [CLI, 'serve'],
    {
      MCP_HOST: '127.0.0.1',
      MCP_PORT: String(port),
      MCP_ENV: 'production',
      MCP_LANG: 'en',
      MCP_DB_URL: `${settings.mysqlUrl}/${ids.dbName}`,
      MCP_REDIS_URL: settings.redisUrl,
      MCP_REDIS_KEY_PREFIX: ids.keyPrefix,
      MCP_AMQP_URL: settings.amqpUrl,
      MCP_DATA_DIR: path.join(dir, 'data'),
      MCP_LOG_DIR: path.join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MCP_SHUTDOWN_DRAIN: '0',
      MCP_ACCESS_TOKEN_TTL: String(Math.min(86_400, Math.max(900, measuredSeconds + 900))),
      ...(config.otel ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.base } : {}),
      ...config.env,
    },
    { cpuProfDir: settings.cpuProfDir },
  );
  await waitReady(proc, `${base}/ready`);
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const session = await res.json();
  if (res.status !== 200 || !session.accessToken) throw new BenchError(`platform ${config.id}: login failed: HTTP ${res.status} ${JSON.stringify(session).slice(0, 300)}`);
  if (session.passwordChangeRequired) throw new BenchError(`platform ${config.id}: the admin account must change its password first`);
  progress(`platform-${config.id}: ready and logged in`);
  return { proc, pid: proc.pid, base, logDir: path.join(dir, 'logs'), url: `${base}/api/users/1`, headers: { authorization: `Bearer ${session.accessToken}` } };
}

/** Lines in the access log files of a log directory (rotated ones included). */
async function accessLogLines(logDir) {
  if (!existsSync(logDir)) return 0;
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/access/.test(e.name)) files.push(p);
    }
  };
  walk(logDir);
  let lines = 0;
  for (const f of files) {
    for await (const chunk of createReadStream(f)) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
    }
  }
  return lines;
}

/** http_requests_total for the read route (summed over statuses) from a /metrics body; 0 if absent. */
function readRouteRequests(text) {
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('http_requests_total{') && line.includes(`route="${READ_ROUTE}"`)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

async function timeScrape(base, n = 20) {
  const times = [];
  let bytes = 0;
  let lines = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}/metrics`);
    const body = await res.text();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new BenchError(`GET /metrics answered HTTP ${res.status}`);
    bytes = Buffer.byteLength(body);
    lines = body.split('\n').filter((l) => l && !l.startsWith('#')).length;
  }
  const sorted = times.sort((a, b) => a - b);
  return { n, median: median(sorted), p95: percentile(sorted, 0.95), bytes, series: lines };
}

// ---------------------------------------------------------------------------------------------
// Report

function combineRounds(rounds) {
  const sorted = Float64Array.from(rounds.flatMap((r) => Array.from(r.latencies))).sort();
  const sum = (f) => rounds.reduce((a, r) => a + f(r), 0);
  const cpu = {};
  for (const k of Object.keys(rounds[0].cpu)) {
    const xs = rounds.map((r) => r.cpu[k]).filter((x) => x !== undefined);
    cpu[k] = xs.length ? mean(xs) : undefined;
  }
  const withSpans = rounds.filter((r) => r.spans);
  return {
    config: rounds[0].config,
    reqPerSec: mean(rounds.map((r) => r.reqPerSec)),
    responses: sum((r) => r.responses),
    seconds: sum((r) => r.seconds),
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    warmup: { errors: sum((r) => r.warmup.errors), non2xx: sum((r) => r.warmup.non2xx) },
    discarded: { runs: sum((r) => r.discarded.runs), errors: sum((r) => r.discarded.errors), non2xx: sum((r) => r.discarded.non2xx) },
    requestsSent: sum((r) => r.requestsSent),
    cpu,
    spans: withSpans.length
      ? {
          spans: withSpans.reduce((a, r) => a + r.spans.spans, 0),
          serverSpans: withSpans.reduce((a, r) => a + r.spans.serverSpans, 0),
          posts: withSpans.reduce((a, r) => a + r.spans.posts, 0),
          bytes: withSpans.reduce((a, r) => a + r.spans.bytes, 0),
        }
      : undefined,
    rounds,
  };
}

const cpuPerRequest = (r, key = 'server') => (r.cpu[key] === undefined ? NaN : (r.cpu[key] * 1e4) / (r.responses / r.seconds));

/**
 * `results` are combined over the rounds in `used` (the undisturbed ones when there are any);
 * `allRuns` holds every round of every config, for the per-round table.
 */
function printReport(settings, results, extra, allRuns, used) {
  const by = Object.fromEntries(results.map((r) => [r.config, r]));
  const cfg = (id) => CONFIGS.find((c) => c.id === id);
  const base = by['1'];
  const disturbed = [...Array(settings.rounds).keys()].filter((i) => !used.includes(i));
  const roundsText =
    used.length === settings.rounds
      ? disturbed.length === 0 && Object.values(allRuns).some((rs) => rs.some((x) => x.cpu.rest > NOISE_LIMIT))
        ? `all ${settings.rounds} rounds (every round had a disturbed run)`
        : `all ${settings.rounds} round(s)`
      : `rounds ${used.map((i) => i + 1).join(', ')} of ${settings.rounds} (round(s) ${disturbed.map((i) => i + 1).join(', ')} left out: other work used > ${NOISE_LIMIT} % of a core during a run)`;

  out('## Results');
  out();
  out('| config | req/s | p50 ms | p95 ms | p99 ms | errors / non-2xx | spans/s received | requests traced | spans per traced request |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const s = r.spans;
    const spanCols = s
      ? `${fmt(s.spans / r.seconds, 0)} | ${fmt((100 * s.serverSpans) / r.responses, 1)} % | ${s.serverSpans ? fmt(s.spans / s.serverSpans, 2) : '–'}`
      : '– | – | –';
    out(`| ${cfg(r.config).label} | ${fmt(r.reqPerSec, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${r.errors} / ${r.non2xx} | ${spanCols} |`);
  }
  out();
  out(
    `Figures from ${roundsText}; each run ${settings.duration} s after ${settings.warmup} s of warm-up, ${settings.connections} connections. req/s is the mean over those rounds of autocannon's mean of per-second samples; percentiles over every response of those rounds. "requests traced" = SERVER spans received by the sink ÷ responses in the measured runs.`,
  );
  for (const r of results) {
    if (r.warmup.errors || r.warmup.non2xx) out(`Warm-up of config ${r.config} had ${r.warmup.errors} errors and ${r.warmup.non2xx} non-2xx answers.`);
    if (r.discarded.runs) out(`Config ${r.config}: ${r.discarded.runs} measured run(s) discarded because other work was using the machine.`);
  }
  out();

  const verdicts = [];
  if (base) {
    out('## Cost against config 1 (all signals off)');
    out();
    out(
      '| config | throughput loss, median of rounds | per round | loss from the means | p99 increase (rounds pooled) | p99 increase per round | platform CPU per request | target | verdict |',
    );
    out('|---|---:|---:|---:|---:|---:|---:|---|---|');
    for (const r of results) {
      if (r.config === '1') continue;
      const losses = r.rounds.map((x, i) => 1 - x.reqPerSec / base.rounds[i].reqPerSec);
      const p99d = r.rounds.map((x, i) => x.p99 - base.rounds[i].p99);
      const loss = median(losses);
      const p99Inc = r.p99 - base.p99;
      const t = TARGETS[r.config] ?? {};
      const checks = [];
      if (t.loss !== undefined) checks.push(loss <= t.loss);
      if (t.p99 !== undefined) checks.push(p99Inc <= t.p99);
      const targetText = [t.loss !== undefined ? `loss ≤ ${t.loss * 100} %` : '', t.p99 !== undefined ? `p99 +≤ ${t.p99} ms` : ''].filter(Boolean).join(', ') || 'report only';
      const verdict = checks.length ? (checks.every(Boolean) ? 'MET' : 'MISSED') : 'report only';
      const cpuInc = cpuPerRequest(r) - cpuPerRequest(base);
      verdicts.push({
        config: r.config,
        loss,
        losses,
        lossFromMeans: 1 - r.reqPerSec / base.reqPerSec,
        p99Increase: p99Inc,
        p99Increases: p99d,
        cpuMicrosPerRequestIncrease: cpuInc,
        target: targetText,
        verdict,
      });
      out(
        `| ${cfg(r.config).label} | **${fmt(100 * loss, 1)} %** | ${losses.map((x) => fmt(100 * x, 1)).join(' / ')} | ${fmt(100 * (1 - r.reqPerSec / base.reqPerSec), 1)} % | **${signed(p99Inc)} ms** | ${p99d.map((x) => signed(x)).join(' / ')} | ${signed(cpuInc, 1)} µs (${signed((100 * cpuInc) / cpuPerRequest(base), 0)} %) | ${targetText} | **${verdict}** |`,
      );
    }
    out();
    out(
      `Negative loss = faster than config 1 (run-to-run noise). Throughput verdicts use the median of the per-round losses (each config against config 1 of the same round), p99 verdicts the pooled p99s; both over ${roundsText}. "platform CPU per request": CPU time (user + kernel) of the platform process per response, against config 1's ${fmt(cpuPerRequest(base), 1)} µs.`,
    );
    out();
  } else out('Config 1 did not run: no cost figures.\n');

  if (settings.rounds > 1) {
    out('Rounds (order alternates: forward on odd rounds, reverse on even ones):');
    out();
    const ids = settings.configs.map((c) => c.id);
    out(`| round | order | ${ids.map((id) => `req/s ${id}`).join(' | ')} | ${ids.map((id) => `p99 ${id}`).join(' | ')} | other work (% of a core) ${ids.join(' / ')} | used |`);
    out(`|---:|---|${ids.map(() => '---:').join('|')}|${ids.map(() => '---:').join('|')}|---:|---|`);
    for (let i = 0; i < settings.rounds; i++) {
      const order = (i % 2 === 0 ? settings.configs : [...settings.configs].reverse()).map((c) => c.id).join(' ');
      out(
        `| ${i + 1} | ${order} | ${ids.map((id) => fmt(allRuns[id][i].reqPerSec, 0)).join(' | ')} | ${ids.map((id) => fmt(allRuns[id][i].p99)).join(' | ')} | ${ids.map((id) => fmt(allRuns[id][i].cpu.rest, 0)).join(' / ')} | ${used.includes(i) ? 'yes' : 'no'} |`,
      );
    }
    out();
  }

  out(`CPU during the measured runs, % of one core (mean over the rounds used; the machine has ${os.availableParallelism?.() ?? os.cpus().length} cores):`);
  out();
  out('| config | platform | autocannon | redis-server | mariadbd | OTLP sink | rest of machine | whole machine | platform CPU µs/request (of which kernel) |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const c = r.cpu;
    out(
      `| ${r.config} | ${fmt(c.server, 0)} | ${fmt(c.autocannon, 0)} | ${fmt(c.redis, 0)} | ${fmt(c.mariadb, 0)} | ${fmt(c.sink, 0)} | ${fmt(c.rest, 0)} | ${fmt(c.machine, 0)} | ${fmt(cpuPerRequest(r), 1)} (${fmt(cpuPerRequest(r, 'serverSys'), 1)}) |`,
    );
  }
  out();
  out('"rest of machine": kernel time not charged to these processes (loopback softirq) plus any other process.');
  const noisy = results.filter((r) => r.rounds.some((x) => x.cpu.rest > NOISE_LIMIT));
  if (noisy.length)
    out(
      `WARNING: other work used > ${NOISE_LIMIT} % of a core during runs of config(s) ${noisy.map((r) => r.config).join(', ')} in the rounds used; those figures are pessimistic.`,
    );
  out();

  const traced = results.filter((r) => r.spans);
  if (traced.length) {
    out('Tracing, per config (measured runs only):');
    out();
    for (const r of traced) {
      const s = r.spans;
      const c = cfg(r.config);
      const share = s.serverSpans / r.responses;
      const expected = c.capPerSecond ? Math.min(c.expectTraced, (c.capPerSecond * r.seconds) / r.responses) : c.expectTraced;
      out(
        `- config ${r.config}: ${s.spans} spans in ${s.posts} OTLP posts (${fmt(s.bytes / 2 ** 20, 1)} MiB JSON, ${fmt(s.bytes / Math.max(1, s.spans), 0)} bytes/span) over ${fmt(r.seconds, 1)} s = **${fmt(s.spans / r.seconds, 0)} spans/s**; ${s.serverSpans} SERVER spans for ${r.responses} responses = **${fmt(100 * share, 1)} % traced** (expected ≈ ${fmt(expected * 100, 2)} %${c.capPerSecond ? `: ${c.expectTraced * 100} %, at most ${c.capPerSecond} new traces/s` : ''})${expected > 0 && share < expected * 0.8 ? ' — fewer than expected: spans were dropped (the BatchSpanProcessor queue holds 2048 spans and exports one batch of 512 at a time)' : ''}`,
      );
    }
    if (extra.spanNames)
      out(
        `- spans by name over the whole run (all traced configs): ${Object.entries(extra.spanNames)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `\`${k}\` ${v}`)
          .join(', ')}`,
      );
    out();
  }

  if (extra.sanity?.length) {
    out('Switch check (whole life of each platform: first requests, warm-ups, measured runs):');
    out();
    out('| config | requests sent | access-log lines | http_requests_total{route="/api/users/:id"} |');
    out('|---|---:|---:|---:|');
    for (const s of extra.sanity) out(`| ${s.config} | ${s.sent} | ${s.accessLines} | ${s.metricCount} |`);
    out();
  }
  if (extra.scrape) {
    const s = extra.scrape;
    out(`GET /metrics of platform 2 after the runs (over HTTP, ${s.n} times): median ${fmt(s.median)} ms, p95 ${fmt(s.p95)} ms, ${s.bytes} bytes, ${s.series} samples.`);
    out();
  }
  return verdicts;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const settings = readSettings();
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const ids = { dbName: `mcp_benchobs_${tag}`, keyPrefix: `benchobs_${tag}:` };
  printInvocation(settings, ids);
  if (!existsSync(CLI)) throw new BenchError(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  if (settings.cpuProfDir) mkdirSync(settings.cpuProfDir, { recursive: true });
  if (settings.cpuProfDir && settings.fresh) throw new BenchError('BENCH_FRESH=1 and BENCH_CPU_PROF do not combine (the profiles are of one process per config)');

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mcp-bench-obs-'));
  onCleanup('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));

  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  redis.on('error', () => {});
  await redis.connect().catch((e) => {
    throw new BenchError(`cannot reach Redis at ${redact(settings.redisUrl)}: ${e.message}`);
  });
  onCleanup('close redis', () => redis.quit());
  onCleanup('delete redis keys', async () => {
    const n = await deleteKeys(redis, ids.keyPrefix);
    progress(`cleanup: deleted ${n} Redis keys under "${ids.keyPrefix}"`);
  });
  await mysqlQuery(settings, 'SELECT 1').catch((e) => {
    throw new BenchError(`cannot reach MariaDB at ${redact(settings.mysqlUrl)}: ${e.message}`);
  });
  // Registered before the platforms start (the first creates the database), so it runs after they stopped.
  onCleanup('drop database', async () => {
    await mysqlQuery(settings, `DROP DATABASE IF EXISTS \`${ids.dbName}\``);
    progress(`cleanup: dropped database ${ids.dbName}`);
  });

  const before = machineBusySeconds();
  await new Promise((r) => setTimeout(r, 1000));
  const busyPct = before === undefined ? undefined : (machineBusySeconds() - before) * 100;
  out(
    `machine load before starting: ${fmt(busyPct, 0)} % of one core busy over 1 s (load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})`,
  );
  out();

  const sink = settings.configs.some((c) => c.otel) ? await startSink(settings) : undefined;
  // One after the other: the first migrates the shared database and creates the admin.
  const platforms = {};
  const startPlatforms = async () => {
    for (const c of settings.configs) platforms[c.id] = await startPlatform(settings, ids, tmp, c, sink);
  };
  // http_requests_total of the read route, summed over the processes of each config (BENCH_FRESH)
  const metricCounts = Object.fromEntries(settings.configs.map((c) => [c.id, 0]));
  const countMetrics = async () => {
    for (const c of settings.configs) metricCounts[c.id] += readRouteRequests(await (await fetch(`${platforms[c.id].base}/metrics`)).text());
  };
  await startPlatforms();

  const runs = Object.fromEntries(settings.configs.map((c) => [c.id, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    if (settings.fresh && round > 1) {
      await countMetrics();
      for (const c of settings.configs) await stopChild(platforms[c.id].proc);
      await startPlatforms();
    }
    const order = round % 2 === 1 ? settings.configs : [...settings.configs].reverse();
    progress(`round ${round} of ${settings.rounds}: ${order.map((c) => c.id).join(' ')}`);
    for (const c of order) runs[c.id].push(await measure(settings, { config: c, spec: platforms[c.id], redis, sink, round }));
  }

  // Did the switches do what they say?
  await countMetrics();
  const extra = { sanity: [] };
  for (const c of settings.configs) {
    extra.sanity.push({
      config: c.id,
      sent: runs[c.id].reduce((a, r) => a + r.requestsSent, 0),
      metricCount: metricCounts[c.id],
      accessLines: await accessLogLines(platforms[c.id].logDir),
    });
  }
  if (platforms['2']) extra.scrape = await timeScrape(platforms['2'].base);
  for (const c of settings.configs) await stopChild(platforms[c.id].proc);
  if (sink) {
    const s = await sinkStats(sink);
    extra.spanNames = s.byName;
    if (s.bad) progress(`WARNING: the sink could not parse ${s.bad} of ${s.posts} posts`);
    await stopChild(sink.proc);
  }

  // Rounds in which no run was disturbed by other work; the tables use only those when there are any.
  const allIdx = [...Array(settings.rounds).keys()];
  const clean = allIdx.filter((i) => settings.configs.every((c) => !(runs[c.id][i].cpu.rest > NOISE_LIMIT)));
  const used = clean.length ? clean : allIdx;
  const results = settings.configs.map((c) => combineRounds(runs[c.id].filter((_, i) => used.includes(i))));
  const verdicts = printReport(settings, results, extra, runs, used);

  if (settings.cpuProfDir) {
    out("## CPU profiles (node --cpu-prof; last round's measured run of each config)");
    out();
    const summaries = {};
    for (const c of settings.configs) {
      const file = path.join(settings.cpuProfDir, `platform-${c.id}-${process.pid}.cpuprofile`);
      if (!existsSync(file)) {
        out(`config ${c.id}: no profile at ${file}`);
        continue;
      }
      const last = runs[c.id].at(-1); // the window of the last round (whether used or not)
      summaries[c.id] = {
        summary: summarize(JSON.parse(readFileSync(file, 'utf8')), { top: 20, from: last.window.fromMicros, to: last.window.toMicros }),
        requests: last.responses,
        file,
      };
    }
    if (summaries['4']) {
      out(formatSummary(summaries['4'].summary, `### config 4 — ${summaries['4'].file}`));
      out();
    }
    for (const [a, b] of [
      ['4', '2'],
      ['t10', '2'],
      ['3', '2'],
      ['3', 't0'],
      ['t0', '2'],
      ['2', '1'],
      ['m', '1'],
      ['a', '1'],
    ]) {
      if (!summaries[a] || !summaries[b]) continue;
      out(`### config ${a} vs config ${b}, per request`);
      out();
      out(formatDiff(diffPerRequest(summaries[a].summary, summaries[a].requests, summaries[b].summary, summaries[b].requests, 25), `config ${a}`, `config ${b}`));
      out();
    }
  }

  if (settings.jsonOut) {
    const replacer = (k, v) => (k === 'latencies' ? undefined : v);
    writeFileSync(
      settings.jsonOut,
      `${JSON.stringify({ date: new Date().toISOString(), settings, usedRounds: used.map((i) => i + 1), results, allRuns: runs, verdicts, extra, node: process.version, nproc: os.availableParallelism?.() }, replacer, 2)}\n`,
    );
    progress(`wrote ${settings.jsonOut}`);
  }

  const failed = settings.configs
    .map((c) => combineRounds(runs[c.id]))
    .filter((r) => r.errors || r.non2xx || r.warmup.errors || r.warmup.non2xx || r.discarded.errors || r.discarded.non2xx);
  if (failed.length) {
    out(`FAILED: errors or non-2xx answers in config(s) ${failed.map((r) => r.config).join(', ')}`);
    return 1;
  }
  if (settings.enforceTarget && verdicts.some((v) => v.verdict === 'MISSED')) {
    out('FAILED: a target was missed (BENCH_ENFORCE_TARGET=1)');
    return 3;
  }
  return 0;
}

let code;
try {
  code = await main();
} catch (e) {
  if (!interrupted) process.stderr.write(`bench failed: ${e instanceof BenchError ? e.message : (e?.stack ?? e)}\n`);
  code = interrupted ? 130 : 1;
}
await cleanup();
if (cleanupFailed() && code === 0) code = 1;
if (cleanupFailed()) process.stderr.write('cleanup was incomplete (see above)\n');
process.exit(code);
