#!/usr/bin/env node
import { Command, CommanderError, Help, Option, type Argument } from 'commander';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { AppError } from '../errors/appError.js';
import { HELP_TITLES_ZH, HELP_ZH, translateCheck, translateCommanderError, translateConfigProblem, translateError } from '../i18n/cliText.js';
import { messages, type Lang } from '../i18n/messages.js';
import type { MigrateResult } from '../infra/db/migrate.js';
import { fromDbTime } from '../infra/db/time.js';
import type { BackupOpsContext } from '../ops/backup/context.js';
import type { VerifyReport } from '../ops/backup/verify.js';
import { formatBytes, type ProgressListener } from '../ops/progress.js';
import { AVAILABLE_MODULES, MODULES, MODULE_PORTS, type ModuleName } from '../server/modules.js';
import type { Platform } from '../app/platform.js';
import type { IssuedPassword } from '../services/user/adminAccounts.js';

/**
 * `mcp-platform <command>` — a thin face: parse, call a core function, print.
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration.
 * Each command loads only the modules it uses (dynamic imports), so an operations command such
 * as `backup full` starts in a fraction of the time the whole server takes to load.
 */
class UsageError extends Error {}

interface GlobalOptions {
  json?: boolean;
  lang?: Lang;
}

/** The package's version (package.json sits two levels above both src/cli and dist/cli). */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * One language per run: `--lang` (read from argv before parsing, so help and usage errors follow it
 * too), else `MCP_LANG`, else zh-CN. Help, result lines, check lines and errors use it; `--json`
 * output keeps stable English keys and codes.
 */
const LANG: Lang = (() => {
  const i = process.argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  const given = i < 0 ? process.env.MCP_LANG : process.argv[i]!.includes('=') ? process.argv[i]!.slice(7) : process.argv[i + 1];
  return given === 'en' ? 'en' : 'zh-CN';
})();
const lang = (): Lang => LANG;
const t = () => messages(lang());
const zhHelp = LANG === 'zh-CN';

const program = new Command('mcp-platform')
  .configureHelp(
    zhHelp
      ? {
          styleTitle: (s: string) => HELP_TITLES_ZH[s] ?? s,
          optionDescription: (o: Option) => localizeDefaults(Help.prototype.optionDescription.call(new Help(), o)),
          argumentDescription: (a: Argument) => localizeDefaults(Help.prototype.argumentDescription.call(new Help(), a)),
        }
      : {},
  )
  .helpOption('-h, --help', zhHelp ? HELP_ZH['--help'] : 'display help')
  .helpCommand('help [command]', zhHelp ? HELP_ZH.help : 'display help for a command')
  .version(VERSION, '-V, --version', zhHelp ? HELP_ZH['--version'] : 'output the version number')
  .description('mcp-platform — enterprise AI management platform: platform server and operations toolkit')
  .addOption(new Option('--lang <lang>', 'console language').choices(['zh-CN', 'en']))
  .option('--json', 'machine-readable output')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(translateCommanderError(s, LANG)) });

/** commander's "(choices: …)" and "(default: …)" in Chinese. */
function localizeDefaults(text: string): string {
  return text.replace('(choices: ', '（可选值：').replace('(default: ', '（默认：').replace(/\)$/, '）');
}

/** Gives every command, option and argument its zh-CN help text (HELP_ZH), keyed by command path. */
function localizeHelp(cmd: Command, path: string): void {
  const key = (s: string) => (path ? `${path} ${s}` : s);
  const own = HELP_ZH[path];
  if (own) cmd.description(own);
  for (const o of cmd.options) o.description = HELP_ZH[key(o.long ?? o.short ?? '')] ?? o.description;
  for (const a of cmd.registeredArguments) a.description = HELP_ZH[key(`<${a.name()}>`)] ?? a.description;
  for (const c of cmd.commands) localizeHelp(c, key(c.name()));
}

const opts = (): GlobalOptions => program.opts<GlobalOptions>();
let config: Config | undefined;
const cfg = (): Config => (config ??= loadConfig());

function print(human: string, json: unknown): void {
  process.stdout.write(opts().json ? `${JSON.stringify(json)}\n` : `${human}\n`);
}

