#!/usr/bin/env node
// bench/observability/scrape.mjs — cost of a Prometheus scrape (`registry.metrics()`) of the
// platform's own metrics registry (dist/observability/metrics.js, `createMetrics`) as the number of
// HTTP series grows. The platform itself has only ~20 routes, so the series are made directly:
// `observeHttp('GET', '/api/route' + i, status, seconds)` for ROUTES routes × STATUSES statuses,
// OBSERVATIONS times each (spread over the histogram's buckets). The database, cache and bus are
// stubs returning fixed numbers; disk figures come from os.tmpdir(). Everything else in the registry
// (default process metrics, host CPU/memory/disk/network collectors) is the platform's real code.
//
//   node bench/observability/scrape.mjs          (npm run build first: it imports dist/)
//
// Settings (environment):
//   SCRAPE_ROUTES=200  SCRAPE_STATUSES=5  SCRAPE_OBSERVATIONS=3   series of the measured registry
//   SCRAPE_ITERATIONS=50   timed scrapes per registry (after SCRAPE_WARMUP=5 untimed ones)
// Target: a scrape of 200 routes × 5 statuses takes < 50 ms. The verdict is on the median; the p95
// is checked against the same bound and printed beside it (it includes garbage-collection pauses,
// also those caused by the other registries' scrapes in this process). Exit code 3 when the median
// misses the target.
// Each registry is scraped in turn, round-robin, so drifts of a shared machine hit all alike.
import os from 'node:os';
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const METRICS_JS = path.join(ROOT, 'dist/observability/metrics.js');
const TARGET_MS = 50;

function intEnv(name, def, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`${name} must be a whole number ≥ ${min}, got "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

const ROUTES = intEnv('SCRAPE_ROUTES', 200, 1);
const STATUSES_N = intEnv('SCRAPE_STATUSES', 5, 1);
const OBSERVATIONS = intEnv('SCRAPE_OBSERVATIONS', 3, 1);
const ITERATIONS = intEnv('SCRAPE_ITERATIONS', 50, 1);
const WARMUP = intEnv('SCRAPE_WARMUP', 5, 0);
const STATUS_POOL = [200, 201, 204, 301, 304, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503];
if (STATUSES_N > STATUS_POOL.length) {
  process.stderr.write(`SCRAPE_STATUSES must be ≤ ${STATUS_POOL.length}\n`);
  process.exit(2);
}
const STATUSES = STATUS_POOL.slice(0, STATUSES_N);

if (!existsSync(METRICS_JS)) {
  process.stderr.write(`${path.relative(ROOT, METRICS_JS)} is missing: run \`npm run build\` first\n`);
  process.exit(1);
}
const { createMetrics } = await import(pathToFileURL(METRICS_JS).href);

/** Fixed-number stand-ins for the platform's database, cache and bus (only their stats are read). */
const sources = () => ({
  database: { poolStats: () => ({ inUse: 3, idle: 7, waiting: 0, max: 20 }) },
  cache: { stats: () => ({ hits: 123_456, misses: 789, errors: 2 }) },
  bus: { stats: () => ({ published: 4321, consumed: 4300, failed: 5, deadLettered: 1 }) },
  diskPaths: [os.tmpdir()],
});

// Durations spread over the buckets (5 ms … 10 s) so that the histogram lines carry real counts.
const SECONDS = [0.0007, 0.003, 0.008, 0.02, 0.04, 0.09, 0.2, 0.4, 0.7, 0.9, 2, 4, 8, 12];

function registryWith(routes, statuses) {
  const metrics = createMetrics(sources());
  metrics.dependencyUp('db', true);
  metrics.dependencyUp('cache', true);
  metrics.dependencyUp('bus', true);
  metrics.login(true);
  let k = 0;
  const t0 = process.hrtime.bigint();
  let calls = 0;
  for (let i = 0; i < routes; i++) {
    for (const status of statuses) {
      for (let o = 0; o < OBSERVATIONS; o++) {
        metrics.observeHttp('GET', `/api/route${i}`, status, SECONDS[k++ % SECONDS.length]);
        calls += 1;
      }
    }
  }
  const observeNs = calls ? Number(process.hrtime.bigint() - t0) / calls : NaN;
  return { metrics, observeNs, labelSets: routes * statuses.length };
}

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');

