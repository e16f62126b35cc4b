import { hostname } from 'node:os';
import { json } from 'node:stream/consumers';
import type { Selectable } from 'kysely';
import type { Logger } from 'pino';
import { notFound } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import type { BackupsTable } from '../../infra/db/schema.js';
import { fromDbTime, toDbTime } from '../../infra/db/time.js';
import type { Storage } from '../../infra/storage/storage.js';
import { HOLDER, holderDead } from '../holder.js';
import { covers, type GtidPosition, goesBeyond, mergePositions, parseGtidPosition } from './gtidPosition.js';

/**
 * The backup catalog (SPEC BAK-5): a manifest beside every artefact in storage, mirrored by a row
 * in `backups`. Storage is the truth: `rebuildCatalog` recreates every row from the manifests.
 */
export type BackupType = BackupsTable['type'];

export interface Manifest {
  format: 1;
  id: string;
  type: BackupType;
  startedAt: string;
  finishedAt: string;
  dataKey: string;
  rawBytes: number;
  storedBytes: number;
  sha256: string;
  compression: 'zstd';
  encryption: { cipher: 'aes-256-gcm-stream'; keyId: string };
  /** What was backed up: a database, or files (`database` then lists the paths). */
  source: { dialect: 'mysql' | 'sqlite' | 'files'; database: string; serverId?: number; version?: string; hostname?: string };
  /** Where replaying binlogs starts after this full backup. */
  coordinates?: { binlogFile: string; binlogPos: number; gtid?: string };
  /**
   * For binlog archives: the file and its events' time range; on MariaDB also its GTID position
   * at the start (its Gtid_list event) and after its last event — what joins the files of
   * different servers into one chain (a switchover or failover changes the server, not the GTIDs).
   * `upTo`: only the first `upTo` bytes of a file the server was still writing (the stream left the
   * old primary); the next file of that server does not follow on from it.
   */
  binlog?: { file: string; firstEventAt?: string; lastEventAt?: string; gtidStart?: string; gtidEnd?: string; upTo?: number };
  tables?: { name: string; rows: number }[];
  /** `exact`: `tables[].rows` were counted in the backup's own snapshot (verification compares them). */
  rowCounts?: 'exact';
  /** The safety backup a live restore took first: listed and restorable by id, never `latest`. */
  safety?: boolean;
  tools: Record<string, string>;
}

export type BackupRow = Selectable<BackupsTable>;

export interface BackupContext {
  database: Database;
  /** Primary storage (MCP_BACKUP_DIR). */
  local: Storage;
  /** Second copy (S3 / OSS) when configured. */
  remote?: Storage;
  clock: Clock;
  log: Logger;
}

export const manifestKey = (dataKey: string) => `${dataKey.replace(/\/[^/]+$/, '')}/manifest.json`;
/** `20261126T020000123Z-full`: sortable, unique to the millisecond. */
export const backupId = (type: BackupType, at: Date) => `${at.toISOString().replace(/[-:.]/g, '')}-${type}`;

export async function startRow(ctx: BackupContext, id: string, type: BackupType, dataKey: string, startedAt: Date): Promise<void> {
  await ctx.database.db
    .insertInto('backups')
    .values({ id, type, status: 'running', started_at: toDbTime(startedAt), data_key: dataKey, locations: '', holder: HOLDER })
    .execute();
}

export async function failRow(ctx: BackupContext, id: string, error: string): Promise<void> {
  await ctx.database.db
    .updateTable('backups')
    .set({ status: 'failed', finished_at: toDbTime(ctx.clock.now()), error: error.slice(0, 4000), holder: null })
    .where('id', '=', id)
    .execute();
}

function rowFromManifest(m: Manifest, locations: string[]): Omit<BackupRow, 'verified_at' | 'verify_result' | 'holder' | 'error'> {
  return {
    id: m.id,
    type: m.type,
    status: 'complete',
    started_at: toDbTime(new Date(m.startedAt)),
    finished_at: toDbTime(new Date(m.finishedAt)),
    data_key: m.dataKey,
    locations: locations.join(','),
    raw_bytes: m.rawBytes,
    stored_bytes: m.storedBytes,
    sha256: m.sha256,
    binlog_file: m.coordinates?.binlogFile ?? m.binlog?.file ?? null,
    binlog_pos: m.coordinates?.binlogPos ?? null,
    // a full backup: where replaying starts; a binlog archive: its GTID position at its start
    gtid: m.coordinates?.gtid ?? m.binlog?.gtidStart ?? null,
    first_event_at: m.binlog?.firstEventAt ? toDbTime(new Date(m.binlog.firstEventAt)) : null,
    last_event_at: m.binlog?.lastEventAt ? toDbTime(new Date(m.binlog.lastEventAt)) : null,
    server_id: m.source.serverId ?? null,
    key_id: m.encryption.keyId,
    manifest: JSON.stringify(m),
    safety: m.safety ? 1 : 0,
  };
}

