import { AppError } from '../../errors/appError.js';
import type { Cache } from '../../infra/cache/cache.js';
import { principalCacheKey, userCacheKey } from '../../services/user/userService.js';
import type { Maintenance } from '../maintenance.js';
import type { ProgressListener } from '../progress.js';
import { openArchive, requireKey } from '../backup/archiveReader.js';
import { manifestOf, rebuildCatalog, resolveBackup } from '../backup/catalog.js';
import { backupDatabase, type DatabaseBackupContext } from '../backup/databaseBackup.js';
import { parseMysqlUrl } from '../backup/mysqlTools.js';
import { applyBinlogs, planPointInTime } from './pointInTime.js';
import { adminConnection, copySqlite, countTables, extractSqlite, loadIntoMysql, prepareEmptyDatabase } from './loader.js';

/**
 * Restore (SPEC BAK-8, manual §6.6): a full backup into another database (`targetDb`), or — with
 * `force` — into the live one, after a safety backup and with the platform in maintenance mode
 * for the duration. Reports the measured duration (RTO).
 */
export interface RestoreOptions {
  ref: string;
  /** Point in time (UTC): the newest full backup before it plus the binlogs up to it. */
  to?: Date;
  targetDb?: string;
  force?: boolean;
  onProgress?: ProgressListener;
  /** Told each step as it starts (awaited). */
  onStep?: (step: string) => void | Promise<void>;
}

export interface RestoreReport {
  backup: string;
  target: string;
  live: boolean;
  safetyBackup?: string;
  durationMs: number;
  bytes: number;
  /** When the restored data was current: the last replayed event, or the backup's snapshot time. */
  restoredTo: string;
  binlogsApplied: string[];
}

async function userIds(ctx: DatabaseBackupContext): Promise<number[]> {
  return (await ctx.database.db.selectFrom('users').select('id').execute().catch(() => [])).map((r) => r.id);
}

export async function restoreBackup(ctx: DatabaseBackupContext & { maintenance: Maintenance; cache?: Cache }, opts: RestoreOptions): Promise<RestoreReport> {
  const started = Date.now();
  const step = opts.onStep ?? (() => {});
  if (opts.to && ctx.database.dialect !== 'mysql') throw new AppError('INVALID', 'point-in-time restore replays the MySQL/MariaDB binary log; the embedded SQLite database restores whole backups only');
  const plan = opts.to ? await planPointInTime(ctx, opts.to, opts.ref === 'latest' ? undefined : opts.ref) : undefined;
  const row = plan?.base ?? (await resolveBackup(ctx, opts.ref));
  if (row.type !== 'full' || row.status !== 'complete') throw new AppError('INVALID', `backup ${row.id} is a ${row.status} ${row.type} backup; restore needs a complete full backup`);
  const m = manifestOf(row);
  if (m.source.dialect !== ctx.database.dialect) throw new AppError('INVALID', `backup ${row.id} is of a ${m.source.dialect} database; the platform runs on ${ctx.database.dialect}`);
  const live = opts.targetDb === undefined;
  if (live && !opts.force) {
    throw new AppError('INVALID', 'restoring into the live database replaces all of its data; pass --force (a safety backup is taken first), or --target-db NAME to restore elsewhere');
  }
  // The key is checked before anything is touched.
  requireKey(m, ctx.key);

  const liveName = ctx.database.dialect === 'mysql' ? parseMysqlUrl(ctx.dbUrl).database : ctx.database.label.replace(/^sqlite:/, '');
  const target = opts.targetDb ?? liveName;
  if (!live && target === liveName) throw new AppError('INVALID', `--target-db ${target} is the live database; use --force without --target-db to restore it`);

  let safetyBackup: string | undefined;
  if (live) {
    await step('safety-backup');
    safetyBackup = (await backupDatabase(ctx, { type: 'full' })).id;
    await step('maintenance-on');
    await ctx.maintenance.enter(`restore of ${row.id}`);
  }
  const usersBefore = live ? await userIds(ctx) : [];
  let bytes = 0;
  let restoredTo = m.startedAt;
  let binlogsApplied: string[] = [];
  try {
    await step('load');
    const opened = await openArchive(ctx, row, m);
    if (ctx.database.dialect === 'sqlite') {
      const file = await extractSqlite(opened, opts.onProgress, m.rawBytes);
      try {
        await copySqlite(file.file, target);
      } finally {
        file.dispose();
      }
      bytes = m.rawBytes;
    } else {
      const conn = await adminConnection(parseMysqlUrl(ctx.dbUrl));
      try {
        if (!live && !opts.force && (await countTables(conn, target).catch(() => [])).length > 0) {
          throw new AppError('CONFLICT', `database ${target} exists and is not empty; pass --force to replace its contents`);
        }
        await prepareEmptyDatabase(conn, target);
      } finally {
        await conn.end();
      }
      bytes = await loadIntoMysql(opened, ctx.dbUrl, target, opts.onProgress, m.rawBytes);
      if (plan) {
        await step('binlogs');
        const applied = await applyBinlogs(ctx, plan, target, opts.onProgress);
        restoredTo = applied.lastEventAt ?? restoredTo;
        binlogsApplied = applied.files;
      }
    }
    if (live) {
      await step('catalog');
      // The restored catalog is as old as the backup: bring it back in line with storage.
      await rebuildCatalog(ctx);
      // Cached views of users (and their permissions) describe the data before the restore.
      const ids = [...new Set([...usersBefore, ...(await userIds(ctx))])];
      if (ctx.cache && ids.length) await ctx.cache.del(...ids.flatMap((id) => [userCacheKey(id), principalCacheKey(id)])).catch(() => {});
    }
  } finally {
    if (live) {
      await step('maintenance-off');
      await ctx.maintenance.exit();
    }
  }
  return { backup: row.id, target, live, safetyBackup, durationMs: Date.now() - started, bytes, restoredTo, binlogsApplied };
}
