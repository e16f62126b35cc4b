import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Platform } from '../platform.js';
import { haAlerter } from '../../ops/ha/announce.js';
import { type MonitorDeps, type RunningMonitor, startMonitor } from '../../ops/ha/monitor.js';
import { haConfigFrom } from '../../ops/ha/servers.js';
import { createAlerting } from '../alerting.js';

/**
 * The monitor role (issue 12 item 4): the HA monitor over the configured primary and replicas
 * (MCP_DB_URL, MCP_DB_REPLICA_URLS), checking every MCP_HA_CHECK_INTERVAL_MS and failing over after
 * MCP_HA_FAILURES consecutive failed checks the replicas agree with. Run one per replica host:
 * the lease `ha:monitor` makes exactly one of them act. `ha monitor` runs it alone.
 */
function spooled(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return false;
  }
}

export function monitorRoleDeps(p: Platform, extra: Partial<MonitorDeps> = {}): MonitorDeps {
  return {
    config: haConfigFrom(p.config),
    database: p.database,
    audit: p.audit,
    clock: p.clock,
    log: p.log,
    intervalMs: p.config.haCheckIntervalMs,
    failuresNeeded: p.config.haFailures,
    alert: haAlerter(createAlerting(p).alerts),
    // only with something spooled: replaySpool on an empty spool settles synchronously and its
    // `replaying ??=` memo then keeps that settled promise (a bug reported to the lead), so every
    // later replay would answer 0 without looking
    replaySpool: async () => (spooled(join(p.config.dataDir, 'alert-spool')) ? createAlerting(p).replaySpool() : 0),
    ...extra,
  };
}

export async function startMonitorRole(deps: MonitorDeps): Promise<RunningMonitor> {
  return startMonitor(deps);
}
