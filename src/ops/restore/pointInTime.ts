import { mkdirSync, mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, notFound } from '../../errors/appError.js';
import { fromDbTime } from '../../infra/db/time.js';
import { openArchive } from '../backup/archiveReader.js';
import { parseEventTime } from '../backup/binlogArchive.js';
import { covers, formatGtidPosition, goesBeyond, type GtidPosition, mergePositions, missingRange, parseGtidPosition } from '../backup/gtidPosition.js';
import { seqOf } from '../backup/binlogFile.js';
import { archiveGtids, isPartial, listBackups, manifestOf, preferWhole, type BackupRow, type Manifest } from '../backup/catalog.js';
import type { DatabaseBackupContext } from '../backup/databaseBackup.js';
import { allOrAbort } from '../backup/writeBackup.js';
import { detectTools, primaryTarget, spawnTool } from '../backup/mysqlTools.js';
import { progressMeter, type ProgressListener } from '../progress.js';

/**
 * Point-in-time recovery (SPEC BAK-8): the newest full backup taken before T, then the archived
 * binlogs from that backup's coordinates up to T, replayed by `mariadb-binlog`.
 *
 * The chain is one server's files in sequence when that server's archive reaches T (one pass,
 * from the backup's file and position). Across a switchover or failover it is joined by GTID
 * (issue 12 item 7): from the backup's GTID position, each next file — from any server — is one
 * whose Gtid_list (the position before its first event) the chain has already reached, and each
 * file is replayed from the position applied so far (`--start-position=<GTID list>`), so every
 * transaction is applied exactly once. A GTID range in no archived file is an error naming it.
 */
export interface PitrPlan {
  base: BackupRow;
  baseManifest: Manifest;
  binlogs: BackupRow[];
  to: Date;
  /**
   * Joined by GTID: per binlog, the GTID position already applied before it (replay starts after
   * it) and, when the next file comes from another server, where to stop in this one (the next
   * file's Gtid_list: from there on the next server's history is replayed).
   */
  gtid?: { from: string; stop?: string }[];
}

/** `baseId`: use this full backup as the base instead of the newest one before `to`. */
export async function planPointInTime(ctx: DatabaseBackupContext, to: Date, baseId?: string): Promise<PitrPlan> {
  const rows = await listBackups(ctx);
  // safety backups are a base only when named (like `restore latest`, the newest regular full backup otherwise)
  const bases = rows.filter((r) => r.type === 'full' && r.status === 'complete' && r.binlog_file && fromDbTime(r.started_at) <= to && (baseId ? r.id === baseId : r.safety === 0));
  const base = bases.at(-1);
  if (!base) throw notFound(`${baseId ? `full backup ${baseId} with binlog coordinates` : 'full backup with binlog coordinates'} taken before ${to.toISOString()}`);
  const m = manifestOf(base);
  const archives = rows.filter((r) => (r.type === 'incremental' || r.type === 'binlog') && r.status === 'complete' && r.binlog_file);
  try {
    return { base, baseManifest: m, binlogs: serverChain(archives, m, to), to };
  } catch (single) {
    // not reachable on the backup's own server: join the servers' files by GTID
    if (m.coordinates?.gtid === undefined) throw single;
    return { base, baseManifest: m, ...gtidChain(archives, m.coordinates.gtid, m.source.serverId, to), to };
  }
}

/** The backup's server's files in sequence from its coordinates until one reaches `to`. */
function serverChain(rows: BackupRow[], m: Manifest, to: Date): BackupRow[] {
  const start = m.coordinates!;
  const archives = rows.filter((r) => r.server_id === m.source.serverId).sort((a, b) => seqOf(a.binlog_file!) - seqOf(b.binlog_file!));
  const chain: BackupRow[] = [];
  let expected = seqOf(start.binlogFile);
  for (const a of preferWhole(archives)) {
    const n = seqOf(a.binlog_file!);
    if (n < expected) continue;
    if (n > expected)
      throw new AppError('INVALID', `binlog chain broken: ${a.binlog_file} follows a missing file (sequence ${expected}); point-in-time restore past it is impossible`);
    chain.push(a);
    expected++;
    if (a.last_event_at && fromDbTime(a.last_event_at) >= to) break;
    // only the first part of the file is archived (the primary moved away): the rest is elsewhere
    if (isPartial(a)) throw new AppError('INVALID', `binlog chain broken: only the start of ${a.binlog_file} is archived (${a.id})`);
  }
  if (!chain.length) throw new AppError('INVALID', `no archived binlog starts at ${start.binlogFile}; run backup incremental first`);
  reaches(chain, to);
  return chain;
}

