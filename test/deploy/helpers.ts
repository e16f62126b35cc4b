/**
 * Shared helpers for the deployment-asset tests (deploy/prometheus, deploy/alertmanager, deploy/grafana).
 * The tests run the real Debian tools (promtool, prometheus, amtool, prometheus-alertmanager); a missing
 * tool is a test failure that says how to install it, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY = path.join(ROOT, 'deploy');
export const PROMETHEUS_DIR = path.join(DEPLOY, 'prometheus');
export const RULES_DIR = path.join(PROMETHEUS_DIR, 'rules');
export const PROMTOOL_TESTS_DIR = path.join(PROMETHEUS_DIR, 'tests');
export const ALERTMANAGER_CONFIG = path.join(DEPLOY, 'alertmanager', 'alertmanager.yml');
export const GRAFANA_DIR = path.join(DEPLOY, 'grafana');
export const DASHBOARDS_DIR = path.join(GRAFANA_DIR, 'dashboards');

export const INSTALL_HINT = 'run `apt-get install -y prometheus prometheus-alertmanager` (Debian packages; they provide prometheus, promtool, prometheus-alertmanager and amtool)';

/** Absolute path of an executable on PATH (or /usr/bin, /usr/local/bin, /usr/sbin); throws `hint` when missing. */
export function requireBinary(name: string, hint = INSTALL_HINT): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`\`${name}\` was not found on PATH: ${hint}`);
}

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell), capturing its output. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const command = [cmd, ...args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${err.message}. ${INSTALL_HINT}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ command, code, signal, stdout, stderr });
    });
  });
}

export function formatRun(r: RunResult): string {
  return `$ ${r.command}\nexit code: ${r.code ?? `killed by ${r.signal}`}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Throws an error carrying the tool's whole output unless it exited 0. */
export function assertSucceeded(r: RunResult): void {
  if (r.code !== 0) throw new Error(`command failed:\n${formatRun(r)}`);
}

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export function readYaml<T = unknown>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

export interface AlertRule {
  file: string;
  group: string;
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RecordingRule {
  file: string;
  record: string;
  expr: string;
}

interface RuleFileYaml {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
}

export function loadRules(): { alerts: AlertRule[]; records: RecordingRule[] } {
  const alerts: AlertRule[] = [];
  const records: RecordingRule[] = [];
  for (const file of yamlFiles(RULES_DIR)) {
    const doc = readYaml<RuleFileYaml>(file);
    for (const group of doc.groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (rule.alert !== undefined) {
          alerts.push({
            file: path.relative(ROOT, file),
            group: group.name,
            alert: rule.alert,
            expr: String(rule.expr),
            for: rule.for,
            labels: rule.labels ?? {},
            annotations: rule.annotations ?? {},
          });
        } else if (rule.record !== undefined) {
          records.push({ file: path.relative(ROOT, file), record: rule.record, expr: String(rule.expr) });
        }
      }
    }
  }
  return { alerts, records };
}

export interface DashboardTarget {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export interface DashboardFile {
  file: string;
  json: Record<string, unknown> & {
    uid: string;
    title: string;
    schemaVersion: number;
    panels: DashboardPanel[];
    templating?: { list: TemplateVariable[] };
  };
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; refId?: string; datasource?: { type?: string; uid?: string } }[];
  panels?: DashboardPanel[];
}

export interface TemplateVariable {
  name: string;
  type: string;
  query: unknown;
  datasource?: { type?: string; uid?: string };
}

export function loadDashboards(): DashboardFile[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, json: JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, f), 'utf8')) as DashboardFile['json'] }));
}

/** Every panel, including panels nested in collapsed rows. */
export function allPanels(d: DashboardFile): DashboardPanel[] {
  const out: DashboardPanel[] = [];
  for (const p of d.json.panels) {
    out.push(p);
    for (const nested of p.panels ?? []) out.push(nested);
  }
  return out;
}

export function dashboardTargets(d: DashboardFile): DashboardTarget[] {
  const out: DashboardTarget[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      if (t.expr !== undefined) out.push({ dashboard: d.file, panel: p.title, refId: t.refId ?? '?', expr: t.expr });
    }
  }
  return out;
}

/** The PromQL inside a `label_values(<selector>, label)` (or `query_result(<expr>)`) variable query. */
export function variableQueryExpr(v: TemplateVariable): string | undefined {
  const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
  if (!q) return undefined;
  const lv = /^\s*label_values\(\s*(.+)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/s.exec(q);
  if (lv) return lv[1];
  const qr = /^\s*query_result\(\s*(.+)\s*\)\s*$/s.exec(q);
  if (qr) return qr[1];
  return undefined;
}

/**
 * Replaces Grafana's template variables with concrete values so the expression can be sent to Prometheus:
 * interval variables become durations, the dashboard's own variables (only ever used in `=~"$var"` matchers)
 * become `.*`. Unknown variables are left in place, so the query fails loudly.
 */
export function substituteGrafanaVariables(expr: string, dashboardVariables: string[]): string {
  const builtins: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '15s',
    __interval_ms: '15000',
    __range: '1h',
    __range_s: '3600',
    __range_ms: '3600000',
  };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (match, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    if (name in builtins) return builtins[name] as string;
    if (dashboardVariables.includes(name)) return '.*';
    return match;
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A long-running child process whose output is kept for error messages. */
export interface Daemon {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export function startDaemon(cmd: string, args: string[]): Daemon {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.on('error', (err) => (out += `\n[spawn error] ${err.message}`));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200, the process exits, or the deadline passes. */
export async function waitReady(url: string, daemon: Daemon, name: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`${name} exited early (code ${daemon.child.exitCode}):\n${daemon.output()}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} not ready at ${url} after ${timeoutMs} ms (${last}):\n${daemon.output()}`);
}

export const SEVERITY_ZH: Record<string, string> = { critical: '紧急', major: '重要', minor: '一般' };

export const hasChinese = (s: string): boolean => /[\u4e00-\u9fff]/.test(s);
