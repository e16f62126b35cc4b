#!/usr/bin/env node
// bench/alerts — the alert pipeline: Alertmanager webhook received → e-mail accepted by SMTP.
//
//   npm run build && node bench/alerts/run.mjs                 (latency, then a 60 s storm)
//   node bench/alerts/run.mjs --seconds 10                     (a shorter storm while developing)
//   BENCH_BACKEND=real node bench/alerts/run.mjs               (MariaDB + Redis + RabbitMQ of this machine)
//
// It builds nothing: it runs the platform of dist/ (`node dist/cli/main.js serve`, its own child
// process with bench/lib's orphan guard) with a temp MCP_DATA_DIR/MCP_LOG_DIR, a free port,
// MCP_ALERT_WEBHOOK_TOKEN, MCP_SMTP_URL pointing at an SMTP server inside this process
// (bench/alerts/smtp-sink.mjs: smtp-server with AUTH, no TLS) and MCP_NOTIFY_EMAIL_TO, then:
//   (a) latency: BENCH_LATENCY_N single-alert webhooks (Alertmanager v4 payloads, each its own
//       alert name and fingerprint), one at a time: each is posted, its e-mail awaited, then the
//       next. Latency = from just before the POST to the moment the SMTP server accepted the
//       message naming that alert (end of DATA), both on this process's monotonic clock.
//       Baseline in the same run: the same number of direct nodemailer sends to the same SMTP
//       server (a new transport per message, as the e-mail channel does). Target: p95 ≤ 1 s.
//   (b) storm: BENCH_RATE alerts/s (default 100; distinct fingerprints and names, severity minor,
//       `?channels=email` as the shipped Alertmanager route sends them) for --seconds (default 60);
//       a webhook answered with an error is re-posted after 1 s, up to 5 times, as Alertmanager
//       retries. Then it waits until every accepted alert has its e-mail (or BENCH_DRAIN_TIMEOUT
//       passes), then BENCH_SETTLE more seconds for late duplicates, and counts e-mails per alert
//       (an e-mail counts for every alert name it mentions, in the subject or the text):
//       lost = accepted alerts without an e-mail, duplicated = alerts with more than one.
//       Target: 0 lost and 0 duplicated.
// Alert names are `基准延迟告警-<run>-L0001` / `基准风暴告警-<run>-S00001` (<run> random per run).
//
// Settings (environment; `--seconds N` overrides BENCH_STORM_SECONDS):
//   BENCH_LATENCY_N=100          alerts of part (a) (0 = skip it)
//   BENCH_LATENCY_SEVERITY=critical   severity of part (a)'s alerts; the webhook's `channels` follow the
//                                shipped routing (critical → phone,sms,email; major → sms,email; minor → email)
//   BENCH_STORM_SECONDS=60       length of part (b) (0 = skip it)
//   BENCH_RATE=100               alerts per second in part (b)
//   BENCH_MAIL_TIMEOUT=10        seconds part (a) waits for one e-mail before counting it missing
//   BENCH_DRAIN_TIMEOUT=300      seconds part (b) waits for the queue to drain
//   BENCH_SETTLE=5               seconds part (b) keeps listening after the last expected e-mail
//   BENCH_BACKEND=embedded       embedded (SQLite, memory cache, in-process bus) or real
//   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306, BENCH_REDIS_URL=redis://127.0.0.1:6379/0,
//   BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672   (real backend; a fresh database, dropped after)
//   BENCH_ROLES                  MCP_ROLES of the platform (default: the platform's default)
//   BENCH_KEEP=1                 keep the data directory and the database (real backend) for inspection
//   BENCH_JSON=<file>            also write the results as JSON
//   BENCH_ENFORCE_TARGET=1       exit 3 when a target is missed
// Exit code: 0 when both parts ran, 1 when setup failed, 3 with BENCH_ENFORCE_TARGET=1 and a missed
// target, 130 when interrupted.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { createConnection } from 'mysql2/promise';
import nodemailer from 'nodemailer';
import { ROOT, describeExit, freePort, startNodeChild, tryExec, waitReady } from '../lib/children.mjs';
import { createCleanup, stopOnSignals } from '../lib/cleanup.mjs';
import { procCpuSeconds } from '../lib/cpu.mjs';
import { fmt, out, percentile, progressLine } from '../lib/report.mjs';
import { BenchError, intEnv, redact } from '../lib/settings.mjs';
import { startSmtpSink } from './smtp-sink.mjs';

