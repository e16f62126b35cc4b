#!/usr/bin/env node
// bench/api — HTTP benchmark of the running platform against two baselines, measured in one run.
//
//   npm run bench                       (= node bench/api/run.mjs)
//   BENCH_DURATION=30 npm run bench     (longer measured runs)
//
// Scenarios, each server in its own child process (autocannon runs here, in the parent):
//   hello    bare Fastify hello-world                                    (bench/api/hello-server.mjs)
//   minimal  Fastify + jose HS256 verify + one ioredis GET + JSON         (bench/api/minimal-server.mjs)
//   read     platform: GET /api/users/1 with a bearer token, cached in Redis (node dist/cli/main.js serve)
//   login    platform: POST /api/auth/login (argon2id-bound; fewer connections, no target)
//
// The platform runs over MariaDB + Redis + RabbitMQ in a database and a Redis key prefix of its own,
// both removed at the end (also after a failure or Ctrl-C). Exit code: 0 when every scenario ran
// without errors or non-2xx answers, 1 otherwise (or when setup/cleanup failed), 3 when
// BENCH_ENFORCE_TARGET=1 and the read target is missed, 130 when interrupted.
//
// Settings (environment):
//   BENCH_DURATION=10            seconds of each measured run
//   BENCH_WARMUP=3               seconds of warm-up before each measured run (not reported)
//   BENCH_CONNECTIONS=50         connections for hello, minimal and read
//   BENCH_LOGIN_CONNECTIONS=10   connections for login
//   BENCH_SCENARIOS=hello,minimal,read,login   which scenarios to run
//   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306   server for the benchmark's own database
//   BENCH_REDIS_URL=redis://127.0.0.1:6379/0
//   BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672
//   BENCH_CPU_PROF=<dir>         run the servers under `node --cpu-prof`, keep the profiles in <dir>
//                                and print where the platform's time goes during the measured run
//   BENCH_JSON=<file>            also write the results as JSON
//   BENCH_MINIMAL_JWT_KEY=hmac   how the minimal baseline verifies the JWT: hmac (default; a
//                                synchronous node:crypto HMAC, key imported once, as the platform
//                                does — the irreducible cost), cryptokey (jose, CryptoKey imported
//                                once) or bytes (jose, secret re-imported on every verify)
//   BENCH_ROUNDS=1               measured runs of minimal and read, alternating (minimal, read,
//                                minimal, read, …), each with its own warm-up; the table shows
//                                the mean req/s and percentiles over all rounds, and the ratio is
//                                the median of the per-round ratios (hello and login run once)
//   BENCH_ENFORCE_TARGET=1       exit 3 when the read scenario misses its target
//   BENCH_WAIT_QUIET=<seconds>   before each scenario, wait up to this long for the machine to be
//                                quiet (< 20 % of one core busy), and repeat a measured run during
//                                which other work used > 15 % of a core (up to 4 runs); for shared
//                                machines; default 0 (off)
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { createConnection } from 'mysql2/promise';
import { ROOT, describeExit, freePort, startNodeChild, tryExec, waitReady } from '../lib/children.mjs';
import { createCleanup, stopOnSignals } from '../lib/cleanup.mjs';
import { machineBusySeconds, procCpuSeconds, redisCpuSeconds } from '../lib/cpu.mjs';
import { runCannon, stopLoad } from '../lib/load.mjs';
import { fmt, out, percentile, progressLine } from '../lib/report.mjs';
import { BenchError, intEnv, redact } from '../lib/settings.mjs';
import { diffPerRequest, formatDiff, formatSummary, summarize } from './profile-summary.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');

const RATIO_TARGET = 0.6;
const NOISE_LIMIT = 15; // % of one core used by other work during a run, above which BENCH_WAIT_QUIET repeats it
const NOISY_ATTEMPTS = 4;
const P99_TARGET_MS = 10;
const ISSUER = 'mcp-platform'; // the platform's JWT issuer (src/services/auth/tokens.ts)
const ADMIN_PASSWORD = 'Bench-Pass!2026x';
const ALL_SCENARIOS = ['hello', 'minimal', 'read', 'login'];

