import { Cron } from 'croner';
import type { Logger } from 'pino';
import { scheduleVariable, type Config } from '../config/config.js';
import { AppError } from '../errors/appError.js';
import type { Clock } from '../infra/clock.js';
import type { Database } from '../infra/db/database.js';
import { schedulerActor } from '../services/actor.js';
import type { AuditLog } from '../services/system/contract.js';
import { runAudited } from './audited.js';
import type { BackupOpsContext } from './backup/context.js';
import { claimOnce } from './lease.js';
import type { Maintenance } from './maintenance.js';

/**
 * The scheduler face (manual §5.1, §6.2.1). Modules register their scheduled tasks here with a
 * default schedule (`registerTask`, e.g. ops/backup/schedule.ts); `MCP_SCHEDULE_<TASK>` overrides
 * one (`off` disables it). Every replica running the scheduler role runs the scheduler; a claim
 * per occurrence in the database lets exactly one of them run it. Each run is audited like the
 * same operation started from the API or the CLI (`ops.<task>`, actor `scheduler`); while a live
 * restore holds the platform in maintenance mode an occurrence is skipped (audited as denied, logged).
 */

/** What a scheduled task may use; the scheduler role provides it. A task that needs more adds it here. */
export interface TaskContext {
  config: Config;
  log: Logger;
  database: Database;
  clock: Clock;
  /** The backup and restore context (a new one per call, as each operation had before). */
  backup(): BackupOpsContext;
}

export interface ScheduledTask {
  /**
   * `backup.full`: recorded as `ops.backup.full` on target `backup:full`; overridden by
   * `MCP_SCHEDULE_BACKUP_FULL`. Lower-case words joined by dots.
   */
  name: string;
  /** Default croner pattern (seconds optional), or null: off unless its variable sets one. */
  schedule: string | null;
  /** Runs the occurrence scheduled at `occurrence`; what it returns is the outcome recorded on the audit row. */
  run(ctx: TaskContext, occurrence: Date): Promise<Record<string, unknown>>;
}

const TASK_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const tasks = new Map<string, ScheduledTask>();

/** Registers a scheduled task (at module load); a name registered twice is a programming error. */
export function registerTask(task: ScheduledTask): void {
  if (!TASK_NAME.test(task.name)) throw new Error(`scheduled task name "${task.name}" must be lower-case words joined by dots (backup.full)`);
  if (tasks.has(task.name)) throw new Error(`scheduled task "${task.name}" is registered twice`);
  tasks.set(task.name, task);
}

/** Every registered task, in registration order. */
export function registeredTasks(): readonly ScheduledTask[] {
  return [...tasks.values()];
}

/** Each task's effective pattern: its `MCP_SCHEDULE_*` override when set, else its default (null: off). */
function effectiveSchedules(list: readonly ScheduledTask[], schedules: Config['schedules']): { task: ScheduledTask; pattern: string | null }[] {
  return list.map((task) => {
    const variable = scheduleVariable(task.name);
    return { task, pattern: variable in schedules.overrides ? (schedules.overrides[variable] ?? null) : task.schedule };
  });
}

export interface SchedulerDeps {
  database: Database;
  clock: Clock;
  audit: AuditLog;
  maintenance: Maintenance;
  log: Logger;
  schedules: Config['schedules'];
}

export interface RunningSchedule {
  stop(): void;
  /** The next run of each scheduled (not `off`) task. */
  next(): Record<string, string | null>;
}

/** Claims of past occurrences are kept a day (plenty to outlast any clock skew), then dropped. */
const CLAIM_SECONDS = 86_400;

export function runScheduler(deps: SchedulerDeps, list: readonly ScheduledTask[], context: TaskContext): RunningSchedule {
  const { log } = deps;
  const known = new Set(list.map((t) => scheduleVariable(t.name)));
  for (const variable of Object.keys(deps.schedules.overrides)) {
    if (!known.has(variable)) log.warn({ variable }, 'no scheduled task of this name: the variable is ignored');
  }
  const crons: { name: string; cron: Cron }[] = [];
  for (const { task, pattern } of effectiveSchedules(list, deps.schedules)) {
    if (!pattern) continue;
    const name = task.name;
    const run = async (self: Cron) => {
      // One claim per occurrence: the first replica to claim this scheduled time runs it.
      const occurrence = self.currentRun() ?? new Date();
      const slot = occurrence.toISOString().slice(0, 19);
      if (!(await claimOnce(deps.database, deps.clock, `schedule:${name}@${slot}`, CLAIM_SECONDS))) return;
      const started = Date.now();
      try {
        await runAudited({ audit: deps.audit, maintenance: deps.maintenance, log }, { kind: name, actor: schedulerActor, target: name.replace('.', ':'), outcome: (r) => r }, () =>
          task.run(context, occurrence),
        );
        log.info({ schedule: name, ms: Date.now() - started }, 'scheduled operation done');
      } catch (e) {
        if (e instanceof AppError && e.code === 'MAINTENANCE') log.warn({ schedule: name }, 'scheduled operation skipped: maintenance mode (a live restore is running)');
        else log.error({ schedule: name, err: (e as Error).message }, 'scheduled operation failed');
      }
    };
    crons.push({ name, cron: new Cron(pattern, { protect: true, timezone: deps.schedules.timezone, catch: true }, run) });
  }
  return {
    stop: () => {
      for (const c of crons) c.cron.stop();
    },
    next: () => Object.fromEntries(crons.map((c) => [c.name, c.cron.nextRun()?.toISOString() ?? null])),
  };
}
