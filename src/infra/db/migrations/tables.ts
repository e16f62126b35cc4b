import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * What every migration's tables share on both dialects: the timestamp column type (DATETIME(3) on
 * MySQL, TEXT on SQLite, both holding UTC `YYYY-MM-DD HH:mm:ss.SSS`) and `createTable` with
 * InnoDB and utf8mb4 on MySQL.
 */
export function tableKit(db: Kysely<unknown>, dialect: Dialect) {
  const options = dialect === 'mysql' ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci` : undefined;
  return {
    ts: dialect === 'mysql' ? sql`datetime(3)` : sql`text`,
    createTable(name: string): CreateTableBuilder<string, never> {
      const b = db.schema.createTable(name);
      return options ? b.modifyEnd(options) : b;
    },
  };
}
