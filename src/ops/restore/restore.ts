import { join } from 'node:path';
import { AppError } from '../../errors/appError.js';
import { systemActor, type Actor } from '../../services/actor.js';
import type { AuditLog } from '../../services/system/contract.js';
import type { UserService } from '../../services/user/contract.js';
import { acquireLease, type Lease } from '../lease.js';
import type { Maintenance } from '../maintenance.js';
import type { ProgressListener } from '../progress.js';
import { openArchive, requireKey } from '../backup/archiveReader.js';
import { manifestOf, rebuildCatalog, resolveBackup } from '../backup/catalog.js';
import { backupDatabase, LIVE_RESTORE_LEASE, type DatabaseBackupContext } from '../backup/databaseBackup.js';
import { applyBinlogs, planPointInTime } from './pointInTime.js';
import { adminConnection, copySqlite, extractSqlite, loadIntoMysql } from './loader.js';
import { checkStagedMysql, dropDatabases, newStageName, switchMysql, switchSqlite } from './swap.js';
import { liveDatabase, prepareMysqlTarget, prepareSqliteTarget, requireLiveConfirmation, restoresDir } from './targets.js';
import { primaryTarget, primaryUrl } from '../backup/mysqlTools.js';

/**
 * Restore (SPEC BAK-8, manual §6.6): a full backup (or a point in time) into a database created
 * for restores (`targetDb`, see targets.ts), or — with `force` and the typed confirmation — into
 * the live one. A live restore holds the live-restore lease for its whole run (one at a time, no
 * backup meanwhile), puts the platform in maintenance mode (a flag that lapses if the process
 * dies), takes a safety backup, loads the backup beside the live data and switches atomically
 * (swap.ts), keeping the audit trail and the platform's operations tables as they are, and records
 * itself in the audit log. Reports the measured duration (RTO) and the time restored to.
 */
