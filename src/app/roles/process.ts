import { join } from 'node:path';
import type { Config, RoleName } from '../../config/config.js';
import { createLogging, loggingConfigFrom } from '../../observability/logging.js';
import { startTracing } from '../../observability/tracing.js';
import { createBackupContext } from '../backupContext.js';
import { recoverInterruptedOperations } from '../../ops/restore/recovery.js';
import { AVAILABLE_MODULES, type ModuleName } from '../../config/modules.js';
import { createPlatform, prepareSchema, type Platform } from '../platform.js';
import { ensureFirstAdmin, type IssuedPassword } from '../../services/user/adminAccounts.js';
import type { RunningRole } from './role.js';
import { createAlerting } from '../alerting.js';
import { monitorRoleDeps, startMonitorRole } from './monitor.js';
import { startRelayRole } from './relay.js';
import { startScheduler } from './scheduler.js';
import { startStreamRole } from './stream.js';
import { localHealthUrl, startWatchdogRole, watchdogRoleDeps } from './watchdog.js';
import { startWebRole, type RunningWeb } from './web.js';

/**
 * How each role starts in a `serve` process, from the wired platform. A new role: a module in this
 * folder with `start…(deps) → RunningRole`, its name in config's AVAILABLE_ROLES, a line here.
 */
const START: Record<RoleName, (p: Platform, o: { modules: readonly ModuleName[] }) => Promise<RunningRole>> = {
  scheduler: async (p) => {
    const scheduler = startScheduler(p);
    p.log.info({ next: scheduler.next() }, 'scheduler started');
    return scheduler;
  },
  stream: (p) => startStreamRole({ backup: createBackupContext(p), spoolDir: join(p.config.dataDir, 'binlog-spool'), registry: p.metrics.registry }),
  watchdog: (p) => startWatchdogRole(watchdogRoleDeps(p, { receive: (payload) => createAlerting(p).alerts.receiveAlertmanager(payload), appHealthUrl: localHealthUrl(p.config) })),
  monitor: (p) => startMonitorRole(monitorRoleDeps(p)),
  web: (p, o) => startWebRole(p, o.modules),
  relay: (p) => {
    const { delivery, escalation } = createAlerting(p);
    return startRelayRole({ bus: p.bus, delivery, escalation, log: p.log, intervalMs: p.config.notify.relayIntervalMs });
  },
};
/** Start order: the web role last, so "listening" means everything else runs. */
const ORDER: readonly RoleName[] = ['scheduler', 'stream', 'relay', 'watchdog', 'monitor', 'web'];

export interface RunningProcess {
  platform: Platform;
  roles: readonly RunningRole[];
  /** The web role, when the process runs it. */
  web: RunningWeb | undefined;
  /** Graceful stop: every role stops (the web role drains), then the platform closes. */
  shutdown(): Promise<void>;
}

/**
 * `serve`: the platform prepared (schema up to date, first administrator, interrupted operations
 * recovered), then the roles of `config.roles` (MCP_ROLES). `announce` receives the first
 * start's one-time admin password, to print once (never logged).
 */
export async function startProcess(config: Config, announce: (issued: IssuedPassword) => void, modules: readonly ModuleName[] = AVAILABLE_MODULES): Promise<RunningProcess> {
  const platform = createPlatform(config, {
    logging: createLogging(loggingConfigFrom(config, true)),
    tracing: await startTracing(process.env, { tracesPerSecond: config.tracesPerSecond }),
    modules,
  });
  const log = platform.log;
  const roles: RunningRole[] = [];
  try {
    await prepareSchema(platform);
    const issued = await ensureFirstAdmin(platform, config.adminPassword);
    if (issued) announce(issued);
    // operations a crash interrupted (a live restore killed half-way) are reported and cleaned up
    await recoverInterruptedOperations(platform);
    for (const name of ORDER.filter((r) => config.roles.includes(r))) roles.push(await START[name](platform, { modules }));
  } catch (e) {
    await Promise.allSettled(roles.map((r) => r.stop()));
    await platform.close();
    throw e;
  }
  log.info({ roles: roles.map((r) => r.name) }, 'roles started');

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      const results = await Promise.allSettled(roles.map((r) => r.stop()));
      for (const r of results) if (r.status === 'rejected') log.warn({ err: (r.reason as Error).message }, 'error while stopping a role');
      log.info('stopped'); // before platform.close(), which flushes and closes the log files
      await platform.close();
    })());
  return { platform, roles, web: roles.find((r): r is RunningWeb => r.name === 'web'), shutdown };
}
