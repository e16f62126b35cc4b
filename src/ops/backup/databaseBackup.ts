import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import { AppError } from '../../errors/appError.js';
import { progressMeter, type ProgressListener } from '../progress.js';
import { compressStage, digestTap, encryptStream, type BackupKey } from './archive.js';
import {
  backupId,
  completeRow,
  failRow,
  listBackups,
  manifestKey,
  manifestOf,
  reconcileOrphans,
  startRow,
  type BackupContext,
  type BackupRow,
  type Manifest,
} from './catalog.js';
import { detectTools, optionFile, parseMysqlUrl, spawnTool } from './mysqlTools.js';

/**
 * Full and schema-only backups of the platform database (SPEC BAK-1, BAK-4, BAK-11).
 * MySQL/MariaDB: `mariadb-dump`/`mysqldump` in one consistent snapshot (`--single-transaction`)
 * with routines, triggers and events, recording the binlog file/position and GTID where
 * replaying starts. SQLite: `VACUUM INTO`, SQLite's own consistent online copy.
 * The dump streams through zstd, AES-256-GCM and SHA-256 in one pass straight into storage.
 */
export interface DatabaseBackupContext extends BackupContext {
  dbUrl: string;
  key: BackupKey;
}

export interface DatabaseBackupOptions {
  type: 'full' | 'schema';
  onProgress?: ProgressListener;
}

interface Source {
  stream: Readable;
  finished: Promise<void>;
  estimatedBytes?: number;
  manifest: Pick<Manifest, 'source' | 'tables' | 'tools'>;
  /** Reads the coordinates the dump wrote into its header. */
  coordinates(): Manifest['coordinates'];
  dispose(): void;
}

export async function backupDatabase(ctx: DatabaseBackupContext, opts: DatabaseBackupOptions): Promise<BackupRow> {
  await reconcileOrphans(ctx);
  await syncRemote(ctx);
  const started = ctx.clock.now();
  const id = backupId(opts.type, started);
  const ext = ctx.database.dialect === 'sqlite' ? 'sqlite' : 'sql';
  const dataKey = `${opts.type}/${id}/data.${ext}.zst.enc`;
  await startRow(ctx, id, opts.type, dataKey, started);
  ctx.log.info({ backup: id, type: opts.type }, 'backup started');
  let source: Source | undefined;
  try {
    source = ctx.database.dialect === 'sqlite' ? await sqliteSource(ctx) : await mysqlSource(ctx, opts.type);
    const meter = progressMeter(opts.type === 'full' ? '全量备份' : '结构备份', opts.onProgress, source.estimatedBytes);
    const tap = digestTap();
    const body = new PassThrough();
    const src = source;
    const [, , put] = await allOrAbort(
      [pipeline(src.stream, meter, compressStage(), encryptStream(ctx.key), tap, body), src.finished, ctx.local.put(dataKey, body)] as const,
      (e) => {
        body.destroy(e);
        src.dispose();
      },
    );
    const manifest: Manifest = {
      format: 1,
      id,
      type: opts.type,
      startedAt: started.toISOString(),
      finishedAt: ctx.clock.now().toISOString(),
      dataKey,
      rawBytes: meter.bytes(),
      storedBytes: put.size,
      sha256: tap.sha256(),
      compression: 'zstd',
      encryption: { cipher: 'aes-256-gcm-stream', keyId: ctx.key.id },
      ...source.manifest,
      coordinates: source.coordinates(),
    };
    const locations = await store(ctx, manifest);
    const row = await completeRow(ctx, manifest, locations);
    ctx.log.info({ backup: id, rawBytes: manifest.rawBytes, storedBytes: manifest.storedBytes, locations }, 'backup finished');
    return row;
  } catch (e) {
    await ctx.local.delete(dataKey).catch(() => {});
    await failRow(ctx, id, (e as Error).message).catch(() => {});
    throw e;
  } finally {
    source?.dispose();
  }
}

/**
 * Waits for every part of a pipeline; at the first failure `abort` stops the rest (kills the dump,
 * aborts the upload) so nothing hangs. Once all have settled it throws the cause: parts are listed
 * upstream first, and a downstream failure (the storage refusing bytes) makes the upstream ones
 * fail only as a consequence, so the most downstream real error wins; teardown errors (AbortError,
 * premature close) never do.
 */
