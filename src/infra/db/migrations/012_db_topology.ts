import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { tableKit } from './tables.js';

/**
 * The published database topology (issue 12): one row per change, the epoch rising by one each
 * time. Written on the new primary at the end of a switchover or failover, so it replicates to
 * every server; the newest row is the current topology.
 */
export function dbTopology(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const { ts, createTable: table } = tableKit(db, dialect);
      await table('db_topology')
        .addColumn('epoch', 'integer', (c) => c.primaryKey().notNull())
        .addColumn('primary_server', 'varchar(255)', (c) => c.notNull())
        // JSON array of host:port
        .addColumn('replicas', 'text', (c) => c.notNull())
        .addColumn('changed_at', ts, (c) => c.notNull())
        .addColumn('changed_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('reason', 'varchar(255)', (c) => c.notNull())
        .execute();
    },
  };
}
