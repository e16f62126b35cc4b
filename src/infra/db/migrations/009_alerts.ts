import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { tableKit } from './tables.js';

/**
 * Alerts received from Alertmanager (support module): `alerts` holds each alert's current state by
 * fingerprint, `alert_events` every firing/resolved notification once — the unique key
 * (fingerprint, starts_at, status) makes a repeated delivery change nothing.
 */
export function alerts(dialect: Dialect) {
  // Labels and annotations as JSON: up to 64 entries of 4,096 characters each, beyond MySQL's 64 KB `text`.
  const json = dialect === 'mysql' ? sql`mediumtext` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const { ts, createTable: table } = tableKit(db, dialect);
      await table('alerts')
        .addColumn('fingerprint', 'varchar(64)', (c) => c.primaryKey().notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('summary', 'text')
        .addColumn('labels', json, (c) => c.notNull())
        .addColumn('annotations', json, (c) => c.notNull())
        .addColumn('generator_url', 'varchar(2048)')
        .addColumn('starts_at', ts, (c) => c.notNull())
        .addColumn('ends_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('idx_alerts_status').on('alerts').columns(['status', 'severity']).execute();

      await table('alert_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('starts_at', ts, (c) => c.notNull())
        .addColumn('ends_at', ts)
        .addColumn('received_at', ts, (c) => c.notNull())
        .addColumn('receiver', 'varchar(255)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('uq_alert_events_key').unique().on('alert_events').columns(['fingerprint', 'starts_at', 'status']).execute();
    },
  };
}