// ---------------------------------------------------------------------------------------------
// Settings

function readSettings() {
  const scenarios = (process.env.BENCH_SCENARIOS || ALL_SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scenarios.filter((s) => !ALL_SCENARIOS.includes(s));
  const key = process.env.BENCH_MINIMAL_JWT_KEY;
  if (key && !['hmac', 'bytes', 'cryptokey'].includes(key)) throw new BenchError(`BENCH_MINIMAL_JWT_KEY must be hmac, bytes or cryptokey, got "${key}"`);
  if (unknown.length) throw new BenchError(`BENCH_SCENARIOS: unknown ${unknown.join(', ')}; choose from ${ALL_SCENARIOS.join(', ')}`);
  return {
    duration: intEnv('BENCH_DURATION', 10, 1, 3600),
    warmup: intEnv('BENCH_WARMUP', 3, 0, 600),
    connections: intEnv('BENCH_CONNECTIONS', 50, 1, 10_000),
    loginConnections: intEnv('BENCH_LOGIN_CONNECTIONS', 10, 1, 1000),
    scenarios: ALL_SCENARIOS.filter((s) => scenarios.includes(s)),
    mysqlUrl: (process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/0',
    amqpUrl: process.env.BENCH_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    cpuProfDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined,
    jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
    enforceTarget: process.env.BENCH_ENFORCE_TARGET === '1',
    waitQuiet: intEnv('BENCH_WAIT_QUIET', 0, 0, 3600),
    minimalJwtKey: process.env.BENCH_MINIMAL_JWT_KEY || 'hmac',
    rounds: intEnv('BENCH_ROUNDS', 1, 1, 100),
  };
}

// ---------------------------------------------------------------------------------------------
// Output helpers: progress on stderr, the report on stdout.

const progress = progressLine('bench');
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

function printInvocation(settings, ids) {
  const npmScript = process.env.npm_lifecycle_event ? ` (via \`npm run ${process.env.npm_lifecycle_event}\`: ${process.env.npm_lifecycle_script})` : '';
  const benchEnv = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_'))
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  const sha = tryExec('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryExec('git', ['status', '--porcelain', '--', 'src']);
  const cpus = os.cpus();
  out(`# bench/api — ${new Date().toISOString()}`);
  const argv = process.argv.slice(1).map((a) => (path.isAbsolute(a) && a.startsWith(`${ROOT}/`) ? path.relative(ROOT, a) : a));
  out(`invoked as: node ${argv.join(' ')}${npmScript}`);
  out(`cwd: ${process.cwd()}`);
  out(`BENCH_* environment: ${benchEnv.length ? benchEnv.join(' ') : '(none set; defaults)'}`);
  out(
    `settings: duration=${settings.duration}s warmup=${settings.warmup}s connections=${settings.connections} login-connections=${settings.loginConnections} rounds=${settings.rounds} scenarios=${settings.scenarios.join(',')} minimal-jwt-key=${settings.minimalJwtKey}${settings.waitQuiet ? ` wait-quiet=${settings.waitQuiet}s` : ''}`,
  );
  out(`machine: nproc=${os.availableParallelism?.() ?? cpus.length}, ${cpus[0]?.model ?? 'unknown cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`);
  out(`node ${process.version}; autocannon in this process (pid ${process.pid}); each server in its own child process`);
  if (existsSync(CLI)) out(`platform: dist/cli/main.js built ${statSync(CLI).mtime.toISOString()}; git ${sha ?? '?'}${dirty ? ' (src/ has uncommitted changes)' : ''}`);
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

const startServer = (name, args, env, settings) => startNodeChild(name, args, env, { cpuProfDir: settings.cpuProfDir, onCleanup, progress });

async function stopServer(server) {
  const e = await server.stop();
  progress(`${server.name}: stopped (${describeExit(e)})`);
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: where the machine's cores went during a measured run (Linux /proc; Redis INFO).

const DB_PID = Number((tryExec('pidof', ['mariadbd']) || tryExec('pidof', ['mysqld']) || '').split(' ')[0]) || undefined;

/** Waits (up to settings.waitQuiet s) until the machine is < 20 % of one core busy over 2 s. */
async function waitQuiet(settings, scenario) {
  if (!settings.waitQuiet) return;
  const deadline = Date.now() + settings.waitQuiet * 1000;
  for (;;) {
    const before = machineBusySeconds();
    await new Promise((r) => setTimeout(r, 2000));
    if (before === undefined) return;
    const pct = ((machineBusySeconds() - before) / 2) * 100;
    if (pct < 20) return;
    if (Date.now() >= deadline || interrupted) {
      progress(`${scenario}: machine still ${pct.toFixed(0)} % busy after ${settings.waitQuiet} s; going on`);
      return;
    }
    progress(`${scenario}: machine ${pct.toFixed(0)} % busy with other work; waiting`);
  }
}

async function cpuSnapshot(redis, serverPid) {
  const self = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    machine: machineBusySeconds(),
    server: procCpuSeconds(serverPid),
    serverSys: procCpuSeconds(serverPid, 'sys'),
    autocannon: (self.user + self.system) / 1e6,
    redis: redis ? await redisCpuSeconds(redis) : undefined,
    mariadb: procCpuSeconds(DB_PID),
  };
}

/** Per component: % of one core used between the two snapshots. */
function cpuBetween(a, b) {
  const wall = Number(b.at - a.at) / 1e9;
  const pct = (k) => (a[k] === undefined || b[k] === undefined || !Number.isFinite(a[k] + b[k]) ? undefined : (100 * (b[k] - a[k])) / wall);
  const c = { server: pct('server'), serverSys: pct('serverSys'), autocannon: pct('autocannon'), redis: pct('redis'), mariadb: pct('mariadb'), machine: pct('machine') };
  // Everything else: kernel time not charged to these processes (loopback softirq) and other processes.
  if (c.machine !== undefined) c.rest = c.machine - [c.server, c.autocannon, c.redis, c.mariadb].filter((x) => x !== undefined).reduce((x, y) => x + y, 0);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Load generation

/**
 * One scenario: a single request first (must be 2xx; its body size is reported), a warm-up, then
 * the measured run. Latency percentiles come from every response's own time in ms (autocannon's
 * histogram keeps whole milliseconds only, too coarse here).
 */
async function measure(settings, { scenario, label, url, method = 'GET', headers = {}, body, connections, check, server, redis, round }) {
  const tag = round ? `${scenario} (round ${round})` : scenario;
  const first = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const firstBody = await first.text();
  if (first.status < 200 || first.status > 299) throw new BenchError(`${scenario}: first request answered HTTP ${first.status}: ${firstBody.slice(0, 400)}`);
  check?.(firstBody);
  await waitQuiet(settings, tag);
  const cannon = { url, method, headers, body, connections, pipelining: 1 };
  let warm = { errors: 0, timeouts: 0, non2xx: 0 };
  if (settings.warmup > 0) {
    progress(`${tag}: warm-up ${settings.warmup} s, ${connections} connections`);
    warm = await runCannon({ ...cannon, duration: settings.warmup });
  }
  // With BENCH_WAIT_QUIET, a measured run during which other work took more than NOISE_LIMIT % of
  // a core is discarded and repeated (up to NOISY_ATTEMPTS runs in all); its errors still count.
  const discarded = { runs: 0, errors: 0, non2xx: 0 };
  let latencies, r, from, to, cpu;
  for (let attempt = 1; ; attempt++) {
    if (interrupted) throw new BenchError('interrupted');
    progress(`${tag}: measuring ${settings.duration} s, ${connections} connections${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    const samples = [];
    const cpuBefore = await cpuSnapshot(redis, server?.pid);
    from = monotonicMicros();
    r = await runCannon({ ...cannon, duration: settings.duration }, (_client, _status, _bytes, ms) => samples.push(ms));
    to = monotonicMicros();
    cpu = cpuBetween(cpuBefore, await cpuSnapshot(redis, server?.pid));
    latencies = samples;
    if (interrupted) throw new BenchError('interrupted');
    if (!settings.waitQuiet || !(cpu.rest > NOISE_LIMIT) || attempt >= NOISY_ATTEMPTS) break;
    progress(`${tag}: other work used ${cpu.rest.toFixed(0)} % of a core during the run (${r.requests.average.toFixed(0)} req/s); discarding it`);
    discarded.runs += 1;
    discarded.errors += r.errors;
    discarded.non2xx += r.non2xx;
    await waitQuiet(settings, tag);
  }
  const sorted = Float64Array.from(latencies).sort();
  const result = {
    scenario,
    round: round ?? 1,
    label,
    method,
    url: url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ''),
    connections,
    durationSeconds: r.duration,
    reqPerSec: r.requests.average,
    responses: latencies.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : NaN,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])),
    warmup: { errors: warm.errors, timeouts: warm.timeouts, non2xx: warm.non2xx },
    discarded,
    responseBytes: Buffer.byteLength(firstBody),
    cpu,
    window: { fromMicros: from, toMicros: to },
    latencies: sorted, // for pooling rounds; left out of BENCH_JSON
  };
  progress(`${tag}: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, errors ${result.errors}, non-2xx ${result.non2xx}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Shared services: the benchmark's own database and Redis keys

function mysqlOptions(url) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username) || 'root',
    password: decodeURIComponent(u.password),
    connectTimeout: 5000,
  };
}

async function mysqlQuery(settings, sql) {
  const conn = await createConnection(mysqlOptions(settings.mysqlUrl));
  try {
    return await conn.query(sql);
  } finally {
    await conn.end();
  }
}

async function deleteKeys(redis, prefix) {
  let deleted = 0;
  const stream = redis.scanStream({ match: `${prefix}*`, count: 1000 });
  for await (const keys of stream) {
    if (keys.length) deleted += await redis.unlink(...keys);
  }
  return deleted;
}

/** A realistic cached user (same shape as the platform's GET /api/users/:id), about 300 bytes. */
function sampleUserJson() {
  const at = new Date('2026-01-15T08:30:00.000Z');
  return JSON.stringify({
    id: 1,
    username: 'zhang.wei',
    email: 'zhang.wei@corp.example.com',
    displayName: '张伟 (Platform Ops)',
    status: 'active',
    roles: ['admin', 'auditor'],
    mustChangePassword: false,
    lastLoginAt: new Date(at.getTime() + 86_400_000).toISOString(),
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  });
}

// ---------------------------------------------------------------------------------------------
// Report

function printReport(settings, results, extra) {
  const byName = Object.fromEntries(results.map((r) => [r.scenario, r]));
  const minimal = byName.minimal;
  out('## Results');
  out();
  out('| scenario | conns | req/s | p50 ms | p95 ms | p99 ms | errors / non-2xx | % of minimal req/s |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const pct = minimal && r.scenario !== 'login' ? `${fmt((100 * r.reqPerSec) / minimal.reqPerSec, 1)} %` : '–';
    out(`| ${r.label} | ${r.connections} | ${fmt(r.reqPerSec, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${r.errors} / ${r.non2xx} | ${pct} |`);
  }
  out();
  out(
    settings.rounds > 1
      ? `Minimal and read: ${settings.rounds} alternating rounds of ${settings.duration} s, each after ${settings.warmup} s of warm-up; req/s is the mean over the rounds of autocannon's mean of per-second samples; latency percentiles over every response of all rounds. Hello and login: one run.`
      : `Measured ${settings.duration} s per scenario after ${settings.warmup} s of warm-up; req/s is autocannon's mean of per-second samples; latency percentiles over every response of the measured run.`,
  );
  for (const r of results) {
    const w = r.warmup;
    if (w.errors || w.non2xx) out(`Warm-up of ${r.scenario} had ${w.errors} errors (${w.timeouts} timeouts) and ${w.non2xx} non-2xx answers.`);
    const d = r.discarded;
    if (d.runs) out(`${r.scenario}: ${d.runs} earlier measured run(s) discarded because other work was using the machine (${d.errors} errors, ${d.non2xx} non-2xx in them).`);
    if (r.non2xx) out(`${r.scenario} status codes: ${JSON.stringify(r.statusCodes)}`);
  }
  out();
  out(`CPU used during each measured run, in % of one core (the machine has ${os.availableParallelism?.() ?? os.cpus().length} cores):`);
  out();
  out(
    '| scenario | server process | autocannon (this process) | redis-server | mariadbd | rest of machine | whole machine | server CPU µs/request (of which kernel) | redis CPU µs/request |',
  );
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const c = r.cpu;
    const perReq = (pct) => (pct === undefined ? NaN : (pct * 1e4) / (r.responses / r.durationSeconds));
    out(
      `| ${r.scenario} | ${fmt(c.server, 0)} | ${fmt(c.autocannon, 0)} | ${fmt(c.redis, 0)} | ${fmt(c.mariadb, 0)} | ${fmt(c.rest, 0)} | ${fmt(c.machine, 0)} | ${fmt(perReq(c.server), 0)} (${fmt(perReq(c.serverSys), 0)}) | ${fmt(perReq(c.redis), 1)} |`,
    );
  }
  out();
  out(
    '"rest of machine" is kernel time not charged to those processes (e.g. loopback networking in softirq) plus any other process; a large value means the machine was not quiet.',
  );
  const noisy = results.filter((r) => r.rounds.some((x) => x.cpu.rest > NOISE_LIMIT));
  if (noisy.length) out(`WARNING: the machine was busy with other work during ${noisy.map((r) => r.scenario).join(', ')}; those figures are pessimistic.`);
  out();
  if (byName.minimal && byName.read) out(`Response bodies: minimal ${byName.minimal.responseBytes} bytes, platform read ${byName.read.responseBytes} bytes.`);
  if (extra.cached) out(`Platform cache during the read run: ${extra.cached}.`);
  out();

  const paired = minimal && byName.read && minimal.rounds.length > 1 && minimal.rounds.length === byName.read.rounds.length;
  const roundRatios = paired ? minimal.rounds.map((m, i) => byName.read.rounds[i].reqPerSec / m.reqPerSec) : [];
  if (paired) {
    out('Rounds (each pair measured back to back):');
    out();
    out('| round | minimal req/s | read req/s | read / minimal | minimal p99 ms | read p99 ms | other work during minimal / read (% of a core) |');
    out('|---:|---:|---:|---:|---:|---:|---:|');
    minimal.rounds.forEach((m, i) => {
      const r = byName.read.rounds[i];
      out(
        `| ${i + 1} | ${fmt(m.reqPerSec, 0)} | ${fmt(r.reqPerSec, 0)} | ${fmt(100 * roundRatios[i], 1)} % | ${fmt(m.p99)} | ${fmt(r.p99)} | ${fmt(m.cpu.rest, 0)} / ${fmt(r.cpu.rest, 0)} |`,
      );
    });
    out();
  }

  const verdict = {};
  if (byName.read) {
    out('## Target (platform authenticated read)');
    out();
    if (minimal) {
      const meanRatio = byName.read.reqPerSec / minimal.reqPerSec;
      const sortedRatios = [...roundRatios].sort((a, b) => a - b);
      const median = sortedRatios.length ? (sortedRatios[(sortedRatios.length - 1) >> 1] + sortedRatios[sortedRatios.length >> 1]) / 2 : meanRatio;
      verdict.ratio = median;
      verdict.ratioOk = verdict.ratio >= RATIO_TARGET;
      verdict.roundRatios = roundRatios;
      out(
        paired
          ? `- throughput: median of the ${roundRatios.length} per-round ratios **${fmt(100 * median, 1)} %** of the minimal route (range ${fmt(100 * sortedRatios[0], 1)}–${fmt(100 * sortedRatios.at(-1), 1)} %; means ${fmt(byName.read.reqPerSec, 0)} / ${fmt(minimal.reqPerSec, 0)} req/s = ${fmt(100 * meanRatio, 1)} %) (target ≥ ${RATIO_TARGET * 100} %): ${verdict.ratioOk ? 'MET' : 'MISSED'}`
          : `- throughput: ${fmt(byName.read.reqPerSec, 0)} / ${fmt(minimal.reqPerSec, 0)} req/s = **${fmt(100 * verdict.ratio, 1)} %** of the minimal route (target ≥ ${RATIO_TARGET * 100} %): ${verdict.ratioOk ? 'MET' : 'MISSED'}`,
      );
    } else out('- throughput ratio: not computed (the minimal scenario did not run)');
    verdict.p99Ok = byName.read.p99 < P99_TARGET_MS;
    out(`- p99: **${fmt(byName.read.p99)} ms** (target < ${P99_TARGET_MS} ms): ${verdict.p99Ok ? 'MET' : 'MISSED'}`);
    if (minimal) out(`- for reference, the minimal route's p99: ${fmt(minimal.p99)} ms`);
    out();
  }
  return verdict;
}

// ---------------------------------------------------------------------------------------------
// The servers under test

async function startHello(settings) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = startServer('hello', [path.join(HERE, 'hello-server.mjs')], { BENCH_PORT: String(port) }, settings);
  await waitReady(server, `${base}/`);
  return { server, spec: { scenario: 'hello', label: 'baseline: Fastify hello-world', url: `${base}/`, connections: settings.connections, server } };
}

async function startMinimal(settings, ids, redis) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const secret = randomBytes(48).toString('base64url');
  const cachePrefix = `${ids.keyPrefix}minimal:user:`;
  await redis.set(`${cachePrefix}1`, sampleUserJson(), 'EX', 3600); // expires by itself should cleanup be skipped
  const iat = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sid: randomBytes(16).toString('hex'), name: 'zhang.wei' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('1')
    .setIssuer(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 86_400)
    .sign(new TextEncoder().encode(secret));
  const server = startServer(
    'minimal',
    [path.join(HERE, 'minimal-server.mjs')],
    {
      BENCH_PORT: String(port),
      BENCH_REDIS_URL: settings.redisUrl,
      BENCH_JWT_SECRET: secret,
      BENCH_CACHE_PREFIX: cachePrefix,
      BENCH_MINIMAL_JWT_KEY: settings.minimalJwtKey,
    },
    settings,
  );
  const headers = { authorization: `Bearer ${token}` };
  await waitReady(server, `${base}/api/users/1`, { timeoutMs: 30_000, headers });
  return {
    server,
    spec: {
      scenario: 'minimal',
      label: `baseline: minimal (JWT verify + Redis GET + JSON)${settings.minimalJwtKey === 'hmac' ? '' : ` [jose, key ${settings.minimalJwtKey}]`}`,
      url: `${base}/api/users/1`,
      headers,
      connections: settings.connections,
      server,
      check: (b) => {
        if (JSON.parse(b).id !== 1) throw new BenchError(`minimal: unexpected body ${b.slice(0, 200)}`);
      },
    },
  };
}

async function startPlatform(settings, ids, tmp) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await mysqlQuery(settings, 'SELECT 1').catch((e) => {
    throw new BenchError(`cannot reach MariaDB at ${redact(settings.mysqlUrl)}: ${e.message}`);
  });
  // Registered before the platform starts (it creates the database), so it runs after the platform stopped.
  onCleanup('drop database', async () => {
    await mysqlQuery(settings, `DROP DATABASE IF EXISTS \`${ids.dbName}\``);
    progress(`cleanup: dropped database ${ids.dbName}`);
  });
  const measuredSeconds = settings.rounds * (settings.warmup + settings.duration) * 2;
  const server = startServer(
    'platform',
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
      MCP_DATA_DIR: path.join(tmp, 'data'),
      MCP_LOG_DIR: path.join(tmp, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MCP_SHUTDOWN_DRAIN: '0',
      // Long enough that the token taken before the first read run outlives all rounds.
      MCP_ACCESS_TOKEN_TTL: String(Math.min(86_400, Math.max(900, measuredSeconds + 600))),
    },
    settings,
  );
  await waitReady(server, `${base}/ready`);
  progress('platform: ready (db, cache and bus up)');
  const loginBody = JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD });
  const loginHeaders = { 'content-type': 'application/json' };
  return {
    server,
    /** Logs in once and describes the authenticated read with that token. */
    async readSpec() {
      const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: loginHeaders, body: loginBody });
      const session = await res.json();
      if (res.status !== 200 || !session.accessToken) throw new BenchError(`platform login failed: HTTP ${res.status} ${JSON.stringify(session).slice(0, 300)}`);
      if (session.passwordChangeRequired) throw new BenchError('platform login: the admin account must change its password first');
      return {
        scenario: 'read',
        label: 'platform: GET /api/users/1 (auth, cached)',
        url: `${base}/api/users/1`,
        headers: { authorization: `Bearer ${session.accessToken}` },
        connections: settings.connections,
        server,
        check: (b) => {
          if (JSON.parse(b).id !== 1) throw new BenchError(`read: unexpected body ${b.slice(0, 200)}`);
        },
      };
    },
    loginSpec: {
      scenario: 'login',
      label: 'platform: POST /api/auth/login (argon2id)',
      url: `${base}/api/auth/login`,
      method: 'POST',
      headers: loginHeaders,
      body: loginBody,
      connections: settings.loginConnections,
      server,
    },
  };
}