const CLI = path.join(ROOT, 'dist/cli/main.js');
const TOKEN = randomBytes(24).toString('hex');
const SMTP_USER = 'bench-alerts@example.com';
const SMTP_PASS = randomBytes(12).toString('base64url');
const TO = 'oncall@example.com';
const ADMIN_PASSWORD = `Bench-${randomBytes(9).toString('base64url')}!1`;
const RUN = randomBytes(3).toString('hex');
const TARGET_P95_MS = 1000;
/** The shipped Alertmanager routing's `channels` per severity (deploy/alertmanager/alertmanager.yml). */
const CHANNELS = { critical: 'phone,sms,email', major: 'sms,email', minor: 'email' };

const progress = progressLine('alerts');
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic

// ---------------------------------------------------------------------------------------------
// Settings

function readSettings() {
  const argv = process.argv.slice(2);
  let seconds;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = a.startsWith('--seconds=') ? a.slice(10) : a === '--seconds' ? argv[++i] : undefined;
    if (v === undefined) throw new BenchError(`unknown argument "${a}"; usage: node bench/alerts/run.mjs [--seconds N]`);
    if (!/^\d+$/.test(v ?? '') || Number(v) > 3600) throw new BenchError(`--seconds must be a whole number from 0 to 3600, got "${v}"`);
    seconds = Number(v);
  }
  const backend = process.env.BENCH_BACKEND || 'embedded';
  if (!['embedded', 'real'].includes(backend)) throw new BenchError(`BENCH_BACKEND must be embedded or real, got "${backend}"`);
  const severity = process.env.BENCH_LATENCY_SEVERITY || 'critical';
  if (!(severity in CHANNELS)) throw new BenchError(`BENCH_LATENCY_SEVERITY must be critical, major or minor, got "${severity}"`);
  return {
    latencyN: intEnv('BENCH_LATENCY_N', 100, 0, 100_000),
    latencySeverity: severity,
    stormSeconds: seconds ?? intEnv('BENCH_STORM_SECONDS', 60, 0, 3600),
    rate: intEnv('BENCH_RATE', 100, 1, 10_000),
    mailTimeout: intEnv('BENCH_MAIL_TIMEOUT', 10, 1, 600),
    drainTimeout: intEnv('BENCH_DRAIN_TIMEOUT', 300, 1, 36_000),
    settle: intEnv('BENCH_SETTLE', 5, 0, 600),
    backend,
    mysqlUrl: (process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/0',
    amqpUrl: process.env.BENCH_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    roles: process.env.BENCH_ROLES || undefined,
    jsonOut: process.env.BENCH_JSON ? path.resolve(process.env.BENCH_JSON) : undefined,
    enforceTarget: process.env.BENCH_ENFORCE_TARGET === '1',
    keep: process.env.BENCH_KEEP === '1',
  };
}

// ---------------------------------------------------------------------------------------------
// Cleanup: registered steps run once, last registered first, on success, failure or a signal.

const { onCleanup, cleanup, cleanupFailed } = createCleanup(progress);
let interrupted = false;
stopOnSignals(progress, cleanup, () => {
  interrupted = true;
});

// ---------------------------------------------------------------------------------------------
// Mail bookkeeping: which alert names each accepted e-mail mentions.

const NAME_RE = new RegExp(`基准(?:延迟|风暴)告警-${RUN}-[LSB]\\d+`, 'g');
/** alert name → times (ms) its e-mails were accepted */
const mailsOf = new Map();
const waiters = new Map();
let otherMails = 0;
let wrongRecipient = 0;
/** storm e-mails: how many alerts each named */
const stormMailSizes = [];

function onMail(mail) {
  if (!mail.to.includes(TO)) wrongRecipient++;
  const names = new Set(`${mail.subject}\n${mail.text}`.match(NAME_RE) ?? []);
  if (names.size === 0) otherMails++;
  const storm = [...names].filter((n) => n.includes('-S')).length;
  if (storm) stormMailSizes.push(storm);
  for (const name of names) {
    const list = mailsOf.get(name) ?? [];
    list.push(mail.at);
    mailsOf.set(name, list);
    waiters.get(name)?.(mail.at);
  }
}