/** Writes the manifest beside the data, then marks the row complete. */
export async function completeRow(ctx: BackupContext, m: Manifest, locations: string[]): Promise<BackupRow> {
  const row = rowFromManifest(m, locations);
  await ctx.database.db
    .updateTable('backups')
    .set({ ...row, holder: null, error: null })
    .where('id', '=', m.id)
    .execute();
  return getBackup(ctx, m.id);
}

export async function getBackup(ctx: Pick<BackupContext, 'database'>, id: string): Promise<BackupRow> {
  const row = await ctx.database.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`backup ${id}`);
  return normalize(row);
}

/** Numbers from MySQL BIGINT columns arrive as strings with supportBigNumbers; make them numbers. */
function normalize(r: BackupRow): BackupRow {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return { ...r, raw_bytes: n(r.raw_bytes), stored_bytes: n(r.stored_bytes), binlog_pos: n(r.binlog_pos), server_id: n(r.server_id) };
}

export async function listBackups(ctx: Pick<BackupContext, 'database'>, type?: BackupType): Promise<BackupRow[]> {
  let q = ctx.database.db.selectFrom('backups').selectAll().orderBy('started_at', 'asc').orderBy('id', 'asc');
  if (type) q = q.where('type', '=', type);
  return (await q.execute()).map(normalize);
}

/** `latest` → the newest complete full backup that is not a safety backup (those are restored by id only). */
export async function resolveBackup(ctx: Pick<BackupContext, 'database'>, ref: string): Promise<BackupRow> {
  if (ref !== 'latest') return getBackup(ctx, ref);
  const row = await ctx.database.db
    .selectFrom('backups')
    .selectAll()
    .where('type', '=', 'full')
    .where('status', '=', 'complete')
    .where('safety', '=', 0)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) throw notFound('complete full backup');
  return normalize(row);
}

export function manifestOf(row: BackupRow): Manifest {
  if (!row.manifest) throw notFound(`manifest of backup ${row.id}`);
  return JSON.parse(row.manifest) as Manifest;
}

/** A complete binlog archive's GTID positions (MariaDB; absent on archives made before they were recorded). */
export function archiveGtids(r: BackupRow): { start: GtidPosition; end: GtidPosition } | undefined {
  if (!r.manifest || (r.type !== 'incremental' && r.type !== 'binlog') || r.status !== 'complete') return undefined;
  const b = manifestOf(r).binlog;
  if (b?.gtidStart === undefined || b.gtidEnd === undefined) return undefined;
  return { start: parseGtidPosition(b.gtidStart), end: parseGtidPosition(b.gtidEnd) };
}

/**
 * Marks backups whose process died mid-way (SIGKILL, crash) as failed and removes what they left
 * in storage; runs before every backup. A row held by another host is left alone for 24 h.
 */
export async function reconcileOrphans(ctx: BackupContext): Promise<string[]> {
  const running = await ctx.database.db.selectFrom('backups').selectAll().where('status', '=', 'running').execute();
  const now = ctx.clock.now().getTime();
  const orphans = running.filter((r) => {
    const [host] = (r.holder ?? ':').split(':');
    if (host === hostname()) return holderDead(r.holder!);
    return now - fromDbTime(r.started_at).getTime() > 86_400_000;
  });
  for (const r of orphans) {
    // A manifest means the backup did finish (its row is stale, e.g. restored from a dump taken
    // while it ran): never delete it.
    if (await ctx.local.stat(manifestKey(r.data_key)).catch(() => undefined)) continue;
    for (const s of [ctx.local, ctx.remote]) await s?.delete(r.data_key).catch(() => {});
    await failRow(ctx, r.id, 'interrupted: the process taking this backup stopped before it finished');
    ctx.log.warn({ backup: r.id }, 'marked an interrupted backup as failed');
  }
  return orphans.map((r) => r.id);
}

/** Recreates the catalog from the manifests in storage (after a restore, or on a new machine). */
export async function rebuildCatalog(ctx: BackupContext): Promise<{ found: number; added: number }> {
  const byId = new Map<string, { m: Manifest; locations: string[] }>();
  for (const [name, storage] of [
    ['local', ctx.local],
    ['s3', ctx.remote],
  ] as const) {
    if (!storage) continue;
    for (const obj of await storage.list('')) {
      if (!obj.key.endsWith('/manifest.json')) continue;
      const m = (await json(await storage.get(obj.key))) as Manifest;
      const entry = byId.get(m.id) ?? { m, locations: [] };
      entry.locations.push(name);
      byId.set(m.id, entry);
    }
  }
  let added = 0;
  for (const { m, locations } of byId.values()) if ((await registerStored(ctx, m, locations)) === 'added') added++;
  return { found: byId.size, added };
}

