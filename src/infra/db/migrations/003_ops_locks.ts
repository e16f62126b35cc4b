import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** Leases that let exactly one replica run a scheduled operation at a time. */
export function opsLocks(dialect: Dialect) {
  const ts = dialect === 'mysql' ? sql`datetime(3)` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const b = db.schema.createTable('ops_locks');
      await (dialect === 'mysql' ? b.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci`) : b)
        .addColumn('name', 'varchar(128)', (c) => c.primaryKey().notNull())
        .addColumn('holder', 'varchar(128)', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .execute();
    },
  };
}