function reaches(chain: BackupRow[], to: Date): void {
  const lastEvent = chain.at(-1)?.last_event_at;
  if (!lastEvent || fromDbTime(lastEvent) < to) {
    throw new AppError(
      'INVALID',
      `binlogs are archived only up to ${lastEvent ?? 'nothing'} (UTC); run backup incremental (or keep backup stream running) to reach ${to.toISOString()}`,
    );
  }
}

const total = (p: GtidPosition) => [...p.values()].reduce((n, g) => n + g.seq, 0);

/**
 * Files of any server, joined by GTID from `fromGtid` until one reaches `to`: each next file is one
 * whose Gtid_list the chain has reached and that holds transactions beyond it — the one starting
 * latest (least replayed twice), preferring on a tie the previous file's server (the backup's first).
 */
function gtidChain(rows: BackupRow[], fromGtid: string, baseServerId: number | undefined, to: Date): { binlogs: BackupRow[]; gtid: NonNullable<PitrPlan['gtid']> } {
  const files = rows.flatMap((r) => {
    const g = archiveGtids(r);
    return g ? [{ r, ...g }] : [];
  });
  const chain: typeof files = [];
  let applied = parseGtidPosition(fromGtid);
  for (;;) {
    const last = chain.at(-1);
    if (last?.r.last_event_at && fromDbTime(last.r.last_event_at) >= to) break;
    const prefer = last ? last.r.server_id : baseServerId;
    const next = files
      .filter((f) => covers(applied, f.start) && goesBeyond(f.end, applied))
      .sort((a, b) => total(b.start) - total(a.start) || Number(b.r.server_id === prefer) - Number(a.r.server_id === prefer) || total(b.end) - total(a.end))[0];
    if (!next) {
      const later = files.filter((f) => goesBeyond(f.end, applied)).sort((a, b) => total(a.start) - total(b.start))[0];
      if (later) {
        throw new AppError(
          'INVALID',
          `binlog chain broken: GTIDs ${missingRange(applied, later.start)} are in no archived binlog (the next archived one, ${later.r.id}, starts after ${formatGtidPosition(later.start)}); point-in-time restore past ${last?.r.last_event_at ?? 'the full backup'} (UTC) is impossible`,
        );
      }
      break;
    }
    chain.push(next);
    applied = mergePositions(applied, next.end);
  }
  if (!chain.length) throw new AppError('INVALID', `no archived binlog holds the transactions after the full backup's GTID position ${fromGtid}; run backup incremental first`);
  reaches(
    chain.map((c) => c.r),
    to,
  );
  // Replay windows: each file from what is applied before it; a file followed by another server's
  // stops where that one starts (from there the next server's history is the one replayed).
  const binlogs: BackupRow[] = [];
  const gtid: NonNullable<PitrPlan['gtid']> = [];
  let before = parseGtidPosition(fromGtid);
  chain.forEach((c, i) => {
    const next = chain[i + 1];
    const stop = next && next.r.server_id !== c.r.server_id && goesBeyond(c.end, next.start) ? next.start : undefined;
    if (stop && covers(before, stop)) return; // nothing of it before the next server's history starts
    binlogs.push(c.r);
    gtid.push({ from: formatGtidPosition(before), ...(stop ? { stop: formatGtidPosition(stop) } : {}) });
    before = mergePositions(before, stop ?? c.end);
  });
  return { binlogs, gtid };
}

/** `YYYY-MM-DD HH:mm:ss` (UTC) for mariadb-binlog run with TZ=UTC. */
const binlogTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

// mariadb-binlog prints the sequence number and the originating server as versioned comments:
// "/*M!100001 SET @@session.gtid_seq_no=34*" + "/", "/*M!100001 SET @@session.server_id=101*" + "/".
const GTID_SEQ_NO = /^(\/\*M?!\d+ )?SET @@session\.(gtid_seq_no|server_id)=\d+/;

