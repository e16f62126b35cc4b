import type { Command } from 'commander';
import { HEALTH_CLI_TEXT } from '../../i18n/cliText.js';
import { integerOption, type Cli, UsageError } from '../support.js';
import { alignedTable } from '../table.js';

/** `health [--json] [--timeout MS]` (RES-4): every module's liveness and readiness in one table; exit 1 when one is down. */
export function registerHealth(program: Command, cli: Cli): void {
  program
    .command('health')
    .description("health sweep: every module's /health and /ready at its MCP_SERVICE_URLS address, at once; exit 1 when any is down")
    .option('--timeout <ms>', 'timeout of each request in milliseconds (default 2000)', integerOption('--timeout', 10_000))
    .action(async (o: { timeout?: number }) => {
      if (o.timeout !== undefined && o.timeout < 100) throw new UsageError(`--timeout: ${o.timeout} (at least 100)`);
      const { sweepModules } = await import('../../ops/health/sweep.js');
      const sweep = await sweepModules(cli.config().services, { timeoutMs: o.timeout ?? 2000 });
      if (cli.json()) cli.print('', sweep);
      else {
        const t = HEALTH_CLI_TEXT[cli.lang];
        const rows = sweep.modules.map((m) => [m.module, m.url, t.state(m.state), t.probe(m.live), t.probe(m.ready)]);
        const bad = sweep.modules.filter((m) => m.state === 'down' || m.state === 'not-ready').length;
        const counted = sweep.modules.filter((m) => m.state !== 'not-available').length;
        process.stdout.write(`${[...alignedTable([[...t.header], ...rows]), t.summary(bad, counted)].join('\n')}\n`);
      }
      if (!sweep.ok) process.exitCode = 1;
    });
}
