import { chmodSync, closeSync, createWriteStream, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import SQLite from 'better-sqlite3';
import { createConnection, type Connection } from 'mysql2/promise';
import { AppError } from '../../errors/appError.js';
import { toUnavailable } from '../../infra/db/database.js';
import type { OpenedArchive } from '../backup/archiveReader.js';
import { allOrAbort } from '../backup/writeBackup.js';
import { detectTools, parseMysqlUrl, spawnTool, type MysqlTarget } from '../backup/mysqlTools.js';
import { progressMeter, type ProgressListener } from '../progress.js';

/**
 * Loads a backup's data into a database: a MySQL/MariaDB schema through the `mariadb`/`mysql`
 * client, or a SQLite file. Shared by restore, verification and restore drills.
 */
export async function adminConnection(t: MysqlTarget): Promise<Connection> {
  try {
    return await createConnection({ host: t.host, port: t.port, user: t.user, password: t.password, multipleStatements: false, connectTimeout: 5000 });
  } catch (e) {
    throw toUnavailable(e, `${t.host}:${t.port}`);
  }
}

export const SAFE_DB_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Creates `name` if needed and empties it (drops every table, view, routine, event). */
export async function prepareEmptyDatabase(conn: Connection, name: string): Promise<void> {
  if (!SAFE_DB_NAME.test(name)) throw new AppError('INVALID', `database name "${name}" must be letters, digits or _`);
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const [objects] = (await conn.query(`SELECT table_name AS name, table_type AS type FROM information_schema.tables WHERE table_schema = ?`, [name])) as unknown as [
    { name: string; type: string }[],
  ];
  await conn.query('SET SESSION foreign_key_checks = 0');
  for (const o of objects) await conn.query(`DROP ${o.type === 'VIEW' ? 'VIEW' : 'TABLE'} IF EXISTS \`${name}\`.\`${o.name}\``);
  const [routines] = (await conn.query(`SELECT routine_name AS name, routine_type AS type FROM information_schema.routines WHERE routine_schema = ?`, [name])) as unknown as [
    { name: string; type: string }[],
  ];
  for (const r of routines) await conn.query(`DROP ${r.type} IF EXISTS \`${name}\`.\`${r.name}\``);
  const [events] = (await conn.query(`SELECT event_name AS name FROM information_schema.events WHERE event_schema = ?`, [name])) as unknown as [{ name: string }[]];
  for (const ev of events) await conn.query(`DROP EVENT IF EXISTS \`${name}\`.\`${ev.name}\``);
  await conn.query('SET SESSION foreign_key_checks = 1');
}

export async function countTables(conn: Connection, name: string): Promise<string[]> {
  const [rows] = (await conn.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name`, [
    name,
  ])) as unknown as [{ name: string }[]];
  return rows.map((r) => r.name);
}

/** Streams a dump into database `name` on the server of `serverUrl`; returns the bytes loaded. */
export async function loadIntoMysql(opened: OpenedArchive, serverUrl: string, name: string, onProgress?: ProgressListener, total?: number): Promise<number> {
  const tools = await detectTools();
  const client = spawnTool(tools.client, parseMysqlUrl(serverUrl), ['--default-character-set=utf8mb4', '--binary-mode', name], { stdin: 'pipe' });
  const meter = progressMeter('恢复数据', onProgress, total);
  await allOrAbort([pipeline(opened.stored, ...opened.stages(), meter, client.child.stdin!), client.done] as const, () => {
    opened.stored.destroy();
    client.child.kill('SIGTERM');
  });
  opened.checkDigest();
  return meter.bytes();
}

/**
 * Decrypts a SQLite backup to a private temporary file and checks its integrity. `under`: a
 * directory prefix for it (a live restore stages under MCP_DATA_DIR/restores/.staging-, which the
 * next start clears if the process dies).
 */
export async function extractSqlite(
  opened: OpenedArchive,
  onProgress?: ProgressListener,
  total?: number,
  under = join(tmpdir(), 'mcp-sqlite-restore-'),
): Promise<{ file: string; dispose(): void }> {
  const dir = mkdtempSync(under);
  const file = join(dir, 'restored.sqlite');
  try {
    await pipeline(opened.stored, ...opened.stages(), progressMeter('恢复数据', onProgress, total), createWriteStream(file, { mode: 0o600 }));
    opened.checkDigest();
    const db = new SQLite(file, { readonly: true });
    try {
      const result = db.pragma('integrity_check', { simple: true });
      if (result !== 'ok') throw new AppError('INVALID', `restored SQLite file fails integrity_check: ${String(result)}`);
    } finally {
      db.close();
    }
    return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Copies a SQLite database file into a new file `target` (0600) with SQLite's online backup. */
export async function copySqlite(source: string, target: string, overwrite = false): Promise<void> {
  // created here, private, and never through an existing file unless asked
  closeSync(openSync(target, overwrite ? 'w' : 'wx', 0o600));
  chmodSync(target, 0o600);
  const db = new SQLite(source, { readonly: true });
  try {
    await db.backup(target);
  } finally {
    db.close();
  }
}

export function sqliteTables(file: string): { name: string; rows: number }[] {
  const db = new SQLite(file, { readonly: true });
  try {
    const names = db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`).all() as { name: string }[];
    return names.map((n) => ({ name: n.name, rows: Number((db.prepare(`select count(*) as c from "${n.name.replace(/"/g, '""')}"`).get() as { c: number }).c) }));
  } finally {
    db.close();
  }
}
