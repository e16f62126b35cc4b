import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { tableKit } from './tables.js';

/**
 * The binlog stream's last reported state (`backup stream` / the stream role runs in its own
 * process): one row, rewritten every report, so the API and the console show it.
 */
export function streamStatus(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const { ts, createTable: table } = tableKit(db, dialect);
      await table('backup_stream_status')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey().notNull())
        .addColumn('holder', 'varchar(255)', (c) => c.notNull())
        .addColumn('reported_at', ts, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
