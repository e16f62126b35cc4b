import { type DatabaseIntrospector, type Kysely, Migrator, type Migration, type MigrationResult, sql } from 'kysely';
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
import { streamStatus } from './migrations/013_stream_status.js';

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
    '013_stream_status': streamStatus(db.dialect),
  };
}

export interface MigrateResult {
  applied: string[];
  current: string | undefined;
}

/** Brings the schema to the newest version; safe to run concurrently (Kysely's migration lock). */
export async function migrateToLatest(database: Database): Promise<MigrateResult> {
  const migrator = new Migrator({
    db: database.dialect === 'mysql' ? withNameOnlyIntrospection(database.db) : database.db,
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

/**
 * Kysely's migrator asks the introspector whether its two tables exist; on MySQL/MariaDB that is a
 * join over information_schema columns, which builds temporary tables on the server and, on a
 * server holding many schemas, is slow and has failed ("Error on delete of '/tmp/#sql-temptable…'")
 * and once crashed MariaDB. `SHOW TABLES` answers the same question from the schema's directory.
 */
function withNameOnlyIntrospection<DB>(db: Kysely<DB>): Kysely<DB> {
  const introspection = {
    async getSchemas() {
      return [];
    },
    async getTables() {
      const { rows } = await sql<Record<string, string>>`SHOW TABLES`.execute(db);
      return rows.map((r) => ({ name: String(Object.values(r)[0]), isView: false, columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  } as DatabaseIntrospector;
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