/**
 * Drops the GTID sequence numbers and server ids of replayed events, so the server logs them as its
 * own new transactions (strict mode) — never under another server's id, which that server, were it
 * a replica of this one, would skip as its own events (and its replication would then break).
 */
function stripGtidSeqNo(): Transform {
  let rest = '';
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      cb(
        null,
        lines
          .filter((l) => !GTID_SEQ_NO.test(l))
          .map((l) => `${l}\n`)
          .join(''),
      );
    },
    flush(cb) {
      cb(null, GTID_SEQ_NO.test(rest) ? '' : rest);
    },
  });
}

/** Replays the plan's binlogs into `targetDb`; returns the time of the last event replayed. */
export async function applyBinlogs(
  ctx: DatabaseBackupContext,
  plan: PitrPlan,
  targetDb: string,
  onProgress?: ProgressListener,
): Promise<{ lastEventAt?: string; files: string[] }> {
  const tools = await detectTools();
  const dir = mkdtempSync(join(tmpdir(), 'mcp-pitr-'));
  const target = primaryTarget(ctx);
  try {
    const files: string[] = [];
    for (const [i, b] of plan.binlogs.entries()) {
      const m = manifestOf(b);
      const opened = await openArchive(ctx, b, m);
      // servers name their files alike: one directory per file of the chain
      mkdirSync(join(dir, String(i)), { mode: 0o700 });
      const file = join(dir, String(i), m.binlog!.file);
      await pipeline(opened.stored, ...opened.stages(), createWriteStream(file, { mode: 0o600 }));
      opened.checkDigest();
      files.push(file);
    }
    const origin = plan.baseManifest.source.database;
    const common = [
      '--no-defaults',
      `--stop-datetime=${binlogTime(plan.to)}`,
      ...(origin !== targetDb ? [`--rewrite-db=${origin}->${targetDb}`] : []),
      // mariadb-binlog filters on the name in the log, before rewriting it
      `--database=${origin}`,
    ];
    // One server's files: one pass from the backup's position. Joined by GTID: one pass per file,
    // each from the GTID position applied before it (and up to where the next server takes over).
    const passes = plan.gtid
      ? plan.gtid.map((g, i) => [...common, ...(g.from ? [`--start-position=${g.from}`] : []), ...(g.stop ? [`--stop-position=${g.stop}`] : []), files[i]!])
      : [[...common, `--start-position=${plan.baseManifest.coordinates!.binlogPos}`, ...files]];
    let current: ReturnType<typeof spawn> | undefined;
    async function* decoded(): AsyncGenerator<Buffer> {
      for (const args of passes) {
        const decode = spawn(tools.binlog, args, { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
        current = decode;
        let decodeErr = '';
        decode.stderr!.on('data', (d: Buffer) => (decodeErr = (decodeErr + d.toString()).slice(-2000)));
        const exited = new Promise<number | null>((resolve) => decode.on('close', resolve));
        for await (const chunk of decode.stdout!) yield chunk as Buffer;
        const code = await exited;
        if (code !== 0) throw new AppError('INVALID', `${tools.binlog} failed: ${decodeErr.trim().split('\n').pop() ?? code}`);
      }
      current = undefined;
    }
    let lastEventAt: string | undefined;
    const watch = new Transform({
      transform(chunk: Buffer, _e, cb) {
        for (const line of chunk.toString('utf8').split('\n')) lastEventAt = parseEventTime(line) ?? lastEventAt;
        cb(null, chunk);
      },
    });
    const client = spawnTool(tools.client, target, ['--default-character-set=utf8mb4', '--binary-mode', targetDb], { stdin: 'pipe' });
    await allOrAbort([pipeline(Readable.from(decoded()), watch, stripGtidSeqNo(), progressMeter('重放 binlog', onProgress), client.child.stdin!), client.done] as const, () => {
      current?.kill('SIGTERM');
      client.child.kill('SIGTERM');
    });
    return { lastEventAt, files: plan.binlogs.map((b) => b.binlog_file!) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
