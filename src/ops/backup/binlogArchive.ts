import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { AppError } from '../../errors/appError.js';
import { isUniqueViolation } from '../../infra/db/uniqueViolation.js';
import { BINLOG_NAME, bySeq } from './binlogFile.js';
import { archiveGtids, getBackup, listBackups, reconcileOrphans, registerStored, storedManifest, type BackupRow } from './catalog.js';
import type { DatabaseBackupContext } from './databaseBackup.js';
import { advance, covers, formatGtidPosition, type GtidPosition, mergePositions, missingRange, parseGtidPosition } from './gtidPosition.js';
import { detectTools, parseMysqlUrl, primaryTarget, spawnTool } from './mysqlTools.js';
import { syncRemote, writeBackup } from './writeBackup.js';

/**
 * Incremental backups (SPEC BAK-2, manual §6.2.2 done right): rotate the binary log, then archive
 * every *closed* binlog file not archived yet — never the active one, which is still being written.
 * Files are read from the server with `mariadb-binlog --read-from-remote-server --raw` (the server's
 * datadir need not be local) and stored per server id, so a switchover cannot overwrite them.
 */
/**
 * `upTo`: the byte the archive of a file still being written ends at — `backup stream` archives
 * what it has of the old primary's active file when the primary moves; the whole file, should the
 * stream come back to that server (a switchover and back), is archived beside it under the plain id.
 */
export const binlogBackupId = (serverId: number, file: string, upTo?: number) => `binlog-${serverId}-${file}${upTo ? `-to-${upTo}` : ''}`;

export function requireMysql(ctx: DatabaseBackupContext, what: string): void {
  if (ctx.database.dialect !== 'mysql') {
    throw new AppError('INVALID', `${what} works from the MySQL/MariaDB binary log; the embedded SQLite database has full backups only (backup full)`);
  }
}

export async function archiveBinlogs(ctx: DatabaseBackupContext): Promise<BackupRow[]> {
  requireMysql(ctx, 'backup incremental');
  await reconcileOrphans(ctx);
  await syncRemote(ctx);
  const info = (await sql<{ server_id: number; log_bin: number }>`select @@server_id as server_id, @@log_bin as log_bin`.execute(ctx.database.db)).rows[0]!;
  if (Number(info.log_bin) !== 1) throw new AppError('INVALID', 'the binary log is off on this server (log_bin); incremental backups need it');
  const serverId = Number(info.server_id);
  await sql`flush binary logs`.execute(ctx.database.db);
  const logs = (await sql<{ Log_name: string }>`show binary logs`.execute(ctx.database.db)).rows.map((r) => r.Log_name);
  const closed = logs.slice(0, -1);
  const rows = await listBackups(ctx);
  // complete, or being archived right now by `backup stream`
  const known = new Set(rows.filter((r) => r.status === 'complete' || r.status === 'running').map((r) => r.id));
  // The primary changed since the last archive: start on this server where the archive ends (by GTID).
  const follow = await followStart(ctx, serverId, closed, rows);
  if (follow) logFollow(ctx, 'backup incremental', serverId, follow);
  // Otherwise this server's chain starts at the first file archived from it: files before that
  // one were never meant to be archived from here (another server had them).
  const own = archivedFilesOf(rows, serverId);
  const from = follow ? closed.indexOf(follow.file) : Math.max(0, own.length ? closed.findIndex((f) => bySeq(f, own[0]!) >= 0) : 0);
  const archived: BackupRow[] = [];
  for (const file of from < 0 ? [] : closed.slice(from)) {
    if (known.has(binlogBackupId(serverId, file))) continue;
    archived.push(await archiveOne(ctx, serverId, file, 'incremental'));
  }
  return archived;
}

/** This server's archived binlog files (complete), oldest first. */
export function archivedFilesOf(rows: BackupRow[], serverId: number): string[] {
  return rows
    .filter((r) => (r.type === 'incremental' || r.type === 'binlog') && r.status === 'complete' && r.server_id === serverId && r.binlog_file)
    .map((r) => r.binlog_file!)
    .sort(bySeq);
}

export interface FollowStart {
  /** The first file of this server to archive. */
  file: string;
  /** Its Gtid_list: the GTID position before its first event. */
  gtidList: string;
  /** How far the archive reached (GTID position), and the server of the newest archive. */
  reach: string;
  previousServerId: number;
  /** GTIDs nowhere archived and no longer on this server (its binlogs were purged), e.g. `0-*-8..0-2-11`. */
  gap?: string;
}

