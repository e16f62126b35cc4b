/**
 * A real Prometheus and Alertmanager (the Debian packages) for end-to-end alerting tests, each on a
 * free local port with its own temp directory, torn down by killing its whole process group.
 *
 * Alertmanager runs a test copy of the shipped deploy/alertmanager/alertmanager.yml: the same
 * routes, inhibitions and receivers, with the webhook URLs pointed at the test platform, the bearer
 * token read from a 0600 `credentials_file`, and the timings shortened (group_wait/group_interval
 * 1 s) so a notification leaves within a second or two. A missing binary fails with a message
 * naming the installer (`bash test/support/install-test-tools.sh`), never a skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Alertmanager configuration the project ships. */
export const DEPLOYED_ALERTMANAGER_CONFIG = path.join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');
/** The host the shipped configuration sends its webhooks to. */
const DEPLOYED_PLATFORM_URL = 'http://mcp-platform:8000';
const INSTALL_HINT = 'run `bash test/support/install-test-tools.sh` (installs the Debian packages prometheus and prometheus-alertmanager)';

/** Absolute path of the first of `names` found on PATH (or /usr/bin, /usr/sbin, /usr/local/bin); throws with the install hint. */
export function findBinary(...names: string[]): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  throw new Error(`${names.map((n) => `\`${n}\``).join(' / ')} not found on PATH: ${INSTALL_HINT}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A child in its own process group, its last output kept for error messages. */
export interface GroupDaemon {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM to the whole group, SIGKILL after 5 s; resolves once the leader has exited. */
  stop(): Promise<void>;
}

/** Groups still running, killed for sure if the test process exits without stopping them. */
const live = new Set<number>();
let exitHook = false;
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function startGroupDaemon(name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): GroupDaemon {
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => {
    out += `\n[spawn error] ${err.message}`;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const pid = child.pid;
  if (pid !== undefined) {
    live.add(pid);
    void exited.then(() => live.delete(pid));
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const p of live) killGroup(p, 'SIGKILL');
      });
    }
  }
  return {
    name,
    child,
    output: () => out,
    async stop() {
      if (pid === undefined) return;
      // the group may outlive its leader: signal it even when the leader is already gone
      killGroup(pid, 'SIGTERM');
      if (child.exitCode === null && child.signalCode === null) {
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      killGroup(pid, 'SIGKILL');
      live.delete(pid);
    },
  };
}

/** Polls `url` until it answers 200; fails early, with the daemon's output, when it exits. */
export async function waitHttpReady(url: string, daemon: GroupDaemon, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`${daemon.name} exited early (code ${daemon.child.exitCode ?? daemon.child.signalCode}):\n${daemon.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${daemon.name} not ready at ${url} after ${timeoutMs} ms (${last}):\n${daemon.output()}`);
}

interface AmRoute {
  receiver?: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: AmRoute[];
  [k: string]: unknown;
}
interface AmConfig {
  route: AmRoute;
  receivers: { name: string; webhook_configs?: { url: string; http_config?: { authorization?: { credentials?: string; credentials_file?: string } } }[] }[];
  [k: string]: unknown;
}

/**
 * The shipped Alertmanager configuration with its webhooks sent to `platformUrl`, the token read
 * from `tokenFile`, and every route's timings shortened. Throws when the shipped file no longer has
 * the shape this copy relies on (a webhook elsewhere than the platform, a token not from a file).
 */
export function testAlertmanagerConfig(platformUrl: string, tokenFile: string, timings = { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' }): string {
  const config = parse(readFileSync(DEPLOYED_ALERTMANAGER_CONFIG, 'utf8')) as AmConfig;
  const shorten = (r: AmRoute) => {
    Object.assign(r, timings);
    for (const sub of r.routes ?? []) shorten(sub);
  };
  shorten(config.route);
  let webhooks = 0;
  for (const receiver of config.receivers) {
    for (const w of receiver.webhook_configs ?? []) {
      if (!w.url.startsWith(`${DEPLOYED_PLATFORM_URL}/`))
        throw new Error(`${DEPLOYED_ALERTMANAGER_CONFIG}: receiver ${receiver.name} sends to ${w.url}, not ${DEPLOYED_PLATFORM_URL}`);
      const auth = w.http_config?.authorization;
      if (!auth?.credentials_file || auth.credentials !== undefined)
        throw new Error(`${DEPLOYED_ALERTMANAGER_CONFIG}: receiver ${receiver.name} must read its token from credentials_file`);
      w.url = platformUrl.replace(/\/$/, '') + w.url.slice(DEPLOYED_PLATFORM_URL.length);
      auth.credentials_file = tokenFile;
      webhooks++;
    }
  }
  if (webhooks === 0) throw new Error(`${DEPLOYED_ALERTMANAGER_CONFIG}: no webhook receivers`);
  return stringify(config);
}

export interface RuleGroup {
  name: string;
  rules: { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}

export interface PromStackOptions {
  /** Base URL of the platform Alertmanager's webhooks go to, e.g. `http://127.0.0.1:41234`. */
  platformUrl: string;
  /** The platform's MCP_ALERT_WEBHOOK_TOKEN; written to a 0600 file, never put on a command line. */
  webhookToken: string;
  /** The alerting rules Prometheus evaluates. */
  ruleGroups: RuleGroup[];
  /** Scrape jobs: `{ job: 'mysql-exporter', targets: ['127.0.0.1:9104'] }`. */
  scrape: { job: string; targets: string[] }[];
  /** Scrape and evaluation interval in seconds (default 1). */
  intervalSeconds?: number;
}

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string };
}

