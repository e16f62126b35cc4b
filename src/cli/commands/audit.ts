import type { Command } from 'commander';
import type { Cli } from '../support.js';

/** `audit verify`: check the audit log's hash chain. */
export function registerAudit(program: Command, cli: Cli): void {
  const { t } = cli;
  program
    .command('audit')
    .description('audit log')
    .command('verify')
    .description("check the audit log's hash chain; exit 1 when a row was edited or deleted")
    .action(async () => {
      const v = await cli.withPlatform((p) => p.audit.verify());
      if (cli.json()) cli.print('', v);
      else {
        const lines = [v.ok ? t()['audit.ok'](v.checked) : t()['audit.bad'](v.checked, v.problems.length)];
        for (const p of v.problems) lines.push(t()['audit.problem'](p.seq, p.problem, p.message));
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!v.ok) process.exitCode = 1;
    });
}