export async function allOrAbort<T extends readonly Promise<unknown>[]>(parts: T, abort: (e: Error) => void): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  let aborted = false;
  const results = await Promise.allSettled(
    parts.map((p) =>
      p.catch((e: unknown) => {
        if (!aborted) {
          aborted = true;
          abort(e as Error);
        }
        throw e;
      }),
    ),
  );
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])).reverse();
  if (errors.length) throw errors.find((e) => !isTeardown(e) && !killedByAbort(e)) ?? errors.find((e) => !isTeardown(e)) ?? errors[0];
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { [K in keyof T]: Awaited<T[K]> };
}

/** A tool we stopped ourselves (SIGTERM from the abort) reports only that. */
function killedByAbort(e: unknown): boolean {
  return /failed \(SIGTERM\)/.test((e as Error)?.message ?? '');
}

function isTeardown(e: unknown): boolean {
  const err = e as { name?: string; code?: string };
  return err?.name === 'AbortError' || err?.code === 'ABORT_ERR' || err?.code === 'ERR_STREAM_PREMATURE_CLOSE' || err?.code === 'EPIPE';
}

/**
 * Writes the manifest beside the data locally, then copies both to the remote storage when one is
 * configured. A remote failure keeps the local copy (locations say `local` only); `syncRemote`
 * uploads it later.
 */
export async function store(ctx: BackupContext, m: Manifest): Promise<string[]> {
  await ctx.local.put(manifestKey(m.dataKey), Buffer.from(JSON.stringify(m, null, 2)));
  if (!ctx.remote) return ['local'];
  try {
    await copyToRemote(ctx, m);
    return ['local', 's3'];
  } catch (e) {
    ctx.log.warn({ backup: m.id, err: (e as Error).message }, 'remote copy failed; the local copy is kept and the upload will be retried');
    return ['local'];
  }
}

/**
 * Uploads complete backups that exist only locally (the remote was unreachable when they were
 * taken); runs before every backup. Failures are logged and retried next time.
 */
export async function syncRemote(ctx: BackupContext): Promise<string[]> {
  if (!ctx.remote) return [];
  const pending = (await listBackups(ctx)).filter((r) => r.status === 'complete' && !r.locations.split(',').includes('s3') && r.locations.includes('local'));
  const done: string[] = [];
  for (const r of pending) {
    try {
      await copyToRemote(ctx, manifestOf(r));
      await ctx.database.db.updateTable('backups').set({ locations: 'local,s3' }).where('id', '=', r.id).execute();
      done.push(r.id);
    } catch (e) {
      ctx.log.warn({ backup: r.id, err: (e as Error).message }, 'remote copy still failing; will retry');
      break;
    }
  }
  return done;
}

export async function copyToRemote(ctx: BackupContext, m: Manifest): Promise<void> {
  if (!ctx.remote) return;
  await ctx.remote.put(m.dataKey, await ctx.local.get(m.dataKey));
  await ctx.remote.put(manifestKey(m.dataKey), Buffer.from(JSON.stringify(m, null, 2)));
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
  const stream = createReadStream(file);
  return {
    stream,
    finished: Promise.resolve(),
    manifest: { source: { dialect: 'sqlite', database: ctx.database.label }, tables: counts, tools: { sqlite: 'VACUUM INTO' } },
    coordinates: () => undefined,
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
  const opt = optionFile(target);
  const dump = spawnTool(tools.dump, opt.path, args);
  const head = headSniffer(64 * 1024);
  dump.child.stdout!.pipe(head);
  return {
    stream: head,
    finished: dump.done,
    estimatedBytes: type === 'full' ? tables.reduce((n, t) => n + Number(t.bytes ?? 0), 0) : undefined,
    manifest: {
      source: { dialect: 'mysql', database: target.database, serverId: Number(info.server_id), version: info.version, hostname: info.hostname },
      tables: tables.map((t) => ({ name: t.name, rows: Number(t.rows ?? 0) })),
      tools: tools.versions,
    },
    coordinates: () => (binlogOn && type === 'full' ? parseCoordinates(head.text()) : undefined),
    dispose: () => {
      if (dump.child.exitCode === null) dump.child.kill('SIGTERM');
      opt.dispose();
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

/** Passes data through and keeps its first `limit` bytes as text (the dump's header). */
function headSniffer(limit: number): Transform & { text(): string } {
  const kept: Buffer[] = [];
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (size < limit) {
        kept.push(chunk.subarray(0, limit - size));
        size += Math.min(chunk.length, limit - size);
      }
      cb(null, chunk);
    },
  });
  return Object.assign(t, { text: () => Buffer.concat(kept).toString('utf8') });
}