/**
 * Following a new primary (issue 12 item 7): when the newest archived binlog came from another
 * server, the archive continues on this one from the newest of `logs` (this server's binlog files,
 * oldest first) whose Gtid_list — the GTID position before its first event — is already reached
 * by the archive: nothing is skipped, and little is archived twice (the restore skips what it has
 * applied). Undefined when this server continues its own chain, or nothing archived has GTIDs.
 */
export async function followStart(ctx: DatabaseBackupContext, serverId: number, logs: string[], rows?: BackupRow[]): Promise<FollowStart | undefined> {
  rows ??= await listBackups(ctx);
  const done = rows.map((r) => ({ r, g: archiveGtids(r) })).filter((x) => x.g);
  if (!done.length || !logs.length) return undefined;
  const newest = done.reduce((a, b) => ((b.r.finished_at ?? '') > (a.r.finished_at ?? '') ? b : a));
  if (newest.r.server_id === serverId) return undefined;
  const reach = mergePositions(...done.map((x) => x.g!.end));
  let oldest: { file: string; list: string } | undefined;
  for (const file of [...logs].reverse()) {
    const list = await gtidListOf(ctx, file);
    if (list === undefined) continue;
    oldest = { file, list };
    if (covers(reach, parseGtidPosition(list))) return { file, gtidList: list, reach: formatGtidPosition(reach), previousServerId: newest.r.server_id! };
  }
  if (!oldest) return undefined;
  return {
    file: oldest.file,
    gtidList: oldest.list,
    reach: formatGtidPosition(reach),
    previousServerId: newest.r.server_id!,
    gap: missingRange(reach, parseGtidPosition(oldest.list)),
  };
}

/** The log line of a switch to a new primary (and the error line of a gap). */
export function logFollow(ctx: DatabaseBackupContext, what: string, serverId: number, f: FollowStart): void {
  const fields = { previousServerId: f.previousServerId, serverId, from: f.file, gtidList: f.gtidList, archivedUpTo: f.reach };
  ctx.log.warn(fields, `${what} follows the new primary (server ${serverId}, was ${f.previousServerId}) from ${f.file}`);
  if (f.gap) {
    ctx.log.error(
      { ...fields, gap: f.gap },
      `BINLOG GAP: GTIDs ${f.gap} are neither archived nor on the new primary (server ${serverId}); point-in-time recovery cannot cross this gap. Take a full backup now.`,
    );
  }
}

/** The Gtid_list of one of the server's binlog files (`[0-1-5,0-2-9]` → `0-1-5,0-2-9`); undefined when it has none (MySQL). */
async function gtidListOf(ctx: DatabaseBackupContext, file: string): Promise<string | undefined> {
  if (!BINLOG_NAME.test(file)) return undefined;
  const events = (await sql<{ Event_type: string; Info: string }>`show binlog events in ${file} limit 4`.execute(ctx.database.db)).rows;
  const list = events.find((e) => e.Event_type === 'Gtid_list');
  return list ? list.Info.replace(/^\[|\]$/g, '').replace(/\s+/g, '') : undefined;
}

/** Fetches one closed binlog file from the server (`--read-from-remote-server --raw`) and archives it. */
async function archiveOne(ctx: DatabaseBackupContext, serverId: number, file: string, type: 'incremental' | 'binlog'): Promise<BackupRow> {
  return archiveBinlogFile(ctx, serverId, file, type, async (tmp) => {
    const tools = await detectTools();
    await spawnTool(tools.binlog, primaryTarget(ctx), ['--read-from-remote-server', '--raw', `--result-file=${tmp}/`, file]).done;
    return join(tmp, file);
  });
}

/**
 * Archives a complete binlog file that is already on this machine (the `backup stream` spool):
 * same layout, manifest and catalog row as `backup incremental`. The local file is left in place.
 */
export function archiveLocalBinlog(
  ctx: DatabaseBackupContext,
  serverId: number,
  localPath: string,
  file: string,
  type: 'incremental' | 'binlog',
  upTo?: number,
): Promise<BackupRow> {
  return archiveBinlogFile(ctx, serverId, file, type, async () => localPath, upTo);
}

export const binlogDataKey = (serverId: number, file: string, upTo?: number) => `binlog/${serverId}/${file}${upTo ? `-to-${upTo}` : ''}/data.zst.enc`;

