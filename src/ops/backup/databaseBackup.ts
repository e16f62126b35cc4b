import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { AppError } from '../../errors/appError.js';
import type { ProgressListener } from '../progress.js';
import type { BackupKey } from './archive.js';
import { backupId, reconcileOrphans, type BackupContext, type BackupRow, type Manifest } from './catalog.js';
import { detectTools, parseMysqlUrl, spawnTool } from './mysqlTools.js';
import { syncRemote, writeBackup, type BackupSource } from './writeBackup.js';

/**
 * Full and schema-only backups of the platform database (SPEC BAK-1, BAK-4, BAK-11).
 * MySQL/MariaDB: `mariadb-dump`/`mysqldump` in one consistent snapshot (`--single-transaction`)
 * with routines, triggers and events, recording the binlog file/position and GTID where
 * replaying starts. SQLite: `VACUUM INTO`, SQLite's own consistent online copy.
 * The dump streams into zstd through an OS pipe; AES-256-GCM and SHA-256 follow in one pass
 * straight into storage.
 */
export interface DatabaseBackupContext extends BackupContext {
  dbUrl: string;
  key: BackupKey;
}

export interface DatabaseBackupOptions {
  type: 'full' | 'schema';
  onProgress?: ProgressListener;
}

interface Source extends BackupSource {
  manifest: Pick<Manifest, 'source' | 'tables' | 'tools'>;
  /** Whether the dump wrote binlog coordinates into its header (read back from what was stored). */
  hasCoordinates: boolean;
}

export async function backupDatabase(ctx: DatabaseBackupContext, opts: DatabaseBackupOptions): Promise<BackupRow> {
  await reconcileOrphans(ctx);
  await syncRemote(ctx);
  const started = ctx.clock.now();
  const id = backupId(opts.type, started);
  const ext = ctx.database.dialect === 'sqlite' ? 'sqlite' : 'sql';
  let source: Source | undefined;
  return writeBackup(ctx, {
    id,
    type: opts.type,
    dataKey: `${opts.type}/${id}/data.${ext}.zst.enc`,
    started,
    step: opts.type,
    onProgress: opts.onProgress,
    open: async () => (source = ctx.database.dialect === 'sqlite' ? await sqliteSource(ctx) : await mysqlSource(ctx, opts.type)),
    describe: async (stored) => ({ ...source!.manifest, coordinates: source!.hasCoordinates ? parseCoordinates(await stored.rawHead()) : undefined }),
  });
}

async function sqliteSource(ctx: DatabaseBackupContext): Promise<Source> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-sqlite-backup-'));
  const file = join(dir, 'snapshot.sqlite');
  await sql`vacuum into ${file}`.execute(ctx.database.db);
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(ctx.database.db);
  const counts: { name: string; rows: number }[] = [];
  for (const t of tables.rows) {
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(t.name)}`.execute(ctx.database.db);
    counts.push({ name: t.name, rows: Number(r.rows[0]?.n ?? 0) });
  }
  return {
    input: { file },
    manifest: { source: { dialect: 'sqlite', database: ctx.database.label }, tables: counts, tools: { sqlite: 'VACUUM INTO' } },
    hasCoordinates: false,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function mysqlSource(ctx: DatabaseBackupContext, type: 'full' | 'schema'): Promise<Source> {
  const tools = await detectTools();
  const target = parseMysqlUrl(ctx.dbUrl);
  const info = (
    await sql<{ server_id: number; version: string; hostname: string; log_bin: number }>`select @@server_id as server_id, @@version as version, @@hostname as hostname, @@log_bin as log_bin`.execute(
      ctx.database.db,
    )
  ).rows[0]!;
  const tables = (
    await sql<{ name: string; rows: number | null; bytes: number | null }>`select table_name as name, table_rows as \`rows\`, data_length + index_length as bytes
      from information_schema.tables where table_schema = ${target.database} and table_type = 'BASE TABLE' order by table_name`.execute(ctx.database.db)
  ).rows;
  const mariadb = /mariadb/i.test(info.version);
  const binlogOn = Number(info.log_bin) === 1;
  const args = [
    '--single-transaction',
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob',
    '--quick',
    '--default-character-set=utf8mb4',
    ...(type === 'schema' ? ['--no-data'] : []),
    ...(binlogOn && type === 'full' ? (mariadb ? ['--master-data=2', '--gtid'] : ['--source-data=2']) : []),
    target.database,
  ];
  let dump: ReturnType<typeof spawnTool> | undefined;
  return {
    input: {
      start: (stdout) => {
        dump = spawnTool(tools.dump, target, args, { stdout });
        return dump.done;
      },
    },
    estimatedBytes: type === 'full' ? tables.reduce((n, t) => n + Number(t.bytes ?? 0), 0) : undefined,
    manifest: {
      source: { dialect: 'mysql', database: target.database, serverId: Number(info.server_id), version: info.version, hostname: info.hostname },
      tables: tables.map((t) => ({ name: t.name, rows: Number(t.rows ?? 0) })),
      tools: tools.versions,
    },
    hasCoordinates: binlogOn && type === 'full',
    dispose: () => {
      if (dump && dump.child.exitCode === null) dump.child.kill('SIGTERM');
    },
  };
}

/** The dump's binlog coordinates, written by `--master-data=2` (and `--gtid` on MariaDB) as comments. */
export function parseCoordinates(header: string): Manifest['coordinates'] {
  const m = /CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^']+)',\s*(?:MASTER|SOURCE)_LOG_POS=(\d+)/.exec(header);
  if (!m) throw new AppError('INVALID', 'the dump did not record binlog coordinates; is the binary log enabled and does the user have the RELOAD/BINLOG MONITOR privilege?');
  const g = /gtid_slave_pos='([^']*)'/.exec(header) ?? /GTID_PURGED='([^']*)'/.exec(header);
  return { binlogFile: m[1]!, binlogPos: Number(m[2]), ...(g?.[1] ? { gtid: g[1] } : {}) };
}