const cases = [
  { name: 'baseline: no HTTP series', ...registryWith(0, []) },
  { name: 'platform-sized: 20 routes × 5 statuses', ...registryWith(20, STATUSES.slice(0, Math.min(5, STATUSES.length))) },
  { name: `measured: ${ROUTES} routes × ${STATUSES.length} statuses`, ...registryWith(ROUTES, STATUSES) },
];

for (const c of cases) {
  c.times = [];
  for (let i = 0; i < WARMUP; i++) c.body = await c.metrics.registry.metrics();
}
for (let i = 0; i < ITERATIONS; i++) {
  for (const c of cases) {
    const t0 = process.hrtime.bigint();
    const body = await c.metrics.registry.metrics();
    c.times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    c.body = body;
  }
}

const cpus = os.cpus();
const out = (s = '') => process.stdout.write(`${s}\n`);
out(`# bench/observability/scrape — ${new Date().toISOString()}`);
out(
  `invoked as: node ${path.relative(ROOT, fileURLToPath(import.meta.url))}; SCRAPE_* environment: ${
    Object.keys(process.env)
      .filter((k) => k.startsWith('SCRAPE_'))
      .map((k) => `${k}=${process.env[k]}`)
      .join(' ') || '(none set; defaults)'
  }`,
);
out(
  `machine: nproc=${os.availableParallelism?.() ?? cpus.length}, ${cpus[0]?.model ?? 'unknown cpu'}, node ${process.version}; load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
out(
  `registry: ${path.relative(ROOT, METRICS_JS)} built ${statSync(METRICS_JS).mtime.toISOString()}; ${OBSERVATIONS} observations per label set; ${ITERATIONS} timed scrapes each (after ${WARMUP} untimed), round-robin`,
);
out();
out('| registry | HTTP label sets | samples in body | body bytes | median ms | p95 ms | max ms | observeHttp ns/call (first calls, creating the series) |');
out('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const c of cases) {
  const sorted = [...c.times].sort((a, b) => a - b);
  c.median = percentile(sorted, 0.5);
  c.p95 = percentile(sorted, 0.95);
  c.max = sorted.at(-1);
  c.samples = c.body.split('\n').filter((l) => l && !l.startsWith('#')).length;
  c.bytes = Buffer.byteLength(c.body);
  out(`| ${c.name} | ${c.labelSets} | ${c.samples} | ${c.bytes} | ${fmt(c.median)} | ${fmt(c.p95)} | ${fmt(c.max)} | ${c.labelSets ? fmt(c.observeNs, 0) : '–'} |`);
}
out();
const [base, , big] = cases;
const met = big.median < TARGET_MS;
out(
  `Scrape of ${big.labelSets} HTTP label sets: median **${fmt(big.median)} ms**, ${fmt(big.median - base.median)} ms above the baseline's ${fmt(base.median)} ms; target < ${TARGET_MS} ms: **${met ? 'MET' : 'MISSED'}** (p95 ${fmt(big.p95)} ms: ${big.p95 < TARGET_MS ? 'also' : 'not'} under ${TARGET_MS} ms)`,
);
// Steady-state cost of one observation on an existing series (the per-request path).
{
  const { metrics } = cases[2];
  const n = 200_000;
  const routes = Array.from({ length: 20 }, (_, i) => `/api/route${i}`);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) metrics.observeHttp('GET', routes[i % 20], 200, 0.0012);
  out(`observeHttp on an existing series (steady state, the per-request path): ${fmt(Number(process.hrtime.bigint() - t0) / n, 0)} ns/call`);
}
process.exitCode = met ? 0 : 3;
