import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { tableKit } from './tables.js';

/**
 * Durable notification delivery (issue 11 item 3): `notify_outbox` holds every notification,
 * written in the same transaction as the alert change it announces, until a channel accepted it;
 * `notify_attempts` records each attempt (the provider's code, the error, the time it took);
 * `notify_pacing` is each rate-limited channel's next free slot. Alerts gain their
 * acknowledgement and escalation state.
 */
export function notifyOutbox(dialect: Dialect) {
  const long = dialect === 'mysql' ? sql`mediumtext` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const { ts, createTable: table } = tableKit(db, dialect);
      await table('notify_outbox')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        // one notification once: channel + recipients + the alert episodes (+ escalation level)
        .addColumn('idem_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('channel', 'varchar(64)', (c) => c.notNull())
        .addColumn('channel_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('recipients', 'text', (c) => c.notNull())
        // firing | resolved | escalation
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('escalation', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        // the alerts it announces, as they were when it was written (JSON)
        .addColumn('alerts', long, (c) => c.notNull())
        // pending | queued | sending | sent | merged | cancelled | dead
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', ts, (c) => c.notNull())
        .addColumn('queued_at', ts)
        .addColumn('claimed_until', ts)
        .addColumn('merged_into', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('provider_code', 'varchar(64)')
        .addColumn('message_id', 'varchar(255)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('sent_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('uq_notify_outbox_key').unique().on('notify_outbox').column('idem_key').execute();
      await db.schema.createIndex('idx_notify_outbox_due').on('notify_outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('idx_notify_outbox_channel').on('notify_outbox').columns(['channel', 'status']).execute();

      await table('notify_outbox_alerts')
        .addColumn('outbox_id', 'integer', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_notify_outbox_alerts', ['outbox_id', 'fingerprint'])
        .execute();
      await db.schema.createIndex('idx_notify_outbox_alerts_fp').on('notify_outbox_alerts').column('fingerprint').execute();

      await table('notify_attempts')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('outbox_id', 'integer', (c) => c.notNull())
        .addColumn('channel', 'varchar(64)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        // sent | retry | rate_limited | failed
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('provider_code', 'varchar(64)')
        .addColumn('error', 'text')
        .addColumn('message_id', 'varchar(255)')
        .addColumn('merged', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('idx_notify_attempts_outbox').on('notify_attempts').columns(['outbox_id', 'id']).execute();

      await table('notify_pacing')
        .addColumn('channel', 'varchar(64)', (c) => c.primaryKey().notNull())
        .addColumn('next_at', ts, (c) => c.notNull())
        .execute();

      await db.schema.alterTable('alerts').addColumn('acknowledged_at', ts).execute();
      await db.schema.alterTable('alerts').addColumn('acknowledged_by', 'varchar(64)').execute();
      // when the first notification of the current episode was written, and how many escalations followed
      await db.schema.alterTable('alerts').addColumn('notified_at', ts).execute();
      await db.schema
        .alterTable('alerts')
        .addColumn('escalations', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
