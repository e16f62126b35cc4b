import { pino, type Logger } from 'pino';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
  /** Write to files at all (off for one-shot CLI commands that only print); `'audit'`: only audit.log (CLI commands, whose audit rows and checkpoints belong there too). */
  files: boolean | 'audit';
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

/** The audit chain's head at one moment, with an HMAC under the audit key (see services/system/auditLog.ts). */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  mac: string;
}

export interface Logging {
  /** The application logger (categories app and error). */
  app: Logger;
  access(entry: AccessEntry): void;
  audit(record: { seq: number; ts: string; actor: string; action: string; target: string | null; ip: string | null; result: string; details: unknown }): void;
  /** Writes a signed checkpoint of the audit chain's head into audit.log (the chain's anchor outside the database). */
  auditCheckpoint(checkpoint: AuditCheckpoint): void;
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

/**
 * Text-layout escaping (SEC-3: log lines cannot be forged). A line starts at column 0 only where
 * the platform starts a record: control characters (C0, DEL, C1, U+2028/9) inside any field are
 * written as escapes (`\n`, `\u0085`), and a `key=value` value that could pass for more than one
 * field (a space, `=`, `"`, `|`, backslash, or empty) is written as a JSON string.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
// eslint-disable-next-line no-control-regex
const BARE = /^[^\s"=|\\\u0000-\u001f\u007f-\u009f\u2028\u2029]+$/;
/** One `key=value` value: bare when it is one harmless token, else a JSON string (control characters escaped). */
export function logValue(v: unknown): string {
  if (typeof v === 'string') return BARE.test(v) ? v : escapeControl(JSON.stringify(v));
  return escapeControl(JSON.stringify(v) ?? String(v));
}
/** A component of the `module:function:line` part: no separator, no control character. */
const headerPart = (text: string) => escapeControl(text).replace(/[|\s]/g, '_');

/** Renders one entry in the manual's layout; extra fields follow as key=value. */
function layout(o: LogObject, colour: boolean): string {
  const level = (LEVEL_NAMES[o.level] ?? String(o.level)).padEnd(8);
  const where = `${headerPart(o.module ?? 'app')}:${headerPart(o.fn ?? '-')}:${o.line ?? 0}`;
  const extras = Object.entries(o)
    .filter(([k]) => !STANDARD_KEYS.has(k))
    .map(([k, v]) => `${headerPart(k).replace(/=/g, '_')}=${logValue(v)}`);
  if (o.trace_id) extras.push(`trace_id=${logValue(o.trace_id)}`);
  let msg = escapeControl(o.msg ?? '');
  if (extras.length) msg += ` ${extras.join(' ')}`;
  // A stack trace keeps its lines, each indented: only a record starts at column 0.
  if (o.err?.stack)
    msg += `\n${o.err.stack
      .split(/\r\n|\r|\n/)
      .map((l) => `    ${escapeControl(l.trimStart())}`)
      .join('\n')}`;
  else if (o.err?.message) msg += ` err=${logValue(o.err.message)}`;
  const time = localTime(new Date(o.time));
  if (!colour) return `${time} | ${level} | ${where} - ${msg}\n`;
  const c = LEVEL_COLOURS[o.level] ?? '';
  return `${GREEN}${time}${RESET} | ${c}${level}${RESET} | ${CYAN}${where}${RESET} - ${c}${msg}${RESET}\n`;
}

export function createLogging(cfg: LoggingConfig): Logging {
  const categories = cfg.files === true ? LOG_CATEGORIES : cfg.files === 'audit' ? (['audit'] as const) : [];
  const opened = categories.flatMap((c) => {
    try {
      return [[c, new RotatingFile(join(cfg.dir, `${c}.log`), cfg.maxBytes[c], { retentionDays: cfg.retentionDays[c] })] as const];
    } catch (e) {
      if (cfg.files === true) throw e;
      process.stderr.write(`log file ${join(cfg.dir, `${c}.log`)}: ${(e as Error).message}\n`);
      return [];
    }
  });
  const auditFile = opened.find(([c]) => c === 'audit')?.[1];
  const files = cfg.files === true ? (Object.fromEntries(opened) as Record<LogCategory, RotatingFile>) : undefined;
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
        : `${localTime(now)} | INFO     | access:${headerPart(e.route)}:${e.status} - ${logValue(e.ip)} ${escapeControl(JSON.stringify(`${e.method} ${e.url}`))} ${e.status} ${e.durationMs.toFixed(1)}ms user=${logValue(e.user ?? '-')} req=${logValue(e.requestId)}${traceId ? ` trace_id=${logValue(traceId)}` : ''} ua=${escapeControl(JSON.stringify(e.userAgent ?? ''))}\n`;
      files?.access.write(line);
    },
    audit(r) {
      if (!auditFile) return;
      const now = new Date();
      const line = json
        ? `${JSON.stringify({ time: now.toISOString(), level: 'INFO', category: 'audit', ...r })}\n`
        : `${localTime(now)} | INFO     | audit:${headerPart(r.action)}:${r.seq} - actor=${logValue(r.actor)} action=${logValue(r.action)} target=${logValue(r.target ?? '-')} result=${logValue(r.result)} ip=${logValue(r.ip ?? '-')} at=${escapeControl(r.ts)}${r.details ? ` details=${logValue(r.details)}` : ''}\n`;
      auditFile.write(line);
    },
    auditCheckpoint(cp) {
      if (!auditFile) return;
      const now = new Date();
      auditFile.write(
        json
          ? `${JSON.stringify({ time: now.toISOString(), level: 'INFO', category: 'audit', checkpoint: { seq: cp.seq, hash: cp.hash, mac: cp.mac } })}\n`
          : `${localTime(now)} | INFO     | audit:checkpoint:${cp.seq} - checkpoint seq=${cp.seq} hash=${cp.hash} mac=${cp.mac}\n`,
      );
    },
    prune(now = new Date()) {
      return LOG_CATEGORIES.reduce((n, c) => n + pruneRotated(cfg.dir, c, cfg.retentionDays[c], now).length, 0);
    },
    async close() {
      app.flush();
      await Promise.all(opened.map(([, f]) => f.close()));
    },
  };
}