function showPassword(issued: IssuedPassword, headline: string): void {
  if (opts().json) {
    print('', { username: issued.username, password: issued.oneTime ? issued.password : undefined, oneTime: issued.oneTime });
    return;
  }
  const lines = [headline];
  if (issued.oneTime) lines.push(`${t()['admin.oneTime']} ${issued.password}`);
  else lines.push(t()['admin.preset']);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The backup and restore context over a platform. */
async function backupContext(p: Platform): Promise<BackupOpsContext> {
  return (await import('../app/backupContext.js')).createBackupContext(p);
}

/**
 * Runs `fn` with a platform over the configured database (schema brought up to date first), closing
 * it afterwards. A command that `writes` is refused (exit 1, nothing touched, not even the schema)
 * while a live restore holds the platform in maintenance mode.
 */
async function withPlatform<T>(fn: (p: Platform, migrated: MigrateResult) => Promise<T>, o: { writes?: boolean } = {}): Promise<T> {
  const c = cfg();
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
}

/** Runs a write command's operation audited as `ops.<kind>` under the CLI's actor, like the API's jobs and the scheduler. */
async function audited<T>(p: Platform, kind: string, target: string, run: () => Promise<T>, outcome?: (r: T) => Record<string, unknown>): Promise<T> {
  const [{ runAudited }, { cliActor }] = await Promise.all([import('../ops/audited.js'), import('../services/actor.js')]);
  return runAudited({ audit: p.audit, maintenance: p.maintenance, log: p.log }, { kind, actor: cliActor(), target, outcome }, run);
}

async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!value) throw new UsageError(t()['stdin.empty']);
  return value;
}

