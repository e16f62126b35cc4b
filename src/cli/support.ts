import type { Config } from '../config/config.js';
import { loadConfig } from '../config/config.js';
import { messages, type Lang } from '../i18n/messages.js';
import type { MigrateResult } from '../infra/db/migrate.js';
import type { BackupOpsContext } from '../ops/backup/context.js';
import { formatBytes, type ProgressListener } from '../ops/progress.js';
import type { Platform } from '../app/platform.js';
import type { IssuedPassword } from '../services/user/adminAccounts.js';

/**
 * What every command group shares: the run's language and output mode, the configuration, and the
 * platform a command runs against. Heavy modules are imported inside the functions that use them,
 * so a command loads only what it needs.
 */

/** Bad usage: exit 2 and one line. */
export class UsageError extends Error {}

export interface GlobalOptions {
  json?: boolean;
  lang?: Lang;
}

/**
 * One language per run: `--lang` (read from argv before parsing, so help and usage errors follow it
 * too), else `MCP_LANG`, else zh-CN. Help, result lines, check lines and errors use it; `--json`
 * output keeps stable English keys and codes.
 */
export function cliLanguage(argv: readonly string[], env: NodeJS.ProcessEnv): Lang {
  const i = argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  const given = i < 0 ? env.MCP_LANG : argv[i]!.includes('=') ? argv[i]!.slice(7) : argv[i + 1];
  return given === 'en' ? 'en' : 'zh-CN';
}

export interface Cli {
  lang: Lang;
  t(): ReturnType<typeof messages>;
  /** `--json` was given. */
  json(): boolean;
  /** The configuration, loaded (and validated) on first use. */
  config(): Config;
  /** One result: the human line, or the JSON value with `--json`. */
  print(human: string, json: unknown): void;
  showPassword(issued: IssuedPassword, headline: string): void;
  /**
   * Runs `fn` with a platform over the configured database (schema brought up to date first), closing
   * it afterwards. A command that `writes` is refused (exit 1, nothing touched, not even the schema)
   * while a live restore holds the platform in maintenance mode.
   */
  withPlatform<T>(fn: (p: Platform, migrated: MigrateResult) => Promise<T>, o?: { writes?: boolean }): Promise<T>;
  /** Runs a write command's operation audited as `ops.<kind>` under the CLI's actor, like the API's jobs and the scheduler. */
  audited<T>(p: Platform, kind: string, target: string, run: () => Promise<T>, outcome?: (r: T) => Record<string, unknown>): Promise<T>;
  /** The backup and restore context over a platform. */
  backupContext(p: Platform): Promise<BackupOpsContext>;
  /** A one-line progress display on a terminal; nothing otherwise (long work logs its steps). */
  progressPrinter(): ProgressListener | undefined;
}

export function createCli(lang: Lang, globalOptions: () => GlobalOptions): Cli {
  let config: Config | undefined;
  const t = () => messages(lang);
  const json = () => globalOptions().json === true;
  const print = (human: string, value: unknown) => {
    process.stdout.write(json() ? `${JSON.stringify(value)}\n` : `${human}\n`);
  };
  const cli: Cli = {
    lang,
    t,
    json,
    config: () => (config ??= loadConfig()),
    print,
    showPassword(issued, headline) {
      if (json()) {
        print('', { username: issued.username, password: issued.oneTime ? issued.password : undefined, oneTime: issued.oneTime });
        return;
      }
      const lines = [headline];
      if (issued.oneTime) lines.push(`${t()['admin.oneTime']} ${issued.password}`);
      else lines.push(t()['admin.preset']);
      process.stdout.write(`${lines.join('\n')}\n`);
    },
    async withPlatform(fn, o = {}) {
      const c = cli.config();
      const [{ createPlatform, prepareSchema }, { createLogging, loggingConfigFrom }] = await Promise.all([import('../app/platform.js'), import('../observability/logging.js')]);
      const platform = createPlatform(c, { logging: createLogging({ ...loggingConfigFrom(c, 'audit'), level: 'warn', console: 'plain' }) });
      try {
        const m = o.writes ? await platform.maintenance.current() : undefined;
        if (m) throw (await import('../ops/audited.js')).maintenanceRefusal(m);
        const migrated = await prepareSchema(platform);
        return await fn(platform, migrated);
      } finally {
        await platform.close();
      }
    },
    async audited(p, kind, target, run, outcome) {
      const [{ runAudited }, { cliActor }] = await Promise.all([import('../ops/audited.js'), import('../services/actor.js')]);
      return runAudited({ audit: p.audit, maintenance: p.maintenance, log: p.log }, { kind, actor: cliActor(), target, outcome }, run);
    },
    async backupContext(p) {
      return (await import('../app/backupContext.js')).createBackupContext(p);
    },
    progressPrinter() {
      if (!process.stderr.isTTY || json()) return undefined;
      return (p) => {
        const eta = p.etaSeconds !== undefined && !p.done ? `  ${t()['progress.eta'](Math.round(p.etaSeconds))}` : '';
        const total = p.total ? ` / ~${formatBytes(p.total)}` : '';
        process.stderr.write(`\r\x1b[K${t()['progress.step'](p.step)}  ${formatBytes(p.bytes)}${total}  ${formatBytes(p.bytesPerSecond)}/s${eta}${p.done ? '\n' : ''}`);
      };
    },
  };
  return cli;
}

/** A `--port`-like option value: an integer 0–65535 (or any unsigned integer without `max`), else bad usage. */
export function integerOption(flag: string, max?: number): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || (max !== undefined && Number(v) > max)) throw new UsageError(`${flag}: ${v}`);
    return Number(v);
  };
}
