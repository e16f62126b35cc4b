import { createHash, randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Connection } from 'mysql2/promise';
import { AppError } from '../../errors/appError.js';
import type { Database } from '../../infra/db/database.js';
import type { Schema } from '../../infra/db/schema.js';
import { toDbTime } from '../../infra/db/time.js';

/**
 * The switch of a live restore (SPEC SEC-6): the backup is loaded beside the live data and
 * replaces it in one atomic step, so a crash at any instant leaves the old data or the new, never
 * a mix. MySQL/MariaDB: a staging database, then ONE `RENAME TABLE` moving every live table out
 * and every staged table in (atomic). SQLite: the extracted file attached, and the tables'
 * contents replaced inside ONE transaction on the live database (a crash rolls it back).
 *
 * The tables of the platform's own operations are never rewound (SPEC SEC-3): the audit trail
 * (`audit_log`, `audit_chain`) and the login log keep every row written after the backup, and the
 * jobs, leases, restore targets, backup catalog, incidents, alerts, notification configuration
 * (channels, contacts, groups, routes, silences), the published database topology and schema
 * version stay those of now.
 */
export const PRESERVED_TABLES = [
  'db_topology',
  'audit_log',
  'audit_chain',
  'login_log',
  'login_throttle',
  'jobs',
  'ops_locks',
  'restore_targets',
  'backups',
  'incidents',
  'incident_alerts',
  'incident_events',
  'incident_checklist',
  'alerts',
  'alert_events',
  'notify_outbox',
  'notify_outbox_alerts',
  'notify_attempts',
  'notify_pacing',
  'notify_channels',
  'notify_contacts',
  'notify_groups',
  'notify_group_members',
  'notify_routes',
  'notify_silences',
  'schema_migrations',
  'schema_migrations_lock',
];

/** Staging databases of the live database `live`: `mcp_stage_<hash of live>_<random>` (and `…_old`). */
export function stagePrefix(live: string): string {
  return `mcp_stage_${createHash('sha256').update(live).digest('hex').slice(0, 8)}_`;
}

export function newStageName(live: string): string {
  return `${stagePrefix(live)}${randomBytes(4).toString('hex')}`;
}

const quote = (n: string) => `\`${n.replace(/`/g, '``')}\``;

async function tablesOf(conn: Connection, schema: string, type = 'BASE TABLE'): Promise<string[]> {
  const [rows] = (await conn.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = ? ORDER BY table_name', [
    schema,
    type,
  ])) as unknown as [{ name: string }[]];
  return rows.map((r) => r.name);
}

function sameSchemaVersion(staged: string[], live: string[]): void {
  if (staged.join(',') !== live.join(',')) {
    throw new AppError(
      'INVALID',
      `the backup was taken at schema version ${staged.at(-1) ?? 'none'}, the platform runs ${live.at(-1) ?? 'none'}: a live restore needs the same version; restore it into a ${'mcp_restore_'}… database instead`,
    );
  }
}

/** Checks the staged copy can replace the live data; prepares it (its sessions end). */
export async function checkStagedMysql(conn: Connection, live: string, stage: string): Promise<void> {
  if ((await tablesOf(conn, stage, 'VIEW')).length)
    throw new AppError('INVALID', 'the backup holds views; a live restore moves tables only — restore it into a mcp_restore_… database');
  const versions = async (schema: string) => {
    const [rows] = (await conn.query(`SELECT name FROM ${quote(schema)}.schema_migrations ORDER BY name`).catch(() => [[]])) as unknown as [{ name: string }[]];
    return rows.map((r) => r.name);
  };
  sameSchemaVersion(await versions(stage), await versions(live));
  // Sessions of the restored data end: a token revoked after the backup must not come back.
  if ((await tablesOf(conn, stage)).includes('refresh_tokens')) {
    await conn.query(`UPDATE ${quote(stage)}.refresh_tokens SET revoked_at = ?, revoke_reason = 'restore' WHERE revoked_at IS NULL`, [toDbTime(new Date())]);
  }
}

