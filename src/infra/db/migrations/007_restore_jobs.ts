import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { tableKit } from './tables.js';

/**
 * Durable jobs (long operations survive a restart and are visible from every replica), the record
 * of the databases the platform created for restores (a restore never writes into a database it
 * did not create), and the mark of safety backups (never picked by `restore latest`).
 */
export function restoreJobs(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const { ts, createTable: table } = tableKit(db, dialect);
      await table('jobs')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey().notNull())
        .addColumn('kind', 'varchar(64)', (c) => c.notNull())
        .addColumn('actor', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(255)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('step', 'varchar(64)')
        .addColumn('progress', 'text')
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('finished_at', ts)
        .addColumn('heartbeat_at', ts, (c) => c.notNull())
        .addColumn('holder', 'varchar(128)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('idx_jobs_started').on('jobs').column('started_at').execute();
      await db.schema.createIndex('idx_jobs_status').on('jobs').column('status').execute();

      await table('restore_targets')
        .addColumn('name', 'varchar(255)', (c) => c.primaryKey().notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('backup_id', 'varchar(128)')
        .execute();

      await db.schema
        .alterTable('backups')
        .addColumn('safety', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
