import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Users, RBAC, sessions, login log, audit log with its hash-chain head, settings.
 * Written once for both dialects; `ts` is DATETIME(3) on MySQL and TEXT on SQLite, both holding
 * UTC `YYYY-MM-DD HH:mm:ss.SSS`.
 */
export function foundation(dialect: Dialect) {
  const ts = dialect === 'mysql' ? sql`datetime(3)` : sql`text`;
  const mysqlTable = dialect === 'mysql' ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci` : undefined;

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const table = (name: string) => {
        const b = db.schema.createTable(name);
        return mysqlTable ? b.modifyEnd(mysqlTable) : b;
      };

      await table('users')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('email', 'varchar(254)', (c) => c.notNull())
        .addColumn('display_name', 'varchar(128)')
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('active'))
        .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', ts)
        .addColumn('last_login_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      // Manual §7.1: idx_username, idx_email — unique, since both identify a user.
      await db.schema.createIndex('idx_username').on('users').column('username').unique().execute();
      await db.schema.createIndex('idx_email').on('users').column('email').unique().execute();

      await table('roles')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .addColumn('builtin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await table('permissions')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .execute();

      await table('role_permissions')
        .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        .addColumn('permission_id', 'integer', (c) => c.notNull().references('permissions.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('pk_role_permissions', ['role_id', 'permission_id'])
        .execute();

      await table('user_roles')
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('pk_user_roles', ['user_id', 'role_id'])
        .execute();
      await db.schema.createIndex('idx_user_roles_role').on('user_roles').column('role_id').execute();

      await table('refresh_tokens')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey().notNull())
        .addColumn('family_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_hash', 'char(64)', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('replaced_by', 'varchar(32)')
        .addColumn('revoked_at', ts)
        .addColumn('revoke_reason', 'varchar(32)')
        .addColumn('ip', 'varchar(64)')
        .addColumn('user_agent', 'varchar(255)')
        .execute();
      await db.schema.createIndex('idx_refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
      await db.schema.createIndex('idx_refresh_tokens_user').on('refresh_tokens').column('user_id').execute();

      await table('login_log')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('user_id', 'integer')
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('ip', 'varchar(64)')
        .addColumn('user_agent', 'varchar(255)')
        .addColumn('success', 'integer', (c) => c.notNull())
        .addColumn('reason', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('idx_login_log_user_time').on('login_log').columns(['username', 'created_at']).execute();
      await db.schema.createIndex('idx_login_log_time').on('login_log').column('created_at').execute();

      await table('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey().notNull())
        .addColumn('ts', ts, (c) => c.notNull())
        .addColumn('actor_id', 'integer')
        .addColumn('actor', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(255)')
        .addColumn('ip', 'varchar(64)')
        .addColumn('result', 'varchar(16)', (c) => c.notNull())
        .addColumn('details', 'text')
        .addColumn('prev_hash', 'char(64)', (c) => c.notNull())
        .addColumn('hash', 'char(64)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('idx_audit_log_ts').on('audit_log').column('ts').execute();
      await db.schema.createIndex('idx_audit_log_action').on('audit_log').columns(['action', 'ts']).execute();

      await table('audit_chain')
        .addColumn('id', 'integer', (c) => c.primaryKey().notNull())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('last_hash', 'char(64)', (c) => c.notNull())
        .execute();
      await (db as Kysely<{ audit_chain: { id: number; last_seq: number; last_hash: string } }>)
        .insertInto('audit_chain')
        .values({ id: 1, last_seq: 0, last_hash: '0'.repeat(64) })
        .execute();

      await table('settings')
        .addColumn('name', 'varchar(128)', (c) => c.primaryKey().notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('updated_by', 'varchar(64)')
        .execute();
    },
  };
}