program
  .command('serve')
  .description('run the platform (all modules on 8000, or one module on 8001–8006)')
  .addOption(new Option('--only <module>', 'run one module alone').choices([...MODULES]))
  .option('--port <n>', 'listen port', (v) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port: ${v}`);
    return Number(v);
  })
  .action(async (o: { only?: ModuleName; port?: number }) => {
    if (o.only && !AVAILABLE_MODULES.includes(o.only)) throw new UsageError(t()['only.unavailable'](o.only));
    const base = cfg();
    const port = o.port ?? (o.only ? MODULE_PORTS[o.only] : base.port);
    const c: Config = { ...base, port };
    const { startServer } = await import('../server/serve.js');
    const server = await startServer(c, (issued) => showPassword(issued, t()['admin.firstStart']), o.only ? [o.only] : AVAILABLE_MODULES);
    process.stdout.write(`${t()['serve.listening'](server.url)}\n`);
    const stop = (signal: string) => {
      process.stdout.write(`${t()['serve.draining'](signal)}\n`);
      const deadline = setTimeout(() => {
        process.stderr.write(`${t()['serve.shutdownSlow'](c.http.shutdownTimeoutSeconds)}\n`);
        process.exit(1);
      }, (c.http.shutdownDrainSeconds + c.http.shutdownTimeoutSeconds) * 1000);
      deadline.unref();
      server.shutdown().then(
        () => {
          process.stdout.write(`${t()['serve.stopped']}\n`);
          process.exit(0);
        },
        (e: unknown) => {
          process.stderr.write(`${t()['serve.shutdownFailed']((e as Error).message)}\n`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

program
  .command('migrate')
  .description('create or upgrade the database schema')
  .action(async () => {
    const r = await withPlatform(async (_p, migrated) => migrated, { writes: true });
    print(r.applied.length ? t()['migrate.applied'](r.applied.join(', '), r.current ?? '-') : t()['migrate.upToDate'](r.current ?? '-'), r);
  });

const admin = program.command('admin').description('administrator accounts');
const accountCommands = [
  { name: 'create', description: 'create an administrator; prints a one-time password unless --password-stdin', run: 'createAdmin', headline: 'admin.created' },
  {
    name: 'reset-password',
    description: 'set a new password (one-time unless --password-stdin), unlock the account, end its sessions',
    run: 'resetPassword',
    headline: 'admin.reset',
  },
] as const;
for (const cmd of accountCommands) {
  admin
    .command(cmd.name)
    .description(cmd.description)
    .requiredOption('--username <u>', 'username')
    .option('--password-stdin', 'read the password from standard input instead of generating one')
    .action(async (o: { username: string; passwordStdin?: boolean }) => {
      const preset = o.passwordStdin ? await readStdinPassword() : undefined;
      const accounts = await import('../services/user/adminAccounts.js');
      const issued = await withPlatform((p) => accounts[cmd.run](p, o.username, preset), { writes: true });
      showPassword(issued, t()[cmd.headline](issued.username));
    });
}

program
  .command('audit')
  .description('audit log')
  .command('verify')
  .description("check the audit log's hash chain; exit 1 when a row was edited or deleted")
  .action(async () => {
    const v = await withPlatform((p) => p.audit.verify());
    if (opts().json) print('', v);
    else {
      const lines = [v.ok ? t()['audit.ok'](v.checked) : t()['audit.bad'](v.checked, v.problems.length)];
      for (const p of v.problems) lines.push(t()['audit.problem'](p.seq, p.problem, p.message));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (!v.ok) process.exitCode = 1;
  });

/** A one-line progress display on a terminal; nothing otherwise (long work logs its steps). */
function progressPrinter(): ProgressListener | undefined {
  if (!process.stderr.isTTY || opts().json) return undefined;
  return (p) => {
    const eta = p.etaSeconds !== undefined && !p.done ? `  ${t()['progress.eta'](Math.round(p.etaSeconds))}` : '';
    const total = p.total ? ` / ~${formatBytes(p.total)}` : '';
    process.stderr.write(`\r\x1b[K${t()['progress.step'](p.step)}  ${formatBytes(p.bytes)}${total}  ${formatBytes(p.bytesPerSecond)}/s${eta}${p.done ? '\n' : ''}`);
  };
}

/** Seconds a finished backup took, from its catalog row ("1.2"). */
function secondsTaken(row: { started_at: string; finished_at: string | null }): string {
  return row.finished_at ? ((fromDbTime(row.finished_at).getTime() - fromDbTime(row.started_at).getTime()) / 1000).toFixed(1) : '-';
}

const backup = program.command('backup').description('backups (manual §5, §6.2)');
for (const type of ['full', 'schema'] as const) {
  backup
    .command(type)
    .description(type === 'full' ? 'full backup of the platform database now' : 'schema-only backup now')
    .action(async () => {
      const { backupDatabase } = await import('../ops/backup/databaseBackup.js');
      const row = await withPlatform(
        async (p) => audited(p, `backup.${type}`, `backup:${type}`, async () => backupDatabase(await backupContext(p), { type, onProgress: progressPrinter() }), (r) => ({ backup: r.id })),
        { writes: true },
      );
      print(t()['backup.done'](row.id, formatBytes(row.raw_bytes ?? 0), formatBytes(row.stored_bytes ?? 0), secondsTaken(row)), { ...row, manifest: undefined });
    });
}
for (const type of ['config', 'logs'] as const) {
  backup
    .command(type)
    .description(type === 'config' ? 'archive the configuration files (MCP_BACKUP_CONFIG_PATHS)' : 'archive the log directory (MCP_LOG_DIR)')
    .action(async () => {
      const { archiveFiles } = await import('../ops/backup/fileArchive.js');
      const row = await withPlatform(
        async (p) =>
          audited(
            p,
            `backup.${type}`,
            `backup:${type}`,
            async () => archiveFiles(await backupContext(p), type, type === 'config' ? p.config.backup.configPaths : [p.config.logDir], progressPrinter()),
            (r) => ({ backup: r.id }),
          ),
        { writes: true },
      );
      print(t()['backup.done'](row.id, formatBytes(row.raw_bytes ?? 0), formatBytes(row.stored_bytes ?? 0), secondsTaken(row)), { ...row, manifest: undefined });
    });
}
backup
  .command('stream')
  .description('stream the binary log continuously from the server (a daemon; MySQL/MariaDB)')
  .option('--spool <dir>', 'where the active binlog is kept until it rotates (default <data dir>/binlog-spool)')
  .option('--server-id <n>', 'replication server id of the stream (default: a stable random one)', (v) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`--server-id: ${v}`);
    return Number(v);
  })
  .option('--metrics-port <n>', 'serve Prometheus metrics (mcp_backup_stream_*) on this port', (v) => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--metrics-port: ${v}`);
    return Number(v);
  })
  .action(async (o: { spool?: string; serverId?: number; metricsPort?: number }) => {
    const c = cfg();
    const [{ createPlatform, prepareSchema }, { createLogging, loggingConfigFrom }, { registerBinlogStreamMetrics, startBinlogStream }, { Registry }] = await Promise.all([
      import('../app/platform.js'),
      import('../observability/logging.js'),
      import('../ops/backup/binlogStream.js'),
      import('prom-client'),
    ]);
    const p = createPlatform(c, { logging: createLogging({ ...loggingConfigFrom(c, true), console: 'plain' }) });
    try {
      await prepareSchema(p);
      const stream = await startBinlogStream(await backupContext(p), { spoolDir: o.spool ?? join(c.dataDir, 'binlog-spool'), serverIdForStream: o.serverId });
      const registry = new Registry();
      registerBinlogStreamMetrics(registry, stream);
      const metricsServer = o.metricsPort === undefined ? undefined : await serveMetrics(registry, o.metricsPort);
      const report = setInterval(() => {
        const s = stream.status();
        process.stdout.write(`${JSON.stringify({ file: s.currentFile, caughtUp: s.caughtUp, rpoSeconds: s.rpoSeconds, restarts: s.restarts, archived: s.archived.length, gaps: s.gaps })}\n`);
      }, 10_000);
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stream.stop());
      await stream.done;
      clearInterval(report);
      metricsServer?.close();
    } finally {
      await p.close();
    }
  });

