import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { tableKit } from './tables.js';

/**
 * Incidents (SPEC INC-1…3, manual §4): the incident rows with their lifecycle times, the alerts
 * tied to each (grouping), the timeline of every event, and the §4.2 checklist state.
 */
export function incidents(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const { ts, createTable: table } = tableKit(db, dialect);
      await table('incidents')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('title', 'varchar(255)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('type', 'varchar(16)')
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('alert_name', 'varchar(255)')
        // the alert name while the incident is open, null once recovered: one open incident per alert name
        .addColumn('open_group', 'varchar(255)')
        .addColumn('summary', 'text')
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('detected_at', ts, (c) => c.notNull())
        .addColumn('acknowledged_at', ts)
        .addColumn('acknowledged_by', 'varchar(64)')
        .addColumn('recovered_at', ts)
        .addColumn('resolved_by', 'varchar(64)')
        .addColumn('close_proposed_at', ts)
        .addColumn('impact', 'text')
        .addColumn('causes', 'text')
        .addColumn('actions', 'text')
        .addColumn('postmortem_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('idx_incidents_status').on('incidents').column('status').execute();
      await db.schema.createIndex('uq_incidents_open_group').on('incidents').column('open_group').unique().execute();

      await table('incident_alerts')
        .addColumn('incident_id', 'integer', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(128)', (c) => c.notNull())
        .addColumn('added_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_incident_alerts', ['incident_id', 'fingerprint'])
        .execute();
      await db.schema.createIndex('idx_incident_alerts_fp').on('incident_alerts').column('fingerprint').execute();

      await table('incident_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement().notNull())
        .addColumn('incident_id', 'integer', (c) => c.notNull())
        .addColumn('at', ts, (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('actor', 'varchar(64)', (c) => c.notNull())
        .addColumn('from_status', 'varchar(16)')
        .addColumn('to_status', 'varchar(16)')
        .addColumn('message', 'text')
        .execute();
      await db.schema.createIndex('idx_incident_events_incident').on('incident_events').columns(['incident_id', 'id']).execute();

      await table('incident_checklist')
        .addColumn('incident_id', 'integer', (c) => c.notNull())
        .addColumn('item', 'varchar(32)', (c) => c.notNull())
        .addColumn('done_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('done_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_incident_checklist', ['incident_id', 'item'])
        .execute();
    },
  };
}
