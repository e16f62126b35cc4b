import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, notFound } from '../../errors/appError.js';
import { fromDbTime } from '../../infra/db/time.js';
import { openArchive } from '../backup/archiveReader.js';
import { parseEventTime } from '../backup/binlogArchive.js';
import { seqOf } from '../backup/binlogFile.js';
import { listBackups, manifestOf, type BackupRow, type Manifest } from '../backup/catalog.js';
import type { DatabaseBackupContext } from '../backup/databaseBackup.js';
import { allOrAbort } from '../backup/writeBackup.js';
import { detectTools, primaryTarget, spawnTool } from '../backup/mysqlTools.js';
import { progressMeter, type ProgressListener } from '../progress.js';

/**
 * Point-in-time recovery (SPEC BAK-8): the newest full backup taken before T, then the archived
 * binlogs from that backup's coordinates up to T, replayed in one `mariadb-binlog` pass.
 */
export interface PitrPlan {
  base: BackupRow;
  baseManifest: Manifest;
  binlogs: BackupRow[];
  to: Date;
}

/** `baseId`: use this full backup as the base instead of the newest one before `to`. */
export async function planPointInTime(ctx: DatabaseBackupContext, to: Date, baseId?: string): Promise<PitrPlan> {
  const rows = await listBackups(ctx);
  // safety backups are a base only when named (like `restore latest`, the newest regular full backup otherwise)
  const bases = rows.filter((r) => r.type === 'full' && r.status === 'complete' && r.binlog_file && fromDbTime(r.started_at) <= to && (baseId ? r.id === baseId : r.safety === 0));
  const base = bases.at(-1);
  if (!base) throw notFound(`${baseId ? `full backup ${baseId} with binlog coordinates` : 'full backup with binlog coordinates'} taken before ${to.toISOString()}`);
  const m = manifestOf(base);
  const start = m.coordinates!;
  const archives = rows
    .filter((r) => (r.type === 'incremental' || r.type === 'binlog') && r.status === 'complete' && r.server_id === m.source.serverId && r.binlog_file)
    .sort((a, b) => seqOf(a.binlog_file!) - seqOf(b.binlog_file!));
  const chain: BackupRow[] = [];
  let expected = seqOf(start.binlogFile);
  for (const a of archives) {
    const n = seqOf(a.binlog_file!);
    if (n < expected) continue;
    if (n > expected)
      throw new AppError('INVALID', `binlog chain broken: ${a.binlog_file} follows a missing file (sequence ${expected}); point-in-time restore past it is impossible`);
    chain.push(a);
    expected++;
    if (a.last_event_at && fromDbTime(a.last_event_at) >= to) break;
  }
  if (!chain.length) throw new AppError('INVALID', `no archived binlog starts at ${start.binlogFile}; run backup incremental first`);
  const lastEvent = chain.at(-1)!.last_event_at;
  if (!lastEvent || fromDbTime(lastEvent) < to) {
    throw new AppError(
      'INVALID',
      `binlogs are archived only up to ${lastEvent ?? 'nothing'} (UTC); run backup incremental (or keep backup stream running) to reach ${to.toISOString()}`,
    );
  }
  return { base, baseManifest: m, binlogs: chain, to };
}

/** `YYYY-MM-DD HH:mm:ss` (UTC) for mariadb-binlog run with TZ=UTC. */
const binlogTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

// mariadb-binlog prints the sequence number as a versioned comment: "/*M!100001 SET @@session.gtid_seq_no=34*" + "/".
const GTID_SEQ_NO = /^(\/\*M?!\d+ )?SET @@session\.gtid_seq_no=\d+/;

/** Drops the GTID sequence numbers of replayed events, so the server gives them new ones (strict mode). */
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
    for (const b of plan.binlogs) {
      const m = manifestOf(b);
      const opened = await openArchive(ctx, b, m);
      const file = join(dir, m.binlog!.file);
      await pipeline(opened.stored, ...opened.stages(), createWriteStream(file, { mode: 0o600 }));
      opened.checkDigest();
      files.push(file);
    }
    const origin = plan.baseManifest.source.database;
    const args = [
      '--no-defaults',
      `--start-position=${plan.baseManifest.coordinates!.binlogPos}`,
      `--stop-datetime=${binlogTime(plan.to)}`,
      ...(origin !== targetDb ? [`--rewrite-db=${origin}->${targetDb}`] : []),
      // mariadb-binlog filters on the name in the log, before rewriting it
      `--database=${origin}`,
      ...files,
    ];
    const decode = spawn(tools.binlog, args, { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let decodeErr = '';
    decode.stderr.on('data', (d: Buffer) => (decodeErr = (decodeErr + d.toString()).slice(-2000)));
    const decoded = new Promise<void>((resolve, reject) =>
      decode.on('close', (code) => (code === 0 ? resolve() : reject(new AppError('INVALID', `${tools.binlog} failed: ${decodeErr.trim().split('\n').pop() ?? code}`)))),
    );
    let lastEventAt: string | undefined;
    const watch = new Transform({
      transform(chunk: Buffer, _e, cb) {
        for (const line of chunk.toString('utf8').split('\n')) lastEventAt = parseEventTime(line) ?? lastEventAt;
        cb(null, chunk);
      },
    });
    const client = spawnTool(tools.client, target, ['--default-character-set=utf8mb4', '--binary-mode', targetDb], { stdin: 'pipe' });
    await allOrAbort([pipeline(decode.stdout, watch, stripGtidSeqNo(), progressMeter('重放 binlog', onProgress), client.child.stdin!), decoded, client.done] as const, () => {
      decode.kill('SIGTERM');
      client.child.kill('SIGTERM');
    });
    return { lastEventAt, files: plan.binlogs.map((b) => b.binlog_file!) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
