import { Cron } from 'croner';
import type { ScheduleName } from '../config/config.js';
import type { Platform } from '../app/platform.js';
import { AppError } from '../errors/appError.js';
import { schedulerActor } from '../services/actor.js';
import { runAudited } from './audited.js';
import { archiveBinlogs } from './backup/binlogArchive.js';
import { createBackupContext } from '../app/backupContext.js';
import { backupDatabase } from './backup/databaseBackup.js';
import { archiveFiles } from './backup/fileArchive.js';
import { pruneBackups } from './backup/retention.js';
import { claimOnce } from './lease.js';

/**
 * The scheduler face (manual §5.1, §6.2.1): full backup daily at 02:00, binlogs hourly, schema and
 * config weekly, logs and retention daily — all configurable. Every replica runs the scheduler;
 * a database lease lets exactly one of them run each occurrence. Each run is audited like the same
 * operation started from the API or the CLI (`ops.backup.full` …, actor `scheduler`); while a live
 * restore holds the platform in maintenance mode an occurrence is skipped (audited as denied, logged).
 */
export interface Scheduler {
  stop(): void;
  next(): Record<string, string | null>;
}

/** Claims of past occurrences are kept a day (plenty to outlast any clock skew), then dropped. */
const CLAIM_SECONDS = 86_400;

function claimOccurrence(platform: Platform, name: string): Promise<boolean> {
  return claimOnce(platform.database, platform.clock, name, CLAIM_SECONDS);
}

export function startScheduler(platform: Platform): Scheduler {
  const { config, log } = platform;
  const ctx = () => createBackupContext(platform);
  // Each operation, and what its audit row says about the outcome (as the CLI's rows do).
  const backupId = (r: { id: string }) => ({ backup: r.id });
  const operations: Record<ScheduleName, () => Promise<Record<string, unknown>>> = {
    'backup.full': async () => backupId(await backupDatabase(ctx(), { type: 'full' })),
    'backup.incremental': async () => ({ archived: platform.database.dialect === 'mysql' ? (await archiveBinlogs(ctx())).map((r) => r.id) : [] }),
    'backup.schema': async () => backupId(await backupDatabase(ctx(), { type: 'schema' })),
    'backup.config': async () => backupId(await archiveFiles(ctx(), 'config', config.backup.configPaths)),
    'backup.logs': async () => backupId(await archiveFiles(ctx(), 'logs', [config.logDir])),
    'backup.prune': async () => {
      const r = await pruneBackups(ctx());
      return { deleted: r.deleted.map((d) => d.id), kept: r.kept };
    },
  };
  const crons: { name: ScheduleName; cron: Cron }[] = [];
  for (const [name, pattern] of Object.entries(config.schedules.jobs) as [ScheduleName, string | null][]) {
    if (!pattern) continue;
    const run = async (self: Cron) => {
      // One lease per occurrence: the first replica to claim this scheduled time runs it.
      const slot = (self.currentRun() ?? new Date()).toISOString().slice(0, 19);
      if (!(await claimOccurrence(platform, `schedule:${name}@${slot}`))) return;
      const started = Date.now();
      try {
        await runAudited({ audit: platform.audit, maintenance: platform.maintenance, log }, { kind: name, actor: schedulerActor, target: name.replace('.', ':'), outcome: (r) => r }, operations[name]);
        log.info({ schedule: name, ms: Date.now() - started }, 'scheduled operation done');
      } catch (e) {
        if (e instanceof AppError && e.code === 'MAINTENANCE') log.warn({ schedule: name }, 'scheduled operation skipped: maintenance mode (a live restore is running)');
        else log.error({ schedule: name, err: (e as Error).message }, 'scheduled operation failed');
      }
    };
    crons.push({ name, cron: new Cron(pattern, { protect: true, timezone: config.schedules.timezone, catch: true }, run) });
  }
  return {
    stop: () => crons.forEach((c) => c.cron.stop()),
    next: () => Object.fromEntries(crons.map((c) => [c.name, c.cron.nextRun()?.toISOString() ?? null])),
  };
}
