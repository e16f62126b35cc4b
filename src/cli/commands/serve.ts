import { Option, type Command } from 'commander';
import type { Config } from '../../config/config.js';
import { AVAILABLE_MODULES, MODULES, MODULE_PORTS, type ModuleName } from '../../config/modules.js';
import { integerOption, UsageError, type Cli } from '../support.js';

/** `serve`: run the roles of MCP_ROLES (default web, scheduler) until SIGTERM/SIGINT, then drain gracefully. */
export function registerServe(program: Command, cli: Cli): void {
  const { t } = cli;
  program
    .command('serve')
    .description('run the platform (all modules on 8000, or one module on 8001–8006)')
    .addOption(new Option('--only <module>', 'run one module alone').choices([...MODULES]))
    .option('--port <n>', 'listen port', integerOption('--port', 65535))
    .action(async (o: { only?: ModuleName; port?: number }) => {
      if (o.only && !AVAILABLE_MODULES.includes(o.only)) throw new UsageError(t()['only.unavailable'](o.only));
      const base = cli.config();
      const port = o.port ?? (o.only ? MODULE_PORTS[o.only] : base.port);
      const c: Config = { ...base, port };
      const { startProcess } = await import('../../app/roles/process.js');
      const server = await startProcess(c, (issued) => cli.showPassword(issued, t()['admin.firstStart']), o.only ? [o.only] : AVAILABLE_MODULES);
      const stop = (signal: string) => {
        process.stdout.write(`${t()['serve.draining'](signal)}\n`);
        const deadline = setTimeout(
          () => {
            process.stderr.write(`${t()['serve.shutdownSlow'](c.http.shutdownTimeoutSeconds)}\n`);
            process.exit(1);
          },
          (c.http.shutdownDrainSeconds + c.http.shutdownTimeoutSeconds) * 1000,
        );
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
      // announced once the signals are handled: a supervisor may stop the process as soon as it reads this line
      // without the web role (MCP_ROLES=scheduler …) the process runs its roles and serves no HTTP
      process.stdout.write(`${server.web ? t()['serve.listening'](server.web.url) : t()['serve.running'](server.roles.map((r) => r.name).join(', '))}\n`);
    });
}