/** Puts the row of an artefact that is in storage (its manifest `m`) into the catalog, or brings it in line. */
export async function registerStored(ctx: Pick<BackupContext, 'database'>, m: Manifest, locations: string[]): Promise<'added' | 'updated'> {
  const row = rowFromManifest(m, locations);
  const existing = await ctx.database.db.selectFrom('backups').select('id').where('id', '=', m.id).executeTakeFirst();
  if (existing) {
    await ctx.database.db
      .updateTable('backups')
      .set({ ...row, holder: null, error: null })
      .where('id', '=', m.id)
      .execute();
    return 'updated';
  }
  await ctx.database.db.insertInto('backups').values(row).execute();
  return 'added';
}

/** The manifest stored beside `dataKey`, when both are there (the manifest is written once the data is complete). */
export async function storedManifest(storage: Storage, dataKey: string): Promise<Manifest | undefined> {
  const there = async (key: string) => !!(await storage.stat(key).catch(() => undefined));
  if (!(await there(manifestKey(dataKey))) || !(await there(dataKey))) return undefined;
  return (await json(await storage.get(manifestKey(dataKey)))) as Manifest;
}

/**
 * The restorable window: from the oldest complete full backup to the newest point reachable —
 * the newest full backup, or, when binlogs are archived contiguously after it, their last event.
 */
export interface RestorableWindow {
  from: string;
  to: string;
  /** Any second in [from, to] can be restored when true; only the full backups' own times otherwise. */
  pointInTime: boolean;
}

export function restorableWindow(rows: BackupRow[]): RestorableWindow | undefined {
  const fulls = rows.filter((r) => r.type === 'full' && r.status === 'complete');
  if (!fulls.length) return undefined;
  const newest = fulls.at(-1)!;
  const seq = (f: string | null) => Number(/\.(\d+)$/.exec(f ?? '')?.[1] ?? NaN);
  const binlogs = rows
    .filter((r) => (r.type === 'incremental' || r.type === 'binlog') && r.status === 'complete' && r.server_id === newest.server_id)
    .sort((a, b) => seq(a.binlog_file) - seq(b.binlog_file));
  let expected = seq(newest.binlog_file);
  let lastEvent: string | null = null;
  for (const b of preferWhole(binlogs)) {
    if (seq(b.binlog_file) < expected) continue;
    if (seq(b.binlog_file) !== expected) break;
    lastEvent = b.last_event_at ?? lastEvent;
    expected++;
    if (isPartial(b)) break;
  }
  // after a switchover or failover the chain goes on in other servers' files, joined by GTID
  const byGtid = newest.gtid !== null ? gtidReach(rows, newest.gtid) : null;
  if (byGtid && (!lastEvent || byGtid > lastEvent)) lastEvent = byGtid;
  const to = lastEvent && lastEvent > newest.started_at ? lastEvent : newest.started_at;
  return { from: fulls[0]!.started_at.slice(0, 19), to: to.slice(0, 19), pointInTime: !!lastEvent };
}

/** An archive of the first part of a file the server went on writing (`binlog.upTo`). */
export const isPartial = (r: BackupRow) => !!(r.manifest && manifestOf(r).binlog?.upTo);

/** Of the archives of one file (rows sorted by file), the whole one when there is one. */
export function preferWhole(rows: BackupRow[]): BackupRow[] {
  const out: BackupRow[] = [];
  for (const r of rows) {
    const prev = out.at(-1);
    if (prev && prev.binlog_file === r.binlog_file) {
      if (isPartial(prev) && !isPartial(r)) out[out.length - 1] = r;
      continue;
    }
    out.push(r);
  }
  return out;
}

/** The newest event reachable from GTID position `from` through archived binlogs of any server without a gap. */
function gtidReach(rows: BackupRow[], from: string): string | null {
  const files = rows.flatMap((r) => {
    const g = archiveGtids(r);
    return g ? [{ r, ...g }] : [];
  });
  let applied = parseGtidPosition(from);
  let lastEvent: string | null = null;
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of files) {
      if (!covers(applied, f.start) || !goesBeyond(f.end, applied)) continue;
      applied = mergePositions(applied, f.end);
      if (f.r.last_event_at && (!lastEvent || f.r.last_event_at > lastEvent)) lastEvent = f.r.last_event_at;
      grew = true;
    }
  }
  return lastEvent;
}
