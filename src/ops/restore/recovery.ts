import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import { systemActor } from '../../services/actor.js';
import type { AuditLog } from '../../services/system/contract.js';
import { LIVE_RESTORE_LEASE } from '../backup/databaseBackup.js';
import { parseMysqlUrl } from '../backup/mysqlTools.js';
import { settleInterruptedJobs } from '../jobs.js';
import { leaseHolder } from '../lease.js';
import { adminConnection } from './loader.js';
import { dropDatabases, stagePrefix } from './swap.js';
import { liveDatabase } from './targets.js';

/**
 * Recovery at start (SPEC SEC-6): operations whose process died (kill -9, a crash) are reported and
 * marked failed "interrupted", and what a live restore left beside the live data — a staging
 * database, an extracted file — is removed. The live data itself needs nothing: the switch of a
 * restore is atomic, and its maintenance flag and lease lapse on their own.
 */
export interface Recovery {
  interrupted: { job: string; kind: string }[];
  removed: string[];
}

export async function recoverInterruptedOperations(p: {
  database: Database;
  clock: Clock;
  log: Logger;
  audit: AuditLog;
  config: { dbUrl: string; dataDir: string };
}): Promise<Recovery> {
  const jobs = await settleInterruptedJobs(p.database, p.clock.now());
  for (const j of jobs) {
    p.log.warn({ job: j.id, kind: j.kind, startedAt: j.started_at }, `interrupted ${j.kind} found at start: marked failed`);
    await p.audit.record({ ...systemActor, action: `ops.${j.kind}`, target: j.target, result: 'failure', details: { job: j.id, phase: 'interrupted' } }).catch(() => {});
  }
  const removed: string[] = [];
  // A live restore still running (another process) keeps its staging area.
  if (!(await leaseHolder(p.database, p.clock, LIVE_RESTORE_LEASE))) {
    if (p.database.dialect === 'mysql') {
      const live = liveDatabase(p.database, p.config.dbUrl);
      const conn = await adminConnection(parseMysqlUrl(p.config.dbUrl));
      try {
        const [rows] = (await conn.query('SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?', [
          `${stagePrefix(live).replace(/_/g, '\\_')}%`,
        ])) as unknown as [{ name: string }[]];
        await dropDatabases(
          conn,
          rows.map((r) => r.name),
        );
        removed.push(...rows.map((r) => r.name));
      } finally {
        await conn.end();
      }
    } else {
      const dir = join(p.config.dataDir, 'restores');
      let names: string[] = [];
      try {
        names = readdirSync(dir).filter((n) => n.startsWith('.staging-'));
      } catch {
        // no restores yet
      }
      for (const n of names) rmSync(join(dir, n), { recursive: true, force: true });
      removed.push(...names.map((n) => join(dir, n)));
    }
  }
  if (removed.length) p.log.warn({ removed }, 'removed what an interrupted restore left behind');
  return { interrupted: jobs.map((j) => ({ job: j.id, kind: j.kind })), removed };
}
