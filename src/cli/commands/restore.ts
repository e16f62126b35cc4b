import type { Command } from 'commander';
import { UsageError, type Cli } from '../support.js';
import { printVerify } from './backup.js';

/** `YYYY-MM-DD HH:mm:ss` read as UTC; anything else is a usage error. */
function parseUtc(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  const d = m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19).replace('T', ' ') !== `${m![1]}-${m![2]}-${m![3]} ${m![4]}:${m![5]}:${m![6]}`) {
    throw new UsageError(`--to: "${text}" is not a time "YYYY-MM-DD HH:mm:ss" (UTC)`);
  }
  return d;
}

/** `restore <id>|latest|test`: into a new mcp_restore_… database, or the live one with --force --confirm. */
export function registerRestore(program: Command, cli: Cli): void {
  const { t, withPlatform, audited, backupContext, progressPrinter } = cli;
  program
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
        const { verifyBackup } = await import('../../ops/backup/verify.js');
        const report = await withPlatform(
          async (p) =>
            audited(
              p,
              'backup.verify',
              'backup:latest',
              async () => verifyBackup(await backupContext(p), 'latest', progressPrinter()),
              (r) => ({ backup: r.backup, ok: r.ok }),
            ),
          { writes: true },
        );
        return printVerify(cli, report);
      }
      const to = o.to === undefined ? undefined : parseUtc(o.to);
      const [{ restoreBackup }, { recoverInterruptedOperations }, { createJobs }, { cliActor }] = await Promise.all([
        import('../../ops/restore/restore.js'),
        import('../../ops/restore/recovery.js'),
        import('../../ops/jobs.js'),
        import('../../services/actor.js'),
      ]);
      const report = await withPlatform(async (p) => {
        await recoverInterruptedOperations(p);
        const ctx = await backupContext(p);
        // a live restore without its confirmation is bad usage: refused before any job is recorded
        // (a point-in-time request on SQLite is refused by the restore itself, with the better reason)
        if (o.targetDb === undefined && !(to && ctx.database.dialect !== 'mysql'))
          (await import('../../ops/restore/targets.js')).requireLiveConfirmation(ctx.database, ctx.dbUrl, o.force, o.confirm);
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
              if (!cli.json()) process.stderr.write(`… ${t()['restore.step'](s)}\n`);
            },
          }),
        );
      });
      if (report.safetyBackup) process.stdout.write(cli.json() ? '' : `${t()['restore.safety'](report.safetyBackup)}\n`);
      cli.print(t()['restore.done'](report.backup, report.target, (report.durationMs / 1000).toFixed(1), report.restoredTo), report);
    });
}
