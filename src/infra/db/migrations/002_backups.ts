import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * The backup catalog: one row per backup artefact, mirroring the manifest stored beside it (the
 * catalog can be rebuilt from storage alone).
 */
export function backups(dialect: Dialect) {
  const ts = dialect === 'mysql' ? sql`datetime(3)` : sql`text`;
  const mysqlTable = dialect === 'mysql' ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci` : undefined;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const b = db.schema.createTable('backups');
      await (mysqlTable ? b.modifyEnd(mysqlTable) : b)
        .addColumn('id', 'varchar(128)', (c) => c.primaryKey().notNull())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('finished_at', ts)
        .addColumn('data_key', 'varchar(512)', (c) => c.notNull())
        .addColumn('locations', 'varchar(64)', (c) => c.notNull().defaultTo(''))
        .addColumn('raw_bytes', 'bigint')
        .addColumn('stored_bytes', 'bigint')
        .addColumn('sha256', 'char(64)')
        .addColumn('binlog_file', 'varchar(255)')
        .addColumn('binlog_pos', 'bigint')
        .addColumn('gtid', 'varchar(1024)')
        .addColumn('first_event_at', ts)
        .addColumn('last_event_at', ts)
        .addColumn('server_id', 'bigint')
        .addColumn('key_id', 'varchar(16)')
        .addColumn('verified_at', ts)
        .addColumn('verify_result', 'varchar(16)')
        .addColumn('holder', 'varchar(128)')
        .addColumn('error', 'text')
        .addColumn('manifest', 'text')
        .execute();
      await db.schema.createIndex('idx_backups_type_time').on('backups').columns(['type', 'started_at']).execute();
    },
  };
}