/** A bare /metrics endpoint for a daemon that is not the HTTP server. */
async function serveMetrics(registry: Registry, port: number): Promise<Server> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
  return server;
}

backup
  .command('list')
  .description('the catalog: every backup, its state, and the restorable window')
  .action(async () => {
    const { listBackups, restorableWindow } = await import('../ops/backup/catalog.js');
    const rows = await withPlatform(async (p) => listBackups(await backupContext(p)));
    const window = restorableWindow(rows);
    if (opts().json) return print('', { backups: rows.map((r) => ({ ...r, manifest: undefined })), restorableWindow: window ?? null });
    if (!rows.length) return print(t()['backup.none'], []);
    const lines = rows.map((r) =>
      [r.id.padEnd(28), r.type.padEnd(12), r.status.padEnd(9), r.started_at.slice(0, 19), formatBytes(r.stored_bytes ?? 0).padStart(10), (r.locations || '-').padEnd(9), r.verify_result ?? '-', r.safety ? t()['backup.safetyTag'] : ''].join('  ').trimEnd(),
    );
    if (window) lines.push(t()['backup.window'](window.from, window.to, window.pointInTime));
    process.stdout.write(`${lines.join('\n')}\n`);
  });
backup
  .command('verify <id>')
  .description('checksum, decrypt, restore into a scratch database and check it (id or "latest")')
  .action(async (ref: string) => {
    const { verifyBackup } = await import('../ops/backup/verify.js');
    const report = await withPlatform(
      async (p) => audited(p, 'backup.verify', `backup:${ref}`, async () => verifyBackup(await backupContext(p), ref, progressPrinter()), (r) => ({ backup: r.backup, ok: r.ok })),
      { writes: true },
    );
    printVerify(report);
  });
backup
  .command('rebuild-catalog')
  .description('recreate the catalog from the manifests in storage')
  .action(async () => {
    const { rebuildCatalog } = await import('../ops/backup/catalog.js');
    const r = await withPlatform(async (p) => audited(p, 'backup.catalog', 'backup:catalog', async () => rebuildCatalog(await backupContext(p)), (x) => ({ ...x })), { writes: true });
    print(`${r.found} / +${r.added}`, r);
  });

/** `YYYY-MM-DD HH:mm:ss` read as UTC; anything else is a usage error. */
function parseUtc(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19).replace('T', ' ') !== `${m![1]}-${m![2]}-${m![3]} ${m![4]}:${m![5]}:${m![6]}`) {
    throw new UsageError(`--to: "${text}" is not a time "YYYY-MM-DD HH:mm:ss" (UTC)`);
  }
  return d;
}

backup
  .command('incremental')
  .description('rotate the binary log and archive every closed binlog not archived yet (MySQL/MariaDB)')
  .action(async () => {
    const { archiveBinlogs } = await import('../ops/backup/binlogArchive.js');
    const rows = await withPlatform(
      async (p) => audited(p, 'backup.incremental', 'backup:incremental', async () => archiveBinlogs(await backupContext(p)), (r) => ({ archived: r.map((x) => x.id) })),
      { writes: true },
    );
    print(rows.length ? rows.map((r) => `${r.id}  ${formatBytes(r.raw_bytes ?? 0)}  ${r.first_event_at ?? '-'} → ${r.last_event_at ?? '-'}`).join('\n') : '0', rows.map((r) => ({ ...r, manifest: undefined })));
  });

backup
  .command('prune')
  .description('delete backups past their retention without ever breaking a restore chain')
  .option('--dry-run', 'show what would be deleted, delete nothing')
  .action(async (o: { dryRun?: boolean }) => {
    const { pruneBackups } = await import('../ops/backup/retention.js');
    const report = await withPlatform(
      async (p) =>
        o.dryRun
          ? pruneBackups(await backupContext(p), { dryRun: true })
          : audited(p, 'backup.prune', 'backup:prune', async () => pruneBackups(await backupContext(p)), (r) => ({ deleted: r.deleted.map((d) => d.id), kept: r.kept })),
      { writes: !o.dryRun },
    );
    const head = `${report.dryRun ? '[dry-run] ' : ''}${t()['prune.done'](report.deleted.length, report.kept)}`;
    print([head, ...report.deleted.map((d) => `  - ${d.id}: ${d.reason}`)].join('\n'), report);
  });