async function archiveBinlogFile(
  ctx: DatabaseBackupContext,
  serverId: number,
  file: string,
  type: 'incremental' | 'binlog',
  obtain: (tmpDir: string) => Promise<string>,
  upTo?: number,
): Promise<BackupRow> {
  const id = binlogBackupId(serverId, file, upTo);
  const dataKey = binlogDataKey(serverId, file, upTo);
  // An archived binlog is never written again. The catalog can forget one — a live restore rewinds
  // it to its backup's time while `backup stream` keeps running — and archiving it anew would
  // replace the data under a point-in-time restore that is reading it (new ciphertext, old
  // manifest). What is stored is put back into the catalog instead.
  const stored = await storedManifest(ctx.local, dataKey);
  if (stored?.id === id) {
    const onRemote = ctx.remote && (await storedManifest(ctx.remote, dataKey).catch(() => undefined));
    await registerStored(ctx, stored, onRemote ? ['local', 's3'] : ['local']);
    ctx.log.info({ backup: id }, 'binlog already archived; catalog row restored from its manifest');
    return getBackup(ctx, id);
  }
  await ctx.database.db.deleteFrom('backups').where('id', '=', id).where('status', '=', 'failed').execute();
  const tools = await detectTools();
  const tmp = mkdtempSync(join(tmpdir(), 'mcp-binlog-'));
  let local = '';
  try {
    return await writeBackup(ctx, {
      id,
      type,
      dataKey,
      started: ctx.clock.now(),
      step: 'binlog',
      open: async () => {
        local = await obtain(tmp);
        return { input: { file: local }, dispose: () => {} };
      },
      describe: async () => ({
        source: { dialect: 'mysql', database: parseMysqlUrl(ctx.dbUrl).database, serverId },
        binlog: { file, ...(await describeBinlog(tools.binlog, local)), ...(upTo ? { upTo } : {}) },
        tools: tools.versions,
      }),
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // `backup stream` and `backup incremental` reached the same file at once: the other one
    // registered it a moment ago (its row is the first write, before any data) and archives it
    ctx.log.info({ backup: id }, 'binlog being archived by another process right now; left to it');
    return getBackup(ctx, id);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Times of the first and last events of a local binlog file (UTC), from its decoded headers, and on
 * MariaDB its GTID positions: `gtidStart` from its Gtid_list event (the position before it),
 * `gtidEnd` that position moved past every GTID event in the file.
 */
export async function describeBinlog(binlogTool: string, file: string): Promise<{ firstEventAt?: string; lastEventAt?: string; gtidStart?: string; gtidEnd?: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(binlogTool, ['--no-defaults', '--base64-output=decode-rows', file], { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let first: string | undefined;
  let last: string | undefined;
  let rest = '';
  // `Gtid list [0-1-5,` may go on over `# 0-2-9]` lines
  let list: string | undefined;
  let listOpen = false;
  const end: GtidPosition = new Map();
  const read = (l: string) => {
    if (listOpen) {
      list += l.replace(/^#\s*/, '');
      listOpen = !l.includes(']');
      return;
    }
    const t = parseEventTime(l);
    if (!t) return;
    first ??= t;
    last = t;
    const g = /\tGTID (\d+)-(\d+)-(\d+)/.exec(l);
    if (g) advance(end, { domain: Number(g[1]), server: Number(g[2]), seq: Number(g[3]) });
    else if (list === undefined) {
      const gl = /\tGtid list \[(.*)$/.exec(l);
      if (gl) {
        list = gl[1]!;
        listOpen = !list.includes(']');
      }
    }
  };
  for await (const chunk of child.stdout) {
    const lines = (rest + (chunk as Buffer).toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) read(l);
  }
  read(rest);
  const start = list === undefined ? undefined : formatGtidPosition(parseGtidPosition(list.replace(/\].*$/, '')));
  return {
    ...(first ? { firstEventAt: first } : {}),
    ...(last ? { lastEventAt: last } : {}),
    ...(start === undefined ? {} : { gtidStart: start, gtidEnd: formatGtidPosition(mergePositions(parseGtidPosition(start), end)) }),
  };
}

/** `#261126  5:20:01 server id 1 …` → ISO time (the tool prints in its TZ, which we set to UTC). */
export function parseEventTime(line: string): string | undefined {
  const m = /^#(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+server id/.exec(line);
  if (!m) return undefined;
  return new Date(Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))).toISOString();
}
