import { Migrator, type Migration, type MigrationResult } from 'kysely';
import type { Database } from './database.js';
import { foundation } from './migrations/001_foundation.js';
import { backups } from './migrations/002_backups.js';
import { opsLocks } from './migrations/003_ops_locks.js';
import { splitOpsPermissions } from './migrations/004_split_ops_permissions.js';
import { usernames } from './migrations/005_usernames.js';
import { auditAnchor } from './migrations/006_audit_anchor.js';
import { restoreJobs } from './migrations/007_restore_jobs.js';
import { incidents } from './migrations/008_incidents.js';
import { alerts } from './migrations/009_alerts.js';
import { notifyConfig } from './migrations/010_notify_config.js';
import { notifyOutbox } from './migrations/011_notify_outbox.js';
import { dbTopology } from './migrations/012_db_topology.js';

/** Every migration in order; names never change once released. */
function migrations(db: Database): Record<string, Migration> {
  return {
    '001_foundation': foundation(db.dialect),
    '002_backups': backups(db.dialect),
    '003_ops_locks': opsLocks(db.dialect),
    '004_split_ops_permissions': splitOpsPermissions(),
    '005_usernames': usernames(db.dialect),
    '006_audit_anchor': auditAnchor(),
    '007_restore_jobs': restoreJobs(db.dialect),
    '008_incidents': incidents(db.dialect),
    '009_alerts': alerts(db.dialect),
    '010_notify_config': notifyConfig(db.dialect),
    '011_notify_outbox': notifyOutbox(db.dialect),
    '012_db_topology': dbTopology(db.dialect),
  };
}

export interface MigrateResult {
  applied: string[];
  current: string | undefined;
}

/** Brings the schema to the newest version; safe to run concurrently (Kysely's migration lock). */
export async function migrateToLatest(database: Database): Promise<MigrateResult> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations(database) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    // A migration numbered below one already applied (parallel branches merged, e.g. 005 after 006)
    // is applied too, instead of refusing to start; each migration is independent of the later ones.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  if (error) throw error;
  const all = await migrator.getMigrations();
  const done = all.filter((m) => m.executedAt !== undefined);
  return { applied, current: done[done.length - 1]?.name };
}