/** The one atomic switch: live tables out to `<stage>_old`, staged tables in; preserved tables stay. Drops what is left. */
export async function switchMysql(conn: Connection, live: string, stage: string): Promise<{ replaced: string[] }> {
  const old = `${stage}_old`;
  const [liveTables, stagedTables] = await Promise.all([tablesOf(conn, live), tablesOf(conn, stage)]);
  const moved = stagedTables.filter((t) => !PRESERVED_TABLES.includes(t));
  const out = liveTables.filter((t) => !PRESERVED_TABLES.includes(t));
  await conn.query(`CREATE DATABASE ${quote(old)}`);
  const pairs = [...out.map((t) => `${quote(live)}.${quote(t)} TO ${quote(old)}.${quote(t)}`), ...moved.map((t) => `${quote(stage)}.${quote(t)} TO ${quote(live)}.${quote(t)}`)];
  if (pairs.length) await conn.query(`RENAME TABLE ${pairs.join(', ')}`);
  await dropDatabases(conn, [old, stage]);
  return { replaced: moved };
}

export async function dropDatabases(conn: Connection, names: string[]): Promise<void> {
  await conn.query('SET SESSION foreign_key_checks = 0');
  for (const n of names) await conn.query(`DROP DATABASE IF EXISTS ${quote(n)}`);
  await conn.query('SET SESSION foreign_key_checks = 1');
}

/**
 * SQLite: replaces the contents of every table but the preserved ones with those of `file`, in one
 * transaction on the live database; `within` runs inside it (the audit record of the restore).
 */
export async function switchSqlite(database: Database, file: string, within: (trx: Transaction<Schema>) => Promise<void>): Promise<{ replaced: string[] }> {
  const { db } = database;
  await sql`attach database ${file} as restored`.execute(db);
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`pragma defer_foreign_keys = on`.execute(trx);
      const tables = async (schema: 'main' | 'restored') =>
        (
          await sql<{ name: string; sql: string }>`select name, sql from ${sql.raw(schema)}.sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(
            trx,
          )
        ).rows;
      const [liveTables, restoredTables] = [await tables('main'), await tables('restored')];
      const versions = async (schema: string) => {
        if (!(schema === 'main' ? liveTables : restoredTables).some((t) => t.name === 'schema_migrations')) return [];
        return (await sql<{ name: string }>`select name from ${sql.raw(schema)}.schema_migrations order by name`.execute(trx)).rows.map((r) => r.name);
      };
      sameSchemaVersion(await versions('restored'), await versions('main'));
      const id = (n: string) => sql.raw(`"${n.replace(/"/g, '""')}"`);
      for (const t of liveTables.filter((t) => !PRESERVED_TABLES.includes(t.name))) await sql`delete from main.${id(t.name)}`.execute(trx);
      const replaced: string[] = [];
      for (const t of restoredTables.filter((t) => !PRESERVED_TABLES.includes(t.name))) {
        if (!liveTables.some((l) => l.name === t.name)) await sql.raw(t.sql).execute(trx);
        const cols = (await sql<{ name: string }>`select name from pragma_table_info(${t.name}, 'main')`.execute(trx)).rows.map((c) => c.name);
        const list = sql.raw(cols.map((c) => `"${c.replace(/"/g, '""')}"`).join(', '));
        await sql`insert into main.${id(t.name)} (${list}) select ${list} from restored.${id(t.name)}`.execute(trx);
        replaced.push(t.name);
      }
      if (replaced.includes('refresh_tokens')) {
        await sql`update main.refresh_tokens set revoked_at = ${toDbTime(new Date())}, revoke_reason = 'restore' where revoked_at is null`.execute(trx);
      }
      await within(trx);
      return { replaced };
    });
  } finally {
    await sql`detach database restored`.execute(db);
  }
}
