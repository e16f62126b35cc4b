import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { tableKit } from './tables.js';

/**
 * The notification center's configuration (issue 11 items 1, 2, 5; support module): channels (their
 * secrets encrypted, see services/support/secretBox.ts), contacts, on-call groups and their members,
 * the route of each severity, and silences / maintenance windows. Preserved by a live restore.
 */
export function notifyConfig(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const { ts, createTable: table } = tableKit(db, dialect);
      await table('notify_channels')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        // JSON of the non-secret fields only
        .addColumn('config', 'text', (c) => c.notNull())
        // `v1:iv:tag:ct` — AES-256-GCM of the JSON of the secret fields; null when none is set
        .addColumn('secrets', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await table('notify_contacts')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('email', 'varchar(255)')
        .addColumn('phone', 'varchar(32)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await table('notify_groups')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await table('notify_group_members')
        .addColumn('group_id', 'integer', (c) => c.notNull())
        .addColumn('contact_id', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_notify_group_members', ['group_id', 'contact_id'])
        .execute();
      await db.schema.createIndex('idx_notify_group_members_contact').on('notify_group_members').column('contact_id').execute();

      await table('notify_routes')
        .addColumn('severity', 'varchar(16)', (c) => c.primaryKey().notNull())
        // JSON arrays of channel names and group names
        .addColumn('channels', 'text', (c) => c.notNull())
        .addColumn('groups', 'text', (c) => c.notNull())
        .addColumn('escalate_after_s', 'integer')
        .addColumn('escalate_max', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await table('notify_silences')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        // JSON [{name, value, regex?}]; a maintenance window may have none (= everything)
        .addColumn('matchers', 'text', (c) => c.notNull())
        .addColumn('starts_at', ts, (c) => c.notNull())
        .addColumn('ends_at', ts, (c) => c.notNull())
        .addColumn('comment', 'varchar(1000)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expired_at', ts)
        .execute();
      await db.schema.createIndex('idx_notify_silences_active').on('notify_silences').columns(['expired_at', 'ends_at']).execute();
    },
  };
}