const CHECKPOINT_TEXT = /^\S+ \S+ \| INFO +\| audit:checkpoint:\d+ - checkpoint seq=(\d+) hash=([0-9a-f]{64}) mac=([0-9a-f]{64})$/;

/**
 * Every audit checkpoint in `dir`'s audit.log and its rotated files (either layout), oldest file
 * first. `source` is `file:line`. Lines that are not checkpoints are skipped.
 */
export async function* readAuditCheckpoints(dir: string): AsyncGenerator<AuditCheckpoint & { source: string }> {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => /^audit-\d{8}-\d{6}-\d{3}\.log$/.test(f))
      .sort();
  } catch {
    return;
  }
  names.push('audit.log');
  for (const name of names) {
    let input: ReturnType<typeof createReadStream>;
    try {
      input = createReadStream(join(dir, name), 'utf8');
      await new Promise((resolve, reject) => input!.once('open', resolve).once('error', reject));
    } catch {
      continue; // rotated or pruned meanwhile, or never written
    }
    let n = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      n++;
      if (!line.includes('checkpoint')) continue;
      const m = CHECKPOINT_TEXT.exec(line);
      if (m) {
        yield { seq: Number(m[1]), hash: m[2]!, mac: m[3]!, source: `${name}:${n}` };
        continue;
      }
      if (!line.startsWith('{')) continue;
      try {
        const o = JSON.parse(line) as { category?: string; checkpoint?: Partial<AuditCheckpoint> };
        const c = o.category === 'audit' ? o.checkpoint : undefined;
        if (c && Number.isSafeInteger(c.seq) && typeof c.hash === 'string' && typeof c.mac === 'string') yield { seq: c.seq!, hash: c.hash, mac: c.mac, source: `${name}:${n}` };
      } catch {
        // not JSON: an ordinary line
      }
    }
  }
}

/** Logging settings from the platform config; `files: false` for one-shot CLI commands. */
export function loggingConfigFrom(
  config: { logDir: string; logLevel: LoggingConfig['level']; log: Pick<LoggingConfig, 'format' | 'console' | 'maxBytes' | 'retentionDays'> & { access: boolean } },
  files: LoggingConfig['files'],
): LoggingConfig {
  const { access: _access, ...log } = config.log;
  return { dir: config.logDir, level: config.logLevel, files, ...log };
}
