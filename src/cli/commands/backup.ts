import type { Command } from 'commander';
import { join } from 'node:path';
import { translateCheck } from '../../i18n/cliText.js';
import { fromDbTime } from '../../infra/db/time.js';
import type { VerifyReport } from '../../ops/backup/verify.js';
import { formatBytes } from '../../ops/progress.js';
import { integerOption, type Cli } from '../support.js';

/** Seconds a finished backup took, from its catalog row ("1.2"). */
function secondsTaken(row: { started_at: string; finished_at: string | null }): string {
  return row.finished_at ? ((fromDbTime(row.finished_at).getTime() - fromDbTime(row.started_at).getTime()) / 1000).toFixed(1) : '-';
}

/** A verification's checks, one line each (or the report with `--json`); exit 1 when it failed. */
export function printVerify(cli: Cli, report: VerifyReport): void {
  const { t } = cli;
  if (cli.json()) cli.print('', report);
  else {
    const head = report.ok ? t()['verify.ok'](report.backup, (report.durationMs / 1000).toFixed(1)) : t()['verify.bad'](report.backup);
    process.stdout.write(`${[head, ...report.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name}: ${translateCheck(c.detail, cli.lang)}`)].join('\n')}\n`);
  }
  if (!report.ok) process.exitCode = 1;
}

/** `backup full|schema|config|logs|stream|list|verify|rebuild-catalog|incremental|prune`. */
export function registerBackup(program: Command, cli: Cli): void {
  const { t, withPlatform, audited, backupContext, progressPrinter } = cli;
  const backup = program.command('backup').description('backups (manual §5, §6.2)');
  for (const type of ['full', 'schema'] as const) {
    backup
      .command(type)
      .description(type === 'full' ? 'full backup of the platform database now' : 'schema-only backup now')
      .action(async () => {
        const { backupDatabase } = await import('../../ops/backup/databaseBackup.js');
        const row = await withPlatform(
          async (p) =>
            audited(
              p,
              `backup.${type}`,
              `backup:${type}`,
              async () => backupDatabase(await backupContext(p), { type, onProgress: progressPrinter() }),
              (r) => ({ backup: r.id }),
            ),
          { writes: true },
        );
        cli.print(t()['backup.done'](row.id, formatBytes(row.raw_bytes ?? 0), formatBytes(row.stored_bytes ?? 0), secondsTaken(row)), { ...row, manifest: undefined });
      });
  }
  for (const type of ['config', 'logs'] as const) {
    backup
      .command(type)
      .description(type === 'config' ? 'archive the configuration files (MCP_BACKUP_CONFIG_PATHS)' : 'archive the log directory (MCP_LOG_DIR)')
      .action(async () => {
        const { archiveFiles } = await import('../../ops/backup/fileArchive.js');
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
        cli.print(t()['backup.done'](row.id, formatBytes(row.raw_bytes ?? 0), formatBytes(row.stored_bytes ?? 0), secondsTaken(row)), { ...row, manifest: undefined });
      });
  }
  backup
    .command('stream')
    .description('stream the binary log continuously from the server (a daemon; MySQL/MariaDB)')
    .option('--spool <dir>', 'where the active binlog is kept until it rotates (default <data dir>/binlog-spool)')
    .option('--server-id <n>', 'replication server id of the stream (default: a stable random one)', integerOption('--server-id'))
    .option('--metrics-port <n>', 'serve Prometheus metrics (mcp_backup_stream_*) on this port', integerOption('--metrics-port', 65535))
    .action(async (o: { spool?: string; serverId?: number; metricsPort?: number }) => {
      // the stream role alone, whatever MCP_ROLES says: this command names its role
      const c = cli.config();
      const [{ createPlatform, prepareSchema }, { createLogging, loggingConfigFrom }, { startStreamRole }] = await Promise.all([
        import('../../app/platform.js'),
        import('../../observability/logging.js'),
        import('../../app/roles/stream.js'),
      ]);
      const p = createPlatform(c, { logging: createLogging({ ...loggingConfigFrom(c, true), console: 'plain' }) });
      try {
        await prepareSchema(p);
        const stream = await startStreamRole({
          backup: await backupContext(p),
          spoolDir: o.spool ?? join(c.dataDir, 'binlog-spool'),
          serverId: o.serverId,
          metricsPort: o.metricsPort,
          report: (s) =>
            process.stdout.write(
              `${JSON.stringify({ source: s.source, serverId: s.sourceServerId, file: s.currentFile, caughtUp: s.caughtUp, rpoSeconds: s.rpoSeconds, restarts: s.restarts, archived: s.archived.length, gaps: s.gaps, switches: s.switches })}\n`,
            ),
        });
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stream.stop());
        await stream.done;
      } finally {
        await p.close();
      }
    });
  backup
    .command('list')
    .description('the catalog: every backup, its state, and the restorable window')
    .action(async () => {
      const { listBackups, restorableWindow } = await import('../../ops/backup/catalog.js');
      const rows = await withPlatform(async (p) => listBackups(await backupContext(p)));
      const window = restorableWindow(rows);
      if (cli.json()) return cli.print('', { backups: rows.map((r) => ({ ...r, manifest: undefined })), restorableWindow: window ?? null });
      if (!rows.length) return cli.print(t()['backup.none'], []);
      const lines = rows.map((r) =>
        [
          r.id.padEnd(28),
          r.type.padEnd(12),
          r.status.padEnd(9),
          r.started_at.slice(0, 19),
          formatBytes(r.stored_bytes ?? 0).padStart(10),
          (r.locations || '-').padEnd(9),
          r.verify_result ?? '-',
          r.safety ? t()['backup.safetyTag'] : '',
        ]
          .join('  ')
          .trimEnd(),
      );
      if (window) lines.push(t()['backup.window'](window.from, window.to, window.pointInTime));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  backup
    .command('verify <id>')
    .description('checksum, decrypt, restore into a scratch database and check it (id or "latest")')
    .action(async (ref: string) => {
      const { verifyBackup } = await import('../../ops/backup/verify.js');
      const report = await withPlatform(
        async (p) =>
          audited(
            p,
            'backup.verify',
            `backup:${ref}`,
            async () => verifyBackup(await backupContext(p), ref, progressPrinter()),
            (r) => ({ backup: r.backup, ok: r.ok }),
          ),
        { writes: true },
      );
      printVerify(cli, report);
    });
  backup
    .command('rebuild-catalog')
    .description('recreate the catalog from the manifests in storage')
    .action(async () => {
      const { rebuildCatalog } = await import('../../ops/backup/catalog.js');
      const r = await withPlatform(
        async (p) =>
          audited(
            p,
            'backup.catalog',
            'backup:catalog',
            async () => rebuildCatalog(await backupContext(p)),
            (x) => ({ ...x }),
          ),
        { writes: true },
      );
      cli.print(`${r.found} / +${r.added}`, r);
    });
  backup
    .command('incremental')
    .description('rotate the binary log and archive every closed binlog not archived yet (MySQL/MariaDB)')
    .action(async () => {
      const { archiveBinlogs } = await import('../../ops/backup/binlogArchive.js');
      const rows = await withPlatform(
        async (p) =>
          audited(
            p,
            'backup.incremental',
            'backup:incremental',
            async () => archiveBinlogs(await backupContext(p)),
            (r) => ({ archived: r.map((x) => x.id) }),
          ),
        { writes: true },
      );
      cli.print(
        rows.length ? rows.map((r) => `${r.id}  ${formatBytes(r.raw_bytes ?? 0)}  ${r.first_event_at ?? '-'} → ${r.last_event_at ?? '-'}`).join('\n') : '0',
        rows.map((r) => ({ ...r, manifest: undefined })),
      );
    });
  backup
    .command('prune')
    .description('delete backups past their retention without ever breaking a restore chain')
    .option('--dry-run', 'show what would be deleted, delete nothing')
    .action(async (o: { dryRun?: boolean }) => {
      const { pruneBackups } = await import('../../ops/backup/retention.js');
      const report = await withPlatform(
        async (p) =>
          o.dryRun
            ? pruneBackups(await backupContext(p), { dryRun: true })
            : audited(
                p,
                'backup.prune',
                'backup:prune',
                async () => pruneBackups(await backupContext(p)),
                (r) => ({ deleted: r.deleted.map((d) => d.id), kept: r.kept }),
              ),
        { writes: !o.dryRun },
      );
      const head = `${report.dryRun ? '[dry-run] ' : ''}${t()['prune.done'](report.deleted.length, report.kept)}`;
      cli.print([head, ...report.deleted.map((d) => `  - ${d.id}: ${d.reason}`)].join('\n'), report);
    });
}
