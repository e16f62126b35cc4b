#!/usr/bin/env node
import { Command, CommanderError, Help, Option, type Argument } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config.js';
import { AppError } from '../errors/appError.js';
import { HELP_TITLES_ZH, HELP_ZH, translateCommanderError, translateConfigProblem, translateError } from '../i18n/cliText.js';
import { registerAdmin } from './commands/admin.js';
import { registerAlerts } from './commands/alerts.js';
import { registerAudit } from './commands/audit.js';
import { registerBackup } from './commands/backup.js';
import { registerDb } from './commands/db.js';
import { registerDrill } from './commands/drill.js';
import { registerHa } from './commands/ha.js';
import { registerIncidents } from './commands/incidents.js';
import { registerNotify } from './commands/notify.js';
import { registerNotifyOutbox } from './commands/notifyOutbox.js';
import { registerMigrate } from './commands/migrate.js';
import { registerOpenApi } from './commands/openapi.js';
import { registerRestore } from './commands/restore.js';
import { registerServe } from './commands/serve.js';
import { cliLanguage, createCli, UsageError, type GlobalOptions } from './support.js';

/**
 * `mcp-platform <command>` — a thin face: parse, call a core function, print. One file per command
 * group in cli/commands/; this file holds the global options, the language, and the error mapping.
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration.
 * Each command loads only the modules it uses (dynamic imports), so an operations command such
 * as `backup full` starts in a fraction of the time the whole server takes to load.
 */

/** The package's version (package.json sits two levels above both src/cli and dist/cli). */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const LANG = cliLanguage(process.argv, process.env);
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

const cli = createCli(LANG, () => program.opts<GlobalOptions>());
for (const register of [
  registerServe,
  registerMigrate,
  registerAdmin,
  registerAudit,
  registerBackup,
  registerRestore,
  registerAlerts,
  registerIncidents,
  registerNotify,
  registerNotifyOutbox,
  registerDb,
  registerHa,
  registerDrill,
  registerOpenApi,
])
  register(program, cli);

function fail(code: number, message: string): never {
  process.stderr.write(`${cli.t()['error.prefix']}: ${message.split('\n')[0]}\n`);
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
  if (e instanceof UsageError) fail(2, translateError(e.message, undefined, LANG));
  if (e instanceof ConfigError) fail(2, `${cli.t()['config.invalid']}: ${e.variable}: ${translateConfigProblem(e.problem, LANG)}`);
  if (e instanceof AppError) fail(1, translateError(e.message, e.code, LANG));
  fail(1, translateError((e as Error)?.message ?? String(e), undefined, LANG));
}
