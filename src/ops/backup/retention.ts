import { fromDbTime } from '../../infra/db/time.js';
import { seqOf } from './binlogFile.js';
import type { BackupType } from './catalog.js';
import { listBackups, manifestKey, type BackupContext, type BackupRow } from './catalog.js';

/**
 * Retention (SPEC BAK-9) that never breaks a restore: per-type ages (manual: full 30 d,
 * incremental/binlog 7 d, schema/config 90 d, logs 30 d), except that
 * - the newest complete full backup and the newest verified one are always kept;
 * - point-in-time recovery stays possible over the whole binlog window: the newest full backup taken
 *   before the window starts is kept, with every binlog from its coordinates on;
 * - failed attempts are removed after a day (their catalog rows too).
 */
export interface PruneDecision {
  id: string;
  type: BackupType;
  action: 'delete' | 'keep';
  reason: string;
}

export interface PruneReport {
  dryRun: boolean;
  deleted: PruneDecision[];
  kept: number;
}

const DAY = 86_400_000;

export function planRetention(rows: BackupRow[], retentionDays: Record<BackupType, number>, now: Date): PruneDecision[] {
  const age = (r: BackupRow) => now.getTime() - fromDbTime(r.started_at).getTime();
  const fulls = rows.filter((r) => r.type === 'full' && r.status === 'complete');
  const newestFull = fulls.at(-1);
  const newestVerified = fulls.filter((r) => r.verify_result === 'passed').at(-1);
  const binlogWindow = Math.max(retentionDays.binlog, retentionDays.incremental) * DAY;
  // The full backup the oldest point of the binlog window restores from.
  const windowBase = fulls.filter((r) => age(r) > binlogWindow && r.binlog_file).at(-1);
  const neededFrom = new Map<number, number>();
  for (const f of fulls.filter((r) => r.binlog_file && (r === windowBase || age(r) <= binlogWindow))) {
    const sid = Number(f.server_id);
    const seq = seqOf(f.binlog_file);
    if (!neededFrom.has(sid) || seq < neededFrom.get(sid)!) neededFrom.set(sid, seq);
  }
  return rows.map((r): PruneDecision => {
    const d = (action: 'delete' | 'keep', reason: string): PruneDecision => ({ id: r.id, type: r.type, action, reason });
    if (r.status === 'running') return d('keep', 'running');
    if (r.status === 'failed') return age(r) > DAY ? d('delete', 'failed attempt older than a day') : d('keep', 'recent failed attempt');
    const limit = retentionDays[r.type] * DAY;
    if (r.type === 'full') {
      if (r === newestFull) return d('keep', 'newest full backup');
      if (r === newestVerified) return d('keep', 'newest verified full backup');
      if (r === windowBase) return d('keep', 'base of the point-in-time window');
      return age(r) > limit ? d('delete', `older than ${retentionDays.full} days`) : d('keep', 'within retention');
    }
    if (r.type === 'incremental' || r.type === 'binlog') {
      const from = neededFrom.get(Number(r.server_id));
      if (from !== undefined && seqOf(r.binlog_file) >= from) return d('keep', 'needed to replay from a kept full backup');
      return age(r) > limit ? d('delete', `older than ${retentionDays[r.type]} days and needed by no kept full backup`) : d('keep', 'within retention');
    }
    return age(r) > limit ? d('delete', `older than ${retentionDays[r.type]} days`) : d('keep', 'within retention');
  });
}

export async function pruneBackups(ctx: BackupContext & { retentionDays: Record<BackupType, number> }, opts: { dryRun?: boolean } = {}): Promise<PruneReport> {
  const rows = await listBackups(ctx);
  const plan = planRetention(rows, ctx.retentionDays, ctx.clock.now());
  const deleted = plan.filter((p) => p.action === 'delete');
  if (!opts.dryRun) {
    for (const p of deleted) {
      const row = rows.find((r) => r.id === p.id)!;
      for (const s of [ctx.local, ctx.remote]) {
        if (!s) continue;
        await s.delete(row.data_key);
        await s.delete(manifestKey(row.data_key));
      }
      await ctx.database.db.deleteFrom('backups').where('id', '=', p.id).execute();
      ctx.log.info({ backup: p.id, reason: p.reason }, 'backup pruned');
    }
  }
  return { dryRun: !!opts.dryRun, deleted, kept: plan.length - deleted.length };
}
