import type { Command } from 'commander';
import type { Cli } from '../support.js';

/** `migrate`: create or upgrade the schema; prints what it applied. */
export function registerMigrate(program: Command, cli: Cli): void {
  const { t } = cli;
  program
    .command('migrate')
    .description('create or upgrade the database schema')
    .action(async () => {
      const r = await cli.withPlatform(async (_p, migrated) => migrated, { writes: true });
      cli.print(r.applied.length ? t()['migrate.applied'](r.applied.join(', '), r.current ?? '-') : t()['migrate.upToDate'](r.current ?? '-'), r);
    });
}
