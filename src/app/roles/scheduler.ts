import { createBackupContext } from '../backupContext.js';
import { registeredTasks, runScheduler, type ScheduledTask } from '../../ops/scheduler.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from './role.js';
// The modules whose scheduled tasks this process runs: each registers its own on import.
import '../../ops/backup/schedule.js';

export interface Scheduler extends RunningRole {
  /** The next run of each scheduled (not `off`) task. */
  next(): Record<string, string | null>;
}

/**
 * The scheduler role: every registered task on its schedule (one replica per occurrence). The
 * scheduler itself gets narrow dependencies; the tasks get their context (ops/scheduler.ts).
 */
export function startScheduler(platform: Platform, tasks: readonly ScheduledTask[] = registeredTasks()): Scheduler {
  const { config, database, clock, audit, maintenance, log } = platform;
  const scheduler = runScheduler({ database, clock, audit, maintenance, log, schedules: config.schedules }, tasks, {
    config,
    log,
    database,
    clock,
    backup: () => createBackupContext(platform),
  });
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  return {
    name: 'scheduler',
    next: () => scheduler.next(),
    done,
    async stop() {
      scheduler.stop();
      stopped();
    },
  };
}