/**
 * One row from the rounds of a scenario: req/s is the mean over the rounds, latency percentiles
 * are taken over all responses of all rounds, counts are summed, CPU shares averaged.
 */
function combineRounds(rounds) {
  if (rounds.length === 1) return { ...rounds[0], rounds };
  const last = rounds.at(-1);
  const sorted = Float64Array.from(rounds.flatMap((r) => Array.from(r.latencies))).sort();
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sum = (f) => rounds.reduce((a, r) => a + f(r), 0);
  const cpu = {};
  for (const k of Object.keys(last.cpu)) {
    const xs = rounds.map((r) => r.cpu[k]).filter((x) => x !== undefined);
    cpu[k] = xs.length ? mean(xs) : undefined;
  }
  const statusCodes = {};
  for (const r of rounds) for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  return {
    ...last,
    durationSeconds: sum((r) => r.durationSeconds),
    reqPerSec: mean(rounds.map((r) => r.reqPerSec)),
    responses: sum((r) => r.responses),
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: mean(rounds.map((r) => r.mean)),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    statusCodes,
    warmup: { errors: sum((r) => r.warmup.errors), timeouts: sum((r) => r.warmup.timeouts), non2xx: sum((r) => r.warmup.non2xx) },
    discarded: { runs: sum((r) => r.discarded.runs), errors: sum((r) => r.discarded.errors), non2xx: sum((r) => r.discarded.non2xx) },
    cpu,
    rounds,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const settings = readSettings();
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const ids = { dbName: `mcp_bench_${tag}`, keyPrefix: `bench_${tag}:` };
  printInvocation(settings, ids);

  const needsPlatform = settings.scenarios.includes('read') || settings.scenarios.includes('login');
  if (needsPlatform && !existsSync(CLI)) throw new BenchError(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  if (settings.cpuProfDir) mkdirSync(settings.cpuProfDir, { recursive: true });

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mcp-bench-'));
  onCleanup('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));

  // Redis: one client here for setup and for removing every key under the prefix at the end.
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

  const quietBefore = machineBusySeconds();
  await new Promise((r) => setTimeout(r, 1000));
  const busyPct = quietBefore === undefined ? undefined : (machineBusySeconds() - quietBefore) * 100;
  out(
    `machine load before starting: ${fmt(busyPct, 0)} % of one core busy over 1 s (load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})`,
  );
  out();
  if (busyPct > 30) progress(`WARNING: the machine is already ${busyPct.toFixed(0)} % busy; results will be pessimistic`);

  const want = (s) => settings.scenarios.includes(s);
  const runs = { hello: [], minimal: [], read: [], login: [] };
  const extra = {};
  const profileFile = (name) => (settings.cpuProfDir ? path.join(settings.cpuProfDir, `${name}-${process.pid}.cpuprofile`) : undefined);

  if (want('hello')) {
    const hello = await startHello(settings);
    runs.hello.push(await measure(settings, { ...hello.spec, redis }));
    await stopServer(hello.server);
  }

  // The minimal baseline and the platform run side by side (the one not measured is idle), so that
  // with BENCH_ROUNDS > 1 their measured runs alternate and slow drifts of the machine hit both.
  const minimal = want('minimal') ? await startMinimal(settings, ids, redis) : undefined;
  const platform = needsPlatform ? await startPlatform(settings, ids, tmp) : undefined;
  const read = platform && want('read') ? await platform.readSpec() : undefined;
  for (let round = 1; round <= settings.rounds; round++) {
    if (settings.rounds > 1) progress(`round ${round} of ${settings.rounds}`);
    if (minimal) runs.minimal.push(await measure(settings, { ...minimal.spec, redis, round }));
    if (read) runs.read.push(await measure(settings, { ...read, redis, round }));
  }
  if (read) {
    const keys = ['user:1', 'authz:user:1'];
    const present = await Promise.all(keys.map((k) => redis.exists(`${ids.keyPrefix}${k}`)));
    extra.cached = `${keys.map((k, i) => `${k} ${present[i] ? 'present' : 'ABSENT'}`).join(', ')} in Redis after the run`;
  }
  if (minimal) await stopServer(minimal.server);
  if (platform && want('login')) runs.login.push(await measure(settings, { ...platform.loginSpec, redis }));
  if (platform) await stopServer(platform.server);

  const results = ALL_SCENARIOS.filter((s) => runs[s].length).map((s) => combineRounds(runs[s]));
  const profiles = [];
  if (settings.cpuProfDir) {
    const files = { hello: profileFile('hello'), minimal: profileFile('minimal'), read: profileFile('platform'), login: profileFile('platform') };
    for (const r of results) profiles.push({ scenario: r.scenario, file: files[r.scenario], window: r.window });
  }

  const verdict = printReport(settings, results, extra);

  if (profiles.length) {
    out('## CPU profiles (node --cpu-prof, measured run only)');
    out();
    for (const p of profiles) {
      if (!existsSync(p.file)) {
        out(`${p.scenario}: no profile at ${p.file}`);
        continue;
      }
      const summary = summarize(JSON.parse(readFileSync(p.file, 'utf8')), { top: 20, from: p.window.fromMicros, to: p.window.toMicros });
      out(formatSummary(summary, `### ${p.scenario} — ${p.file}`));
      out();
      p.summary = summary;
      p.requests = results.find((r) => r.scenario === p.scenario)?.rounds.at(-1).responses; // the window is the last round's
    }
    const read = profiles.find((p) => p.scenario === 'read' && p.summary);
    const minimal = profiles.find((p) => p.scenario === 'minimal' && p.summary);
    if (read && minimal) {
      out('### platform read vs minimal baseline, per request');
      out();
      out(formatDiff(diffPerRequest(read.summary, read.requests, minimal.summary, minimal.requests, 20), 'read', 'minimal'));
      out();
    }
  }

  if (settings.jsonOut) {
    const replacer = (k, v) => (k === 'latencies' ? undefined : v);
    writeFileSync(
      settings.jsonOut,
      `${JSON.stringify({ date: new Date().toISOString(), settings, results, verdict, node: process.version, nproc: os.availableParallelism?.() }, replacer, 2)}\n`,
    );
    progress(`wrote ${settings.jsonOut}`);
  }

  const failed = results.filter((r) => r.errors || r.non2xx || r.warmup.errors || r.warmup.non2xx || r.discarded.errors || r.discarded.non2xx);
  if (failed.length) {
    out(`FAILED: errors or non-2xx answers in ${failed.map((r) => r.scenario).join(', ')}`);
    return 1;
  }
  if (settings.enforceTarget && (verdict.ratioOk === false || verdict.p99Ok === false)) {
    out('FAILED: the read target was missed (BENCH_ENFORCE_TARGET=1)');
    return 3;
  }
  return 0;
}

let code;
try {
  code = await main();
} catch (e) {
  if (!interrupted) {
    process.stderr.write(`bench failed: ${e instanceof BenchError ? e.message : (e?.stack ?? e)}\n`);
  }
  code = interrupted ? 130 : 1;
}
await cleanup();
if (cleanupFailed() && code === 0) code = 1;
if (cleanupFailed()) process.stderr.write('cleanup was incomplete (see above)\n');
process.exit(code);