function printVerify(report: VerifyReport): void {
  if (opts().json) print('', report);
  else {
    const head = report.ok ? t()['verify.ok'](report.backup, (report.durationMs / 1000).toFixed(1)) : t()['verify.bad'](report.backup);
    process.stdout.write(`${[head, ...report.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name}: ${translateCheck(c.detail, lang())}`)].join('\n')}\n`);
  }
  if (!report.ok) process.exitCode = 1;
}

const restore = program
  .command('restore')
  .description('restore a backup (id or "latest") into a new mcp_restore_… database, or into the live one with --force --confirm')
  .argument('[id]', 'backup id or "latest"')
  .option('--to <time>', 'point in time "YYYY-MM-DD HH:mm:ss" (UTC)')
  .option('--target-db <name>', 'restore into this database (MySQL/MariaDB: mcp_restore_NAME, created by the restore; SQLite: MCP_DATA_DIR/restores/NAME.db)')
  .option('--force', 'replace the live database (a safety backup is taken first) or an earlier restore target')
  .option('--confirm <name>', 'the live database name typed again (SQLite: the file name, e.g. mcp_platform.db); required with --force for a live restore')
  .action(async (ref: string | undefined, o: { to?: string; targetDb?: string; force?: boolean; confirm?: string }) => {
    if (!ref) throw new UsageError('restore needs a backup id or "latest" (or: restore test)');
    if (ref === 'test') {
      const { verifyBackup } = await import('../ops/backup/verify.js');
      const report = await withPlatform(
        async (p) => audited(p, 'backup.verify', 'backup:latest', async () => verifyBackup(await backupContext(p), 'latest', progressPrinter()), (r) => ({ backup: r.backup, ok: r.ok })),
        { writes: true },
      );
      return printVerify(report);
    }
    const to = o.to === undefined ? undefined : parseUtc(o.to);
    const [{ restoreBackup }, { recoverInterruptedOperations }, { createJobs }, { cliActor }] = await Promise.all([
      import('../ops/restore/restore.js'),
      import('../ops/restore/recovery.js'),
      import('../ops/jobs.js'),
      import('../services/actor.js'),
    ]);
    const report = await withPlatform(async (p) => {
      await recoverInterruptedOperations(p);
      const ctx = await backupContext(p);
      // a live restore without its confirmation is bad usage: refused before any job is recorded
      // (a point-in-time request on SQLite is refused by the restore itself, with the better reason)
      if (o.targetDb === undefined && !(to && ctx.database.dialect !== 'mysql')) (await import('../ops/restore/targets.js')).requireLiveConfirmation(ctx.database, ctx.dbUrl, o.force, o.confirm);
      const actor = cliActor();
      const jobs = createJobs({ database: p.database, audit: p.audit, log: p.log, clock: p.clock });
      return jobs.run('restore', actor, `backup:${ref}`, (j) =>
        restoreBackup(ctx, {
          ref,
          to,
          targetDb: o.targetDb,
          force: o.force,
          confirm: o.confirm,
          actor,
          job: j.id,
          onProgress: progressPrinter(),
          onStep: (s) => {
            j.step(s);
            if (!opts().json) process.stderr.write(`… ${t()['restore.step'](s)}\n`);
          },
        }),
      );
    });
    if (report.safetyBackup) process.stdout.write(opts().json ? '' : `${t()['restore.safety'](report.safetyBackup)}\n`);
    print(t()['restore.done'](report.backup, report.target, (report.durationMs / 1000).toFixed(1), report.restoredTo), report);
  });
void restore;

function fail(code: number, message: string): never {
  process.stderr.write(`${t()['error.prefix']}: ${message.split('\n')[0]}\n`);
  process.exit(code);
}

if (zhHelp) localizeHelp(program, '');
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) process.exit(0);
    process.exit(2);
  }
  if (e instanceof UsageError) fail(2, translateError(e.message, undefined, lang()));
  if (e instanceof ConfigError) fail(2, `${t()['config.invalid']}: ${e.variable}: ${translateConfigProblem(e.problem, lang())}`);
  if (e instanceof AppError) fail(1, translateError(e.message, e.code, lang()));
  fail(1, translateError((e as Error)?.message ?? String(e), undefined, lang()));
}