/** Resolves with the acceptance time of `name`'s first e-mail, or undefined after `ms`. */
function firstMail(name, ms) {
  const seen = mailsOf.get(name);
  if (seen) return Promise.resolve(seen[0]);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiters.delete(name);
      resolve(undefined);
    }, ms);
    waiters.set(name, (at) => {
      clearTimeout(timer);
      waiters.delete(name);
      resolve(at);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Webhooks

const fingerprintOf = (name) => createHash('sha256').update(name).digest('hex').slice(0, 16);

/** One alert as Alertmanager sends it to a webhook (v4), grouped by alertname and instance as the shipped routing does. */
function payload(name, severity) {
  const labels = { alertname: name, severity, instance: 'bench:9100', job: 'bench' };
  return {
    version: '4',
    groupKey: `{}/{severity="${severity}"}:{alertname="${name}", instance="bench:9100"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: `mcp-${severity}`,
    groupLabels: { alertname: name, instance: 'bench:9100' },
    commonLabels: labels,
    commonAnnotations: { summary: `${name} 基准测试告警` },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: `${name} 基准测试告警` },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=vector%281%29',
        fingerprint: fingerprintOf(name),
      },
    ],
  };
}

async function postAlert(base, name, severity) {
  const t0 = now();
  try {
    const res = await fetch(`${base}/api/support/alerts/alertmanager?channels=${CHANNELS[severity]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(payload(name, severity)),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await res.text();
    return { t0, ms: now() - t0, status: res.status, body };
  } catch (e) {
    return { t0, ms: now() - t0, status: 0, body: e?.cause?.code ?? e?.message ?? String(e) };
  }
}

// ---------------------------------------------------------------------------------------------
// Parts

function dist(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p95: percentile(s, 0.95), p99: percentile(s, 0.99), max: s.at(-1) ?? NaN };
}
const distLine = (d) => `p50 ${fmt(d.p50, 1)} ms · p95 ${fmt(d.p95, 1)} ms · p99 ${fmt(d.p99, 1)} ms · max ${fmt(d.max, 1)} ms (n=${d.n})`;

async function latencyPart(settings, base, smtpPort) {
  progress(`(a) latency: ${settings.latencyN} ${settings.latencySeverity} alerts, one at a time`);
  const lat = [];
  const http = [];
  const missing = [];
  const rejected = [];
  for (let i = 1; i <= settings.latencyN && !interrupted; i++) {
    const name = `基准延迟告警-${RUN}-L${String(i).padStart(4, '0')}`;
    const r = await postAlert(base, name, settings.latencySeverity);
    if (r.status !== 200) {
      rejected.push(`${name}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      continue;
    }
    http.push(r.ms);
    const at = await firstMail(name, settings.mailTimeout * 1000);
    if (at === undefined) missing.push(name);
    else lat.push(at - r.t0);
    await sleep(20);
  }

  progress(`(a) baseline: ${settings.latencyN} direct nodemailer sends`);
  const baseline = [];
  for (let i = 1; i <= settings.latencyN && !interrupted; i++) {
    const name = `基准延迟告警-${RUN}-B${String(i).padStart(4, '0')}`;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, auth: { user: SMTP_USER, pass: SMTP_PASS }, logger: false });
    const t0 = now();
    const waiting = firstMail(name, settings.mailTimeout * 1000);
    try {
      await transport.sendMail({ from: SMTP_USER, to: TO, subject: `【一般】${name}`, text: `${name} 基准测试告警` });
    } finally {
      transport.close();
    }
    const at = await waiting;
    if (at !== undefined) baseline.push(at - t0);
    await sleep(20);
  }
  return { platform: dist(lat), http: dist(http), baseline: dist(baseline), missing, rejected };
}

async function stormPart(settings, base, platformPid) {
  const total = settings.rate * settings.stormSeconds;
  progress(`(b) storm: ${settings.rate} minor alerts/s for ${settings.stormSeconds} s (${total} alerts)`);
  const sentAt = new Map(); // name → t0 of the accepted POST
  const http = [];
  const failedFinal = [];
  let retries = 0;
  let inflight = 0;
  let maxInflight = 0;
  let behindMs = 0;
  const errors = new Map();
  const cpu0 = procCpuSeconds(platformPid);

  const send = async (name) => {
    for (let attempt = 1; ; attempt++) {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      const r = await postAlert(base, name, 'minor');
      inflight--;
      if (r.status === 200) {
        sentAt.set(name, r.t0);
        http.push(r.ms);
        return;
      }
      const key = `HTTP ${r.status} ${r.body.slice(0, 120)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
      if (attempt >= 6 || interrupted) {
        failedFinal.push(name);
        return;
      }
      retries++;
      await sleep(1000);
    }
  };

  const start = now();
  const pending = [];
  for (let i = 0; i < total && !interrupted; i++) {
    const due = start + (i * 1000) / settings.rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    else behindMs = Math.max(behindMs, -wait);
    pending.push(send(`基准风暴告警-${RUN}-S${String(i + 1).padStart(5, '0')}`));
    if (i > 0 && i % (settings.rate * 10) === 0) progress(`(b) ${i} posted, ${[...sentAt.keys()].filter((n) => mailsOf.has(n)).length} e-mailed, ${inflight} in flight`);
  }
  const postedIn = now() - start;
  await Promise.all(pending);
  const acceptedBy = now();
  progress(`(b) all webhooks answered after ${fmt((acceptedBy - start) / 1000, 1)} s; draining`);

  // drain: every accepted alert has its e-mail
  const deadline = acceptedBy + settings.drainTimeout * 1000;
  let lastReport = now();
  const outstanding = () => [...sentAt.keys()].filter((n) => !mailsOf.has(n)).length;
  while (outstanding() > 0 && now() < deadline && !interrupted) {
    await sleep(100);
    if (now() - lastReport > 10_000) {
      lastReport = now();
      progress(`(b) draining: ${outstanding()} alerts still without an e-mail`);
    }
  }
  const firsts = [...sentAt.keys()].map((n) => mailsOf.get(n)?.[0]).filter((x) => x !== undefined);
  const lastMail = firsts.length ? Math.max(...firsts) : NaN;
  const drainedMs = outstanding() === 0 ? lastMail - acceptedBy : NaN;
  const cpu1 = procCpuSeconds(platformPid);
  if (settings.settle > 0) {
    progress(`(b) listening ${settings.settle} s more for late duplicates`);
    await sleep(settings.settle * 1000);
  }

  const names = [...sentAt.keys()];
  const lost = names.filter((n) => !mailsOf.has(n));
  const duplicated = names.filter((n) => (mailsOf.get(n)?.length ?? 0) > 1);
  const extraMails = duplicated.reduce((s, n) => s + mailsOf.get(n).length - 1, 0);
  const lat = names.filter((n) => mailsOf.has(n)).map((n) => mailsOf.get(n)[0] - sentAt.get(n));
  return {
    total,
    accepted: names.length,
    failedFinal,
    retries,
    errors: Object.fromEntries(errors),
    maxInflight,
    behindMs,
    postedSeconds: postedIn / 1000,
    postRate: total / (postedIn / 1000),
    http: dist(http),
    lost: lost.length,
    lostSample: lost.slice(0, 5),
    duplicated: duplicated.length,
    extraMails,
    duplicatedSample: duplicated.slice(0, 5).map(
      (n) =>
        `${n} (fingerprint ${fingerprintOf(n)}; e-mails ${mailsOf
          .get(n)
          .map((at) => `+${fmt((at - sentAt.get(n)) / 1000, 2)} s`)
          .join(', ')} after its webhook)`,
    ),
    drainSeconds: drainedMs / 1000,
    mails: stormMailSizes.length,
    maxAlertsPerMail: stormMailSizes.length ? Math.max(...stormMailSizes) : 0,
    mailRate: firsts.length / ((lastMail - start) / 1000),
    latency: dist(lat),
    platformCpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
  };
}

// ---------------------------------------------------------------------------------------------

function printInvocation(settings, dbName) {
  const benchEnv = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_'))
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  const sha = tryExec('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = tryExec('git', ['status', '--porcelain', '--', 'src']);
  const cpus = os.cpus();
  out(`# bench/alerts — ${new Date().toISOString()}`);
  out(`invoked as: node ${['bench/alerts/run.mjs', ...process.argv.slice(2)].join(' ')}`);
  out(`BENCH_* environment: ${benchEnv.length ? benchEnv.join(' ') : '(none set; defaults)'}`);
  out(
    `settings: latency n=${settings.latencyN} (${settings.latencySeverity}), storm ${settings.rate}/s × ${settings.stormSeconds} s, drain timeout ${settings.drainTimeout} s, settle ${settings.settle} s, backend ${settings.backend}${settings.roles ? `, MCP_ROLES=${settings.roles}` : ''}`,
  );
  out(`machine: nproc=${os.availableParallelism?.() ?? cpus.length}, ${cpus[0]?.model ?? 'unknown cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`);
  out(`node ${process.version}; webhooks and the SMTP server in this process (pid ${process.pid}), the platform in a child process`);
  out(`platform: dist/cli/main.js built ${new Date(statSync(CLI).mtimeMs).toISOString()}; git ${sha ?? '?'}${dirty ? ' (src/ has uncommitted changes)' : ''}`);
  if (settings.backend === 'real')
    out(`services: mysql ${redact(settings.mysqlUrl)}/${dbName}, redis ${redact(settings.redisUrl)} prefix "${dbName}:", amqp ${redact(settings.amqpUrl)} prefix "${dbName}."`);
  out();
}

async function main() {
  const settings = readSettings();
  if (!existsSync(CLI)) throw new BenchError(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first`);
  const dbName = settings.backend === 'real' ? `bench_alerts_${RUN}` : undefined;
  printInvocation(settings, dbName);

  const sink = await startSmtpSink({ user: SMTP_USER, password: SMTP_PASS, now, onMail });
  onCleanup('stop the SMTP server', () => sink.close());
  progress(`SMTP server on 127.0.0.1:${sink.port}`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-alerts-'));
  if (settings.keep) onCleanup('keep the data directory', () => progress(`kept ${dir}${dbName ? ` and database ${dbName}` : ''} (BENCH_KEEP=1)`));
  else onCleanup('remove the data directory', () => rmSync(dir, { recursive: true, force: true }));
  if (dbName && !settings.keep) {
    onCleanup(`drop database ${dbName}`, async () => {
      const u = new URL(settings.mysqlUrl);
      const conn = await createConnection({
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username) || 'root',
        password: decodeURIComponent(u.password),
      });
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
      } finally {
        await conn.end();
      }
    });
  }
  if (dbName && !settings.keep) {
    // the platform's queues and exchanges on the shared broker are named after the run: remove them
    onCleanup("delete the run's queues and exchanges", async () => {
      const conn = await amqp.connect(settings.amqpUrl);
      try {
        const ch = await conn.createChannel();
        for (const q of ['notify.delivery', 'notify.delivery.dead']) await ch.deleteQueue(`${dbName}.${q}`);
        for (const x of ['events', 'events.dlx']) await ch.deleteExchange(`${dbName}.${x}`);
        await ch.close();
      } finally {
        await conn.close();
      }
    });
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    MCP_PORT: String(port),
    MCP_DATA_DIR: dir,
    MCP_LOG_DIR: path.join(dir, 'logs'),
    MCP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MCP_ALERT_WEBHOOK_TOKEN: TOKEN,
    MCP_SMTP_URL: `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${sink.port}`,
    MCP_NOTIFY_EMAIL_TO: TO,
    ...(settings.roles ? { MCP_ROLES: settings.roles } : {}),
    ...(dbName ? { MCP_DB_URL: `${settings.mysqlUrl}/${dbName}`, MCP_REDIS_URL: settings.redisUrl, MCP_REDIS_KEY_PREFIX: `${dbName}:`, MCP_AMQP_URL: settings.amqpUrl } : {}),
  };
  const platform = startNodeChild('platform', [CLI, 'serve'], env, { onCleanup, progress });
  await waitReady(platform, `${base}/ready`);
  progress(`platform ready on ${base}`);

  const results = { settings: { ...settings, jsonOut: undefined }, at: new Date().toISOString() };
  if (settings.latencyN > 0 && !interrupted) results.latency = await latencyPart(settings, base, sink.port);
  if (settings.stormSeconds > 0 && !interrupted) results.storm = await stormPart(settings, base, platform.pid);
  if (interrupted) throw new BenchError('interrupted');
  if (platform.exit) throw new BenchError(`the platform exited during the run (${describeExit(platform.exit)}); its last output:\n  ${platform.tail.join('\n  ')}`);
  results.otherMails = otherMails;
  results.wrongRecipient = wrongRecipient;

  const verdicts = [];
  if (results.latency) {
    const l = results.latency;
    out('## (a) latency: webhook received → e-mail accepted by SMTP');
    out(`platform (webhook → e-mail): ${distLine(l.platform)}`);
    out(`  of which the webhook's HTTP answer: ${distLine(l.http)}`);
    out(`baseline (nodemailer → same SMTP server): ${distLine(l.baseline)}`);
    out(`ratio platform / baseline: p50 ${fmt(l.platform.p50 / l.baseline.p50, 1)}x · p95 ${fmt(l.platform.p95 / l.baseline.p95, 1)}x`);
    if (l.missing.length)
      out(`no e-mail within ${settings.mailTimeout} s for ${l.missing.length} alerts (counted out of the percentiles), e.g. ${l.missing.slice(0, 3).join(', ')}`);
    if (l.rejected.length) out(`webhooks refused: ${l.rejected.length}, e.g. ${l.rejected.slice(0, 2).join(' | ')}`);
    const met = l.platform.n > 0 && l.missing.length === 0 && l.rejected.length === 0 && l.platform.p95 <= TARGET_P95_MS;
    verdicts.push({ target: `(a) p95 ≤ ${TARGET_P95_MS} ms, every alert e-mailed`, verdict: met ? 'MET' : 'MISSED' });
    out();
  }
  if (results.storm) {
    const s = results.storm;
    out(`## (b) storm: ${settings.rate} alerts/s × ${settings.stormSeconds} s`);
    out(`posted ${s.total} in ${fmt(s.postedSeconds, 1)} s (${fmt(s.postRate, 1)}/s; at most ${s.maxInflight} in flight, sender at most ${fmt(s.behindMs, 0)} ms behind schedule)`);
    out(`webhook answers: ${distLine(s.http)}; accepted ${s.accepted}, re-posted ${s.retries}, given up ${s.failedFinal.length}`);
    if (Object.keys(s.errors).length) out(`webhook errors: ${JSON.stringify(s.errors)}`);
    out(`drain: last e-mail ${fmt(s.drainSeconds, 2)} s after the last webhook was accepted; alerts e-mailed at ${fmt(s.mailRate, 1)}/s overall`);
    out(`e-mails: ${s.mails} for ${s.accepted} alerts (at most ${s.maxAlertsPerMail} alerts in one e-mail)`);
    out(`webhook → e-mail under the storm: ${distLine(s.latency)}`);
    out(
      `lost: ${s.lost}${s.lost ? ` (e.g. ${s.lostSample.join(', ')})` : ''} · duplicated: ${s.duplicated} alerts, ${s.extraMails} extra e-mails${s.duplicated ? ` (e.g. ${s.duplicatedSample.join(', ')})` : ''}`,
    );
    if (s.platformCpuSeconds !== undefined) out(`platform CPU during posting + drain: ${fmt(s.platformCpuSeconds, 1)} s`);
    verdicts.push({ target: '(b) 0 lost, 0 duplicated', verdict: s.lost === 0 && s.duplicated === 0 && s.failedFinal.length === 0 ? 'MET' : 'MISSED' });
    out();
  }
  if (otherMails || wrongRecipient) out(`other e-mails: ${otherMails} naming no bench alert; ${wrongRecipient} not addressed to ${TO}`);
  for (const v of verdicts) out(`target ${v.target}: ${v.verdict}`);
  results.verdicts = verdicts;
  if (settings.jsonOut) writeFileSync(settings.jsonOut, `${JSON.stringify(results, null, 2)}\n`);

  const e = await platform.stop();
  progress(`platform: stopped (${describeExit(e)})`);
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
