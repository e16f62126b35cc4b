import { pino, type Logger } from 'pino';
import { join } from 'node:path';
import { pruneRotated, RotatingFile } from './rotatingFile.js';

/**
 * Logs by category (SPEC LOG-1…4, manual §2): `app` (DEBUG…ERROR), `access` (one line per
 * request), `error` (ERROR and above only) and `audit`, each its own file in the log directory with
 * its own size limit and retention. File lines use the manual's layout
 * `YYYY-MM-DD HH:mm:ss | LEVEL    | module:function:line - message`, or JSON lines for ELK/Loki.
 * In development the console shows the same layout in colour. Secrets are redacted; the lines a
 * recorded request writes (the error handler's, its traced services') carry its `trace_id`.
 */
export type LogCategory = 'app' | 'access' | 'error' | 'audit';
export const LOG_CATEGORIES: readonly LogCategory[] = ['app', 'access', 'error', 'audit'];

export interface LoggingConfig {
  dir: string;
  level: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  format: 'text' | 'json';
  /** Write to files at all (off for one-shot CLI commands that only print). */
  files: boolean;
  console: 'off' | 'plain' | 'colour';
  maxBytes: Record<LogCategory, number>;
  retentionDays: Record<LogCategory, number>;
}

export interface AccessEntry {
  method: string;
  url: string;
  route: string;
  status: number;
  durationMs: number;
  ip: string;
  userAgent?: string;
  requestId: string;
  traceId?: string;
  user?: string;
}

export interface Logging {
  /** The application logger (categories app and error). */
  app: Logger;
  access(entry: AccessEntry): void;
  audit(record: { seq: number; ts: string; actor: string; action: string; target: string | null; ip: string | null; result: string; details: unknown }): void;
  /** Deletes rotated files past their retention; returns how many. */
  prune(now?: Date): number;
  close(): Promise<void>;
}

/** Paths whose values never reach a log line (SPEC LOG-4, SEC-1). */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'currentPassword',
  '*.currentPassword',
  'newPassword',
  '*.newPassword',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARNING', 50: 'ERROR', 60: 'CRITICAL' };
const LEVEL_COLOURS: Record<number, string> = { 10: '\x1b[2m', 20: '\x1b[34m', 30: '\x1b[1m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[41m' };
const RESET = '\x1b[0m';
const GREEN = '\x1b[32m';
const CYAN = '\x1b[36m';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
let lastSecond = -1;
let lastStamp = '';
/** `YYYY-MM-DD HH:mm:ss` in local time; formatted once per second (every access-log line needs it). */
export function localTime(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastStamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  return lastStamp;
}

/** `module:function:line` of the code that called the logger, from a stack trace. */
function callsite(): { fn: string; line: number; file: string } | undefined {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const frame of stack.slice(2)) {
    if (frame.includes('node_modules') || /(src|dist)\/observability\/logging\./.test(frame) || frame.includes('node:')) continue;
    const m = /at (?:(?:async )?([^\s(]+) \()?(?:file:\/\/)?([^():]+):(\d+):\d+\)?$/.exec(frame.trim());
    if (m) return { fn: (m[1] ?? '<anonymous>').replace(/^Object\./, ''), file: m[2]!, line: Number(m[3]) };
  }
  return undefined;
}

