import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Usernames compare exactly on both backends (issue 9 D9): the application stores and looks up
 * one normal form (NFKC, lower case); MySQL's accent- and width-insensitive `utf8mb4_unicode_ci`
 * made `viéwer1` or `ｖｉｅｗｅｒ１` match `viewer1` there while SQLite refused them. The column
 * becomes binary-collated — a NO PAD one where the server has it, so trailing spaces count too.
 *
 * Failed-login counting moves to `login_throttle`, keyed by username whether or not an account
 * has it (issue 9 A4): an unknown name locks like a real one, so a lockout reveals nothing.
 */
export function usernames(dialect: Dialect) {
  const ts = dialect === 'mysql' ? sql`datetime(3)` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      let collation = 'binary';
      if (dialect === 'mysql') {
        const { rows } = await sql<{ name: string }>`select collation_name as name from information_schema.collations
          where collation_name in ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin')`.execute(db);
        const names = rows.map((r) => r.name);
        collation = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin'].find((c) => names.includes(c))!;
        await sql`alter table users modify username varchar(64) character set utf8mb4 collate ${sql.raw(collation)} not null`.execute(db);
      }
      const b = db.schema.createTable('login_throttle');
      await (dialect === 'mysql' ? b.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci`) : b)
        .addColumn('username', dialect === 'mysql' ? sql`varchar(64) character set utf8mb4 collate ${sql.raw(collation)}` : 'varchar(64)', (c) => c.primaryKey().notNull())
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', ts)
        .addColumn('last_failure_at', ts, (c) => c.notNull())
        // attempts reserved and not yet settled (their passwords being checked), and when the newest was reserved
        .addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('pending_at', ts)
        .execute();
      await db.schema.createIndex('idx_login_throttle_last_failure').on('login_throttle').column('last_failure_at').execute();
      await db.schema.alterTable('users').dropColumn('failed_logins').execute();
      await db.schema.alterTable('users').dropColumn('locked_until').execute();
    },
  };
}
