import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { AppError } from '../../errors/appError.js';
import type { ProgressListener } from '../progress.js';
import type { BackupKey } from './archive.js';
import { backupId, reconcileOrphans, type BackupContext, type BackupRow, type Manifest } from './catalog.js';
import { detectTools, primaryTarget, spawnTool } from './mysqlTools.js';
import { syncRemote, writeBackup, type BackupSource } from './writeBackup.js';
import { leaseHolder } from '../lease.js';
import { adminConnection, sqliteTables } from '../restore/loader.js';

/** The lease a live restore holds for its whole run (one at a time; no backup meanwhile). */
export const LIVE_RESTORE_LEASE = 'restore:live';

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
  /** The safety backup of a live restore (taken under the restore's lease; marked, never `latest`). */
  safety?: boolean;
}

interface Source extends BackupSource {
  manifest: Pick<Manifest, 'source' | 'tables' | 'tools' | 'rowCounts'>;
  /** Exact row counts in the dump's snapshot, once the data is stored. */
  counts?: () => Promise<{ name: string; rows: number }[]>;
  /** Whether the dump wrote binlog coordinates into its header (read back from what was stored). */
  hasCoordinates: boolean;
}

export async function backupDatabase(ctx: DatabaseBackupContext, opts: DatabaseBackupOptions): Promise<BackupRow> {
  // A backup taken while a live restore swaps the data would describe neither side (SPEC SEC-5).
  if (!opts.safety) {
    const holder = await leaseHolder(ctx.database, ctx.clock, LIVE_RESTORE_LEASE);
    if (holder) throw new AppError('CONFLICT', `a live restore is running (${holder}); back up once it has finished`);
  }
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
    describe: async (stored) => ({
      ...source!.manifest,
      ...(source!.counts ? { tables: await source!.counts(), rowCounts: 'exact' as const } : {}),
      ...(opts.safety ? { safety: true } : {}),
      coordinates: source!.hasCoordinates ? parseCoordinates(await stored.rawHead()) : undefined,
    }),
  });
}

async function sqliteSource(ctx: DatabaseBackupContext): Promise<Source> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-sqlite-backup-'));
  const file = join(dir, 'snapshot.sqlite');
  await sql`vacuum into ${file}`.execute(ctx.database.db);
  // counted in the snapshot itself: exactly what the backup holds
  const counts = sqliteTables(file);
  return {
    input: { file },
    manifest: { source: { dialect: 'sqlite', database: ctx.database.label }, tables: counts, rowCounts: 'exact', tools: { sqlite: 'VACUUM INTO' } },
    hasCoordinates: false,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function mysqlSource(ctx: DatabaseBackupContext, type: 'full' | 'schema'): Promise<Source> {
  const tools = await detectTools();
  const target = primaryTarget(ctx);
  const info = (
    await sql<{
      server_id: number;
      version: string;
      hostname: string;
      log_bin: number;
    }>`select @@server_id as server_id, @@version as version, @@hostname as hostname, @@log_bin as log_bin`.execute(ctx.database.db)
  ).rows[0]!;
  const tables = (
    await sql<{ name: string; rows: number | null; bytes: number | null }>`select table_name as name, table_rows as \`rows\`, data_length + index_length as bytes
      from information_schema.tables where table_schema = ${target.database} and table_type = 'BASE TABLE' order by table_name`.execute(ctx.database.db)
  ).rows;
  const mariadb = /mariadb/i.test(info.version);
  // Our own snapshot, opened just before the dump opens its one: the exact row counts of what it
  // dumps (a write landing between the two snapshots would show as a count mismatch at verify).
  const snapshot = type === 'full' ? await adminConnection(target) : undefined;
  await snapshot?.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
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
    counts: snapshot
      ? async () => {
          const exact: { name: string; rows: number }[] = [];
          for (const t of tables) {
            const [r] = (await snapshot.query(`SELECT COUNT(*) AS c FROM \`${target.database}\`.\`${t.name}\``)) as unknown as [{ c: number }[]];
            exact.push({ name: t.name, rows: Number(r[0]?.c ?? 0) });
          }
          return exact;
        }
      : undefined,
    dispose: () => {
      if (dump && dump.child.exitCode === null) dump.child.kill('SIGTERM');
      void snapshot?.end().catch(() => {});
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