/** `services.auth.authService` for src/services/auth/authService.ts (or its dist/ twin); `test.…` for tests. */
function moduleOf(file: string): string {
  const m = /\/(src|dist|test|bench)\/(.+)\.(ts|js|mjs)$/.exec(file);
  if (!m) return file.replace(/^.*\//, '').replace(/\.\w+$/, '');
  return `${m[1] === 'test' || m[1] === 'bench' ? `${m[1]}/` : ''}${m[2]}`.replace(/\//g, '.');
}

interface LogObject {
  level: number;
  time: number;
  msg?: string;
  module?: string;
  fn?: string;
  line?: number;
  trace_id?: string;
  err?: { message?: string; stack?: string };
  [k: string]: unknown;
}

const STANDARD_KEYS = new Set(['level', 'time', 'msg', 'module', 'fn', 'line', 'trace_id', 'pid', 'hostname', 'service', 'err']);

/** Renders one entry in the manual's layout; extra fields follow as key=value. */
function layout(o: LogObject, colour: boolean): string {
  const level = (LEVEL_NAMES[o.level] ?? String(o.level)).padEnd(8);
  const where = `${o.module ?? 'app'}:${o.fn ?? '-'}:${o.line ?? 0}`;
  const extras = Object.entries(o)
    .filter(([k]) => !STANDARD_KEYS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (o.trace_id) extras.push(`trace_id=${o.trace_id}`);
  let msg = o.msg ?? '';
  if (extras.length) msg += ` ${extras.join(' ')}`;
  if (o.err?.stack) msg += `\n${o.err.stack}`;
  else if (o.err?.message) msg += ` err=${o.err.message}`;
  const time = localTime(new Date(o.time));
  if (!colour) return `${time} | ${level} | ${where} - ${msg}\n`;
  const c = LEVEL_COLOURS[o.level] ?? '';
  return `${GREEN}${time}${RESET} | ${c}${level}${RESET} | ${CYAN}${where}${RESET} - ${c}${msg}${RESET}\n`;
}

export function createLogging(cfg: LoggingConfig): Logging {
  const files = cfg.files
    ? (Object.fromEntries(LOG_CATEGORIES.map((c) => [c, new RotatingFile(join(cfg.dir, `${c}.log`), cfg.maxBytes[c], { retentionDays: cfg.retentionDays[c] })])) as Record<LogCategory, RotatingFile>)
    : undefined;
  const json = cfg.format === 'json';

  const destination = {
    write(line: string) {
      const o = JSON.parse(line) as LogObject;
      if (cfg.console !== 'off') (o.level >= 40 ? process.stderr : process.stdout).write(layout(o, cfg.console === 'colour'));
      if (!files) return;
      const text = json ? line : layout(o, false);
      files.app.write(text);
      if (o.level >= 50) files.error.write(text);
    },
  };

  const app = pino(
    {
      level: cfg.level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin(_ctx, level, logger) {
        const site = level >= 20 ? callsite() : undefined;
        // a `module` bound by a child logger wins over the file name
        const named = (logger.bindings() as { module?: string }).module !== undefined;
        return site ? { fn: site.fn, line: site.line, ...(named ? {} : { module: moduleOf(site.file) }) } : {};
      },
    },
    destination,
  );

  return {
    app,
    access(e) {
      if (!files && cfg.console === 'off') return;
      const now = new Date();
      const { traceId } = e;
      const line = json
        ? `${JSON.stringify({ time: now.toISOString(), level: 'INFO', category: 'access', ...e, ...(traceId ? { trace_id: traceId } : {}) })}\n`
        : `${localTime(now)} | INFO     | access:${e.route}:${e.status} - ${e.ip} "${e.method} ${e.url}" ${e.status} ${e.durationMs.toFixed(1)}ms user=${e.user ?? '-'} req=${e.requestId}${traceId ? ` trace_id=${traceId}` : ''} ua=${JSON.stringify(e.userAgent ?? '')}\n`;
      files?.access.write(line);
    },
    audit(r) {
      if (!files) return;
      const now = new Date();
      const line = json
        ? `${JSON.stringify({ time: now.toISOString(), level: 'INFO', category: 'audit', ...r })}\n`
        : `${localTime(now)} | INFO     | audit:${r.action}:${r.seq} - actor=${r.actor} action=${r.action} target=${r.target ?? '-'} result=${r.result} ip=${r.ip ?? '-'} at=${r.ts}${r.details ? ` details=${JSON.stringify(r.details)}` : ''}\n`;
      files.audit.write(line);
    },
    prune(now = new Date()) {
      return LOG_CATEGORIES.reduce((n, c) => n + pruneRotated(cfg.dir, c, cfg.retentionDays[c], now).length, 0);
    },
    async close() {
      app.flush();
      if (files) await Promise.all(LOG_CATEGORIES.map((c) => files[c].close()));
    },
  };
}

/** Logging settings from the platform config; `files: false` for one-shot CLI commands. */
export function loggingConfigFrom(
  config: { logDir: string; logLevel: LoggingConfig['level']; log: Pick<LoggingConfig, 'format' | 'console' | 'maxBytes' | 'retentionDays'> & { access: boolean } },
  files: boolean,
): LoggingConfig {
  const { access: _access, ...log } = config.log;
  return { dir: config.logDir, level: config.logLevel, files, ...log };
}