export interface PromStack {
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** An instant query; throws on a Prometheus error. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Prometheus' view of its rules' alerts (`/api/v1/alerts`). */
  promAlerts(): Promise<{ labels: Record<string, string>; state: string }[]>;
  /** Alertmanager's alerts (`/api/v2/alerts`). */
  amAlerts(): Promise<AlertmanagerAlert[]>;
  /** Both daemons' recent output, for failure messages. */
  output(): string;
  /** Stops both process groups and removes the temp directory (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts Alertmanager, then Prometheus (which sends to it), and waits until both are ready, every
 * scrape target has been scraped once and Prometheus has discovered the Alertmanager. On failure
 * everything already started is stopped before the error is thrown.
 */
export async function startPromStack(opts: PromStackOptions): Promise<PromStack> {
  const prometheusBin = findBinary('prometheus');
  const alertmanagerBin = findBinary('prometheus-alertmanager', 'alertmanager');
  const interval = `${opts.intervalSeconds ?? 1}s`;
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-promstack-'));
  const daemons: GroupDaemon[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const d of [...daemons].reverse()) await d.stop();
      rmSync(dir, { recursive: true, force: true });
    })());
  const output = () => daemons.map((d) => `--- ${d.name} ---\n${d.output()}`).join('\n');

  try {
    const tokenFile = path.join(dir, 'mcp-webhook-token');
    writeFileSync(tokenFile, `${opts.webhookToken}\n`, { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
    const amConfig = path.join(dir, 'alertmanager.yml');
    writeFileSync(amConfig, testAlertmanagerConfig(opts.platformUrl, tokenFile));
    const amPort = await freePort();
    const alertmanagerUrl = `http://127.0.0.1:${amPort}`;
    const am = startGroupDaemon('alertmanager', alertmanagerBin, [
      `--config.file=${amConfig}`,
      `--storage.path=${path.join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=', // no gossip port: a lone instance
      '--log.level=warn',
    ]);
    daemons.push(am);
    await waitHttpReady(`${alertmanagerUrl}/-/ready`, am);

    const rulesFile = path.join(dir, 'rules.yml');
    writeFileSync(rulesFile, stringify({ groups: opts.ruleGroups }));
    const promConfig = path.join(dir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      stringify({
        global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
        rule_files: [rulesFile],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        scrape_configs: opts.scrape.map((s) => ({ job_name: s.job, static_configs: [{ targets: s.targets }] })),
      }),
    );
    const promPort = await freePort();
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    const prom = startGroupDaemon('prometheus', prometheusBin, [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${path.join(dir, 'prometheus')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    daemons.push(prom);
    await waitHttpReady(`${prometheusUrl}/-/ready`, prom);

    const getJson = async <T>(url: string): Promise<T> => {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    };
    const stack: PromStack = {
      prometheusUrl,
      alertmanagerUrl,
      async query(expr) {
        const body = await getJson<{ status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(
          `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`,
        );
        if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
        return body.data.result;
      },
      async promAlerts() {
        return (await getJson<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>(`${prometheusUrl}/api/v1/alerts`)).data.alerts;
      },
      amAlerts: () => getJson<AlertmanagerAlert[]>(`${alertmanagerUrl}/api/v2/alerts`),
      output,
      stop,
    };

    // ready means: Prometheus knows its Alertmanager and has scraped every target once
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ams = await getJson<{ data: { activeAlertmanagers: unknown[] } }>(`${prometheusUrl}/api/v1/alertmanagers`);
      const targets = await getJson<{ data: { activeTargets: { health: string; scrapeUrl: string; lastError: string }[] } }>(`${prometheusUrl}/api/v1/targets`);
      const expected = opts.scrape.reduce((n, s) => n + s.targets.length, 0);
      const scraped = targets.data.activeTargets.filter((t) => t.health !== 'unknown');
      if (ams.data.activeAlertmanagers.length === 1 && scraped.length === expected) break;
      if (Date.now() > deadline)
        throw new Error(
          `Prometheus did not find its Alertmanager (${ams.data.activeAlertmanagers.length}) or scrape every target (${JSON.stringify(targets.data.activeTargets)}):\n${output()}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
    return stack;
  } catch (e) {
    await stop();
    throw e;
  }
}