export interface RestoreOptions {
  ref: string;
  /** Point in time (UTC): the newest full backup before it plus the binlogs up to it. */
  to?: Date;
  targetDb?: string;
  force?: boolean;
  /** The live database's name typed again (SQLite: its file's base name); required for a live restore. */
  confirm?: string;
  /** Who restores (audited); the system when not given. */
  actor?: Actor;
  /** The job running the restore, recorded with the maintenance flag and the audit entry. */
  job?: string;
  /** The restore lease taken already by the caller (the API answers 409 at once); released at the end. */
  lease?: Lease;
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

export type RestoreContext = DatabaseBackupContext & { maintenance: Maintenance; users?: Pick<UserService, 'forget' | 'ids'>; audit?: AuditLog; dataDir: string };

/** Every user's id, through the user module (it owns the table); none when it cannot say. */
async function userIds(ctx: RestoreContext): Promise<number[]> {
  return ctx.users ? ctx.users.ids().catch(() => []) : [];
}

const RENEW_MS = 5_000;

/**
 * The lease of a restore (CONFLICT when taken): one live restore at a time (and no backup
 * meanwhile), one restore per target.
 */
export function takeRestoreLease(ctx: Pick<RestoreContext, 'database' | 'clock'>, targetDb: string | undefined): Promise<Lease> {
  return targetDb === undefined
    ? acquireLease(ctx.database, ctx.clock, LIVE_RESTORE_LEASE, 'a live restore')
    : acquireLease(ctx.database, ctx.clock, `restore:${targetDb}`, `a restore into ${targetDb}`);
}

export async function restoreBackup(ctx: RestoreContext, opts: RestoreOptions): Promise<RestoreReport> {
  const live = opts.targetDb === undefined;
  try {
    if (opts.to && ctx.database.dialect !== 'mysql')
      throw new AppError('INVALID', 'point-in-time restore replays the MySQL/MariaDB binary log; the embedded SQLite database restores whole backups only');
    if (live) requireLiveConfirmation(ctx.database, ctx.dbUrl, opts.force, opts.confirm);
  } catch (e) {
    await opts.lease?.release();
    throw e;
  }
  const lease = opts.lease ?? (await takeRestoreLease(ctx, opts.targetDb));
  try {
    return await underLease(ctx, opts);
  } finally {
    await lease.release().catch(() => {});
  }
}

async function underLease(ctx: RestoreContext, opts: RestoreOptions): Promise<RestoreReport> {
  const started = Date.now();
  const step = opts.onStep ?? (() => {});
  const actor = opts.actor ?? systemActor;
  const live = opts.targetDb === undefined;
  const plan = opts.to ? await planPointInTime(ctx, opts.to, opts.ref === 'latest' ? undefined : opts.ref) : undefined;
  const row = plan?.base ?? (await resolveBackup(ctx, opts.ref));
  if (row.type !== 'full' || row.status !== 'complete')
    throw new AppError('INVALID', `backup ${row.id} is a ${row.status} ${row.type} backup; restore needs a complete full backup`);
  const m = manifestOf(row);
  if (m.source.dialect !== ctx.database.dialect)
    throw new AppError('INVALID', `backup ${row.id} is of a ${m.source.dialect} database; the platform runs on ${ctx.database.dialect}`);
  // The key is checked before anything is touched.
  requireKey(m, ctx.key);

  const liveName = liveDatabase(ctx.database, ctx.dbUrl);
  const mysql = ctx.database.dialect === 'mysql';
  let renew: NodeJS.Timeout | undefined;
  try {
    let target = opts.targetDb ?? liveName;
    let safetyBackup: string | undefined;
    if (live) {
      await step('maintenance-on');
      await ctx.maintenance.enter(`restore of ${row.id}`, { job: opts.job });
      renew = setInterval(() => void ctx.maintenance.renew().catch(() => {}), RENEW_MS);
      renew.unref();
      await step('safety-backup');
      safetyBackup = (await backupDatabase(ctx, { type: 'full', safety: true })).id;
    }
    const usersBefore = live ? await userIds(ctx) : [];
    let bytes = 0;
    let restoredTo = m.startedAt;
    let binlogsApplied: string[] = [];
    const audit = async (trx?: Parameters<AuditLog['record']>[1]) =>
      ctx.audit?.record(
        {
          ...actor,
          action: 'ops.restore.applied',
          target: live ? `database:${liveName}` : `database:${target}`,
          result: 'success',
          details: { backup: row.id, restoredTo, live, safetyBackup, job: opts.job, binlogsApplied: binlogsApplied.length },
        },
        trx,
      );

    if (!mysql) {
      const file = live ? undefined : await prepareSqliteTarget(ctx.database, ctx.dataDir, liveName, opts.targetDb!, { force: opts.force, actor: actor.actor, backupId: row.id });
      await step('load');
      const extracted = await extractSqlite(await openArchive(ctx, row, m), opts.onProgress, m.rawBytes, live ? join(restoresDir(ctx.dataDir), '.staging-') : undefined);
      try {
        if (file) {
          await copySqlite(extracted.file, file, opts.force);
          target = file;
          await audit();
        } else {
          await step('switch');
          await switchSqlite(ctx.database, extracted.file, async (trx) => audit(trx));
        }
      } finally {
        extracted.dispose();
      }
      bytes = m.rawBytes;
    } else {
      const server = primaryTarget(ctx);
      const conn = await adminConnection(server);
      const stage = live ? newStageName(liveName) : undefined;
      try {
        if (stage) await conn.query(`CREATE DATABASE \`${stage}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        else await prepareMysqlTarget(ctx.database, conn, liveName, target, { force: opts.force, actor: actor.actor, backupId: row.id });
        const into = stage ?? target;
        await step('load');
        bytes = await loadIntoMysql(await openArchive(ctx, row, m), primaryUrl(ctx), into, opts.onProgress, m.rawBytes);
        if (plan) {
          await step('binlogs');
          const applied = await applyBinlogs(ctx, plan, into, opts.onProgress);
          restoredTo = applied.lastEventAt ?? restoredTo;
          binlogsApplied = applied.files;
        }
        if (stage) {
          await checkStagedMysql(conn, liveName, stage);
          await step('switch');
          // RENAME TABLE commits on its own: a crash between it and the record below still leaves this trace
          await ctx.audit?.record({
            ...actor,
            action: 'ops.restore.switching',
            target: `database:${liveName}`,
            result: 'success',
            details: { backup: row.id, restoredTo, job: opts.job },
          });
          await switchMysql(conn, liveName, stage);
        }
        await audit();
      } finally {
        if (stage) await dropDatabases(conn, [stage, `${stage}_old`]).catch(() => {});
        await conn.end();
      }
    }
    if (live) {
      await step('catalog');
      // Backups taken since (the catalog is the live one) and any the storage has that it lacks.
      await rebuildCatalog(ctx);
      // Cached views of users (and their permissions) describe the data before the restore.
      const ids = [...new Set([...usersBefore, ...(await userIds(ctx))])];
      await ctx.users?.forget(...ids).catch(() => {});
    }
    return { backup: row.id, target, live, safetyBackup, durationMs: Date.now() - started, bytes, restoredTo, binlogsApplied };
  } finally {
    if (renew) clearInterval(renew);
    if (live) {
      await step('maintenance-off');
      await ctx.maintenance.exit();
    }
  }
}
