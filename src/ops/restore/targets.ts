import { existsSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { AppError } from '../../errors/appError.js';
import type { Database } from '../../infra/db/database.js';
import { toDbTime } from '../../infra/db/time.js';
import { parseMysqlUrl } from '../backup/mysqlTools.js';
import { countTables, prepareEmptyDatabase } from './loader.js';

/**
 * Where a restore may write (SPEC SEC-4): the live platform database — with the live-restore
 * permission, `force`, and its name typed again as confirmation — or a database the platform
 * itself created for restores:
 * - MySQL/MariaDB: a database named `mcp_restore_…`, created by the restore and recorded in
 *   `restore_targets`; an existing database that is not in that record is never written, whatever
 *   its name; the system schemas never.
 * - SQLite: a file `MCP_DATA_DIR/restores/<name>.db` (0600), never overwritten without `force`,
 *   never the live file however it is reached (real paths are compared, links refused).
 */
export const RESTORE_DB_PREFIX = 'mcp_restore_';
const MYSQL_TARGET = /^mcp_restore_[a-z0-9_]{1,52}$/;
const SQLITE_TARGET = /^[A-Za-z0-9_-]{1,64}$/;
const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** The live database's name on MySQL/MariaDB; its file on SQLite. */
export function liveDatabase(database: Database, dbUrl: string): string {
  return database.dialect === 'mysql' ? parseMysqlUrl(dbUrl).database : database.label.replace(/^sqlite:(\/\/)?/, '');
}

/** What the operator types to confirm a live restore: the database name, or the SQLite file's base name. */
export function liveConfirmation(database: Database, dbUrl: string): string {
  const live = liveDatabase(database, dbUrl);
  return database.dialect === 'mysql' ? live : basename(live);
}

export function requireLiveConfirmation(database: Database, dbUrl: string, force: boolean | undefined, confirm: string | undefined): void {
  const expected = liveConfirmation(database, dbUrl);
  if (!force || confirm !== expected) {
    throw new AppError(
      'INVALID',
      `restoring into the live database replaces all of its data: pass --force --confirm ${expected} (API: "force": true, "confirm": "${expected}"); a safety backup is taken first. Or restore into a new database with --target-db ${RESTORE_DB_PREFIX}NAME`,
      { confirm: expected },
    );
  }
}

async function record(database: Database, name: string, actor: string, backupId: string): Promise<void> {
  await database.db
    .insertInto('restore_targets')
    .values({ name, created_at: toDbTime(new Date()), created_by: actor.slice(0, 64), backup_id: backupId })
    .execute();
}

async function isRecorded(database: Database, name: string): Promise<boolean> {
  return !!(await database.db.selectFrom('restore_targets').select('name').where('name', '=', name).executeTakeFirst());
}

/** Checks and prepares (creates or empties) a MySQL/MariaDB restore database. */
export async function prepareMysqlTarget(database: Database, conn: Connection, live: string, name: string, o: { force?: boolean; actor: string; backupId: string }): Promise<void> {
  if (SYSTEM_SCHEMAS.includes(name.toLowerCase())) throw new AppError('FORBIDDEN', `${name} is a system schema; a restore never writes into it`);
  if (!MYSQL_TARGET.test(name)) {
    throw new AppError('INVALID', `--target-db ${name}: a restore writes only into a database it creates, named ${RESTORE_DB_PREFIX}<lower-case letters, digits, _>`);
  }
  if (name === live) throw new AppError('INVALID', `--target-db ${name} is the live database; use --force --confirm ${live} without --target-db to restore it`);
  const [exists] = (await conn.query('SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name = ?', [name])) as unknown as [{ name: string }[]];
  if (exists.length) {
    if (!(await isRecorded(database, name)))
      throw new AppError('CONFLICT', `database ${name} exists and was not created by the platform for a restore; it is never written — choose another name`);
    if (!o.force && (await countTables(conn, name)).length > 0)
      throw new AppError('CONFLICT', `database ${name} (an earlier restore) is not empty; pass --force to replace its contents`);
  } else {
    await record(database, name, o.actor, o.backupId);
    try {
      await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } catch (e) {
      await database.db
        .deleteFrom('restore_targets')
        .where('name', '=', name)
        .execute()
        .catch(() => {});
      throw e;
    }
  }
  await prepareEmptyDatabase(conn, name);
}

/** The directory of SQLite restore files, created 0700, never reached through a link. */
export function restoresDir(dataDir: string): string {
  const dir = join(dataDir, 'restores');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const real = realpathSync(dir);
  if (real !== join(realpathSync(dataDir), 'restores')) throw new AppError('INVALID', `${dir} must be a directory inside MCP_DATA_DIR, not a link`);
  return real;
}

/** Checks a SQLite restore target; returns the file to write (not created yet). */
export async function prepareSqliteTarget(
  database: Database,
  dataDir: string,
  liveFile: string,
  name: string,
  o: { force?: boolean; actor: string; backupId: string },
): Promise<string> {
  if (!SQLITE_TARGET.test(name)) {
    throw new AppError('INVALID', `--target-db ${name}: on SQLite a restore writes the file MCP_DATA_DIR/restores/<name>.db; the name is letters, digits, _ or - (no path)`);
  }
  const file = join(restoresDir(dataDir), `${name}.db`);
  const liveReal = existsSync(liveFile) ? realpathSync(liveFile) : liveFile;
  if (existsSync(file) || isLink(file)) {
    if (isLink(file) || realpathSync(file) === liveReal) throw new AppError('FORBIDDEN', `${file} is the live database or a link; a restore never writes through it`);
    if (!o.force) throw new AppError('CONFLICT', `${file} exists (an earlier restore); pass --force to replace it`);
  }
  if (file === liveReal) throw new AppError('FORBIDDEN', `${file} is the live database`);
  const key = `restores/${name}.db`;
  if (!(await isRecorded(database, key))) await record(database, key, o.actor, o.backupId);
  return file;
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}
