import { execFile, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { AppError } from '../../errors/appError.js';
import { waitAtMost } from '../../infra/timeouts.js';
import { archiveLocalBinlog, binlogBackupId, followStart, logFollow, requireMysql } from './binlogArchive.js';
import { BINLOG_NAME, ROTATE_EVENT, STOP_EVENT, baseOf, bySeq, fileRange, scanBinlog, seqOf, type BinlogScan, withSeq } from './binlogFile.js';
import { reconcileOrphans } from './catalog.js';
import type { DatabaseBackupContext } from './databaseBackup.js';
import { detectTools, primaryTarget, spawnTool } from './mysqlTools.js';
import { acquireLock } from './spoolLock.js';

/**
 * Real-time binlog streaming (SPEC BAK-3; the manual's §6.2 "binlog real-time backup", done right):
 * a supervised `mariadb-binlog --read-from-remote-server --raw --stop-never` copies the server's
 * binary log into a local spool directory as it is written (RPO: seconds). Whenever the server
 * rotates, the previous spooled file is complete and is archived exactly like `backup incremental`
 * does (zstd + AES-GCM + manifest + catalog row, type `binlog`, `binlog/<serverId>/<file>/…`),
 * then removed from the spool. The active file stays spooled; the next run resumes from it.
 *
 * - Supervision: when the tool exits (server restart, network cut, kill) it is restarted with a
 *   capped exponential backoff, resuming from the newest spooled file (the tool rewrites it from
 *   the start, so a partially written tail is replaced). A stalled connection (the server is ahead,
 *   the spool has not grown for `stallMs`) is killed and restarted too.
 * - Gaps: if the server no longer has the files after the last one archived or spooled (purged
 *   while the stream was down), the gap is recorded, logged as an error, and streaming continues
 *   from the oldest file the server has.
 * - Live RPO: the spooled file's event headers are walked incrementally (each event starts with a
 *   4-byte little-endian UNIX timestamp) to know the time of the newest spooled event; SHOW MASTER
 *   STATUS tells whether the spool has everything the server has written (`caughtUp`).
 * - Credentials go to the tool through a 0600 option file, never its command line.
 */
export interface StreamStatus {
  running: boolean;
  /** pid of the running mariadb-binlog/mysqlbinlog process. */
  pid?: number;
  /** The newest spooled file (the one being written). */
  currentFile?: string;
  /** Its size: the server position the spool has reached in that file. */
  spooledBytes?: number;
  /** The server's current binlog file and position (SHOW MASTER STATUS), when it answered. */
  serverFile?: string;
  serverPosition?: number;
  /** The spool holds everything the server has written (same file, same size). */
  caughtUp: boolean;
  /** Time of the newest event spooled (ISO, second resolution as in the binlog). */
  lastEventAt?: string;
  /** now − lastEventAt: grows while the server is idle too — read it with `caughtUp`. */
  rpoSeconds?: number;
  /** How many times the tool was started again after its first start. */
  restarts: number;
  /** Files archived by this stream, oldest first (the newest 500). */
  archived: string[];
  /** Binlog ranges lost because the server purged them before they were streamed. */
  gaps: string[];
  /** Last failure: the tool's stderr tail or the archiving error (never credentials). */
  lastError?: string;
  /** The replica server id the stream connects with. */
  serverIdForStream: number;
  /** `host:port` and server id of the server being streamed (the primary when it started). */
  source?: string;
  sourceServerId?: number;
  /** Switches to a new primary (switchover, failover), oldest first: time, servers, first file streamed. */
  switches: string[];
}

export interface BinlogStreamer {
  stop(): Promise<void>;
  status(): StreamStatus;
  /** Settles once the stream has stopped (after `stop()`). */
  done: Promise<void>;
}

export interface BinlogStreamOptions {
  spoolDir: string;
  /** Replica server id for the binlog dump; default: kept in the spool dir, else 1 000 000 + random. */
  serverIdForStream?: number;
  /** First restart delay; doubles per failed attempt up to 30 s. Default 1000. */
  restartDelayMs?: number;
  /** Archive / RPO / status cadence. Default 1000. */
  pollMs?: number;
  /** No spool growth for this long while the server is ahead → the tool is killed and restarted. Default 30 000. */
  stallMs?: number;
  onStatus?: (s: StreamStatus) => void;
}

const MAX_BACKOFF_MS = 30_000;
/** status().archived and .gaps keep the newest entries only (a stream runs for months). */
const KEEP_NAMES = 500;
const STATE = '.stream.json';

/** MySQL's mysqlbinlog names the replica id option `--connection-server-id`; MariaDB's `--stop-never-slave-server-id`. */
async function serverIdOption(tool: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(tool, ['--no-defaults', '--help'], { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 });
    if (/--connection-server-id\b/.test(stdout)) return '--connection-server-id';
    if (/--stop-never-slave-server-id\b/.test(stdout)) return '--stop-never-slave-server-id';
  } catch {
    /* fall back to the name */
  }
  return /mariadb/i.test(tool) ? '--stop-never-slave-server-id' : '--connection-server-id';
}

function streamServerId(dir: string, given?: number): number {
  if (given !== undefined) {
    if (!Number.isInteger(given) || given < 1 || given > 0xffffffff) throw new AppError('INVALID', `serverIdForStream must be an integer 1..4294967295 (got ${given})`);
    return given;
  }
  // Kept in the spool so a restarted stream reuses it: the server then drops the old connection's
  // dump thread at once instead of keeping it (and the files it holds) until it notices.
  const path = join(dir, STATE);
  try {
    const saved = (JSON.parse(readFileSync(path, 'utf8')) as { serverIdForStream?: unknown }).serverIdForStream;
    if (typeof saved === 'number' && Number.isInteger(saved) && saved > 0) return saved;
  } catch {
    /* none yet */
  }
  const id = 1_000_000 + randomInt(1_000_000_000);
  writeFileSync(path, JSON.stringify({ serverIdForStream: id }), { mode: 0o600 });
  return id;
}

export async function startBinlogStream(ctx: DatabaseBackupContext, opts: BinlogStreamOptions): Promise<BinlogStreamer> {
  requireMysql(ctx, 'backup stream');
  const info = (await sql<{ log_bin: number }>`select @@log_bin as log_bin`.execute(ctx.database.db)).rows[0]!;
  if (Number(info.log_bin) !== 1) throw new AppError('INVALID', 'the binary log is off on this server (log_bin); backup stream needs it');
  // The spool holds plaintext binlog data until it is archived: keep it private.
  opts = { ...opts, spoolDir: resolve(opts.spoolDir) };
  mkdirSync(opts.spoolDir, { recursive: true, mode: 0o700 });
  chmodSync(opts.spoolDir, 0o700);
  const release = acquireLock(opts.spoolDir);
  try {
    const tools = await detectTools();
    const idOption = await serverIdOption(tools.binlog);
    const serverIdForStream = streamServerId(opts.spoolDir, opts.serverIdForStream);
    await reconcileOrphans(ctx);
    const s = new Stream(ctx, opts, tools.binlog, idOption, serverIdForStream, release);
    s.begin();
    return s;
  } catch (e) {
    release();
    throw e;
  }
}

class Stream implements BinlogStreamer {
  done!: Promise<void>;
  private stopping = false;
  private wake!: () => void;
  private readonly stopped = new Promise<void>((r) => (this.wake = r));
  private child: ChildProcess | undefined;
  private childExited: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private archiving: Promise<void> | undefined;
  private scan: { file: string; scan: BinlogScan } | undefined;
  private progress = { key: '', at: 0 };
  private lastLogged = '';
  /** Set while the tool is stopped to follow a new primary (`host:port (server id)`). */
  private primaryMoved: string | undefined;
  /** Why the watchdog killed the tool, reported instead of the tool's own "killed" error. */
  private killedBecause: string | undefined;
  private readonly gapSet = new Set<string>();
  private readonly st: Omit<StreamStatus, 'rpoSeconds'>;
  private readonly restartDelayMs: number;
  private readonly pollMs: number;
  private readonly stallMs: number;

  constructor(
    private readonly ctx: DatabaseBackupContext,
    private readonly opts: BinlogStreamOptions,
    private readonly tool: string,
    private readonly idOption: string,
    serverIdForStream: number,
    private readonly release: () => void,
  ) {
    this.restartDelayMs = Math.max(50, opts.restartDelayMs ?? 1000);
    this.pollMs = Math.max(50, opts.pollMs ?? 1000);
    this.stallMs = Math.max(500, opts.stallMs ?? 30_000);
    this.st = { running: false, caughtUp: false, restarts: 0, archived: [], gaps: [], switches: [], serverIdForStream };
  }

  begin(): void {
    this.done = Promise.all([this.supervise(), this.pollLoop()])
      .then(() => this.archiving)
      .then(() => undefined)
      .finally(() => {
        this.release();
        this.ctx.log.info({ spool: this.opts.spoolDir }, 'binlog stream stopped');
      });
    this.done.catch(() => {});
  }

  status(): StreamStatus {
    const now = this.ctx.clock.now().getTime();
    const rpo = this.st.lastEventAt ? Math.max(0, (now - new Date(this.st.lastEventAt).getTime()) / 1000) : undefined;
    return {
      ...this.st,
      archived: [...this.st.archived],
      gaps: [...this.st.gaps],
      switches: [...this.st.switches],
      ...(rpo === undefined ? {} : { rpoSeconds: Math.round(rpo * 10) / 10 }),
    };
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.wake();
      await this.endChild();
    }
    await this.done;
  }

  // -- supervision --------------------------------------------------------------------------

  private async supervise(): Promise<void> {
    let delay = this.restartDelayMs;
    let started = false;
    while (!this.stopping) {
      const t0 = Date.now();
      let progressed = false;
      try {
        const first = await this.serialized(() => this.prepare());
        if (this.stopping) break;
        if (started) this.st.restarts++;
        started = true;
        progressed = await this.runTool(first.file, first.serverId);
      } catch (e) {
        this.recordError(e, 'backup stream cannot start');
      }
      if (this.stopping) break;
      if (this.primaryMoved) {
        // not a failure: the tool was stopped to follow the new primary, start on it at once
        this.primaryMoved = undefined;
        continue;
      }
      if (progressed || Date.now() - t0 > MAX_BACKOFF_MS) delay = this.restartDelayMs;
      this.ctx.log.warn({ retryInMs: delay, restarts: this.st.restarts, err: this.st.lastError }, 'binlog stream interrupted; restarting');
      await this.sleep(delay);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  /** Runs the tool until it exits; true when it spooled anything. */
  private async runTool(first: string, serverId: number): Promise<boolean> {
    const sizeBefore = this.spoolBytes();
    try {
      const args = ['--read-from-remote-server', '--raw', '--stop-never', `${this.idOption}=${this.st.serverIdForStream}`, `--result-file=${this.opts.spoolDir}/`, first];
      const target = primaryTarget(this.ctx);
      const t = spawnTool(this.tool, target, args);
      this.st.source = `${target.host}:${target.port}`;
      this.st.sourceServerId = serverId;
      this.child = t.child;
      this.childExited = t.done.then(
        () => undefined,
        () => undefined,
      );
      this.st.running = true;
      this.st.pid = t.child.pid;
      this.progress = { key: '', at: Date.now() };
      this.ctx.log.info({ from: first, pid: t.child.pid, serverIdForStream: this.st.serverIdForStream, spool: this.opts.spoolDir }, 'binlog stream running');
      this.emit();
      try {
        await t.done;
        if (!this.stopping && !this.primaryMoved) this.recordError(new Error(this.killedBecause ?? `${this.tool} exited without an error`), 'binlog stream tool exited');
      } catch (e) {
        if (!this.stopping && !this.primaryMoved) this.recordError(this.killedBecause ? new Error(this.killedBecause) : e, 'binlog stream tool exited');
      }
    } finally {
      this.child = undefined;
      this.childExited = undefined;
      this.killedBecause = undefined;
      this.st.running = false;
      delete this.st.pid;
      this.emit();
    }
    return this.spoolBytes() !== sizeBefore;
  }

  private async endChild(): Promise<void> {
    const child = this.child;
    const exited = this.childExited;
    if (!child || !exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Before every (re)start: archives the complete spooled files, then picks the file to stream
   * from — the newest spooled one if the server still has it, else (gap) the first one the server
   * has that the catalog lacks.
   */
  private async prepare(): Promise<{ file: string; serverId: number }> {
    const current = Number((await sql<{ id: number }>`select @@server_id as id`.execute(this.ctx.database.db)).rows[0]!.id);
    const file = await this.firstFile(current);
    const previous = this.st.sourceServerId;
    if (previous !== undefined && previous !== current) {
      const note = `${this.ctx.clock.now().toISOString()} ${this.st.source} (server ${previous}) → ${primaryTarget(this.ctx).host}:${primaryTarget(this.ctx).port} (server ${current}) from ${file}`;
      this.st.switches.push(note);
      if (this.st.switches.length > KEEP_NAMES) this.st.switches.shift();
      this.ctx.log.warn({ from: this.st.source, fromServerId: previous, serverId: current, file }, `backup stream follows the new primary: ${note}`);
      this.emit();
    }
    return { file, serverId: current };
  }

  private async firstFile(current: number): Promise<string> {
    const logs = (await sql<{ Log_name: string }>`show binary logs`.execute(this.ctx.database.db)).rows.map((r) => r.Log_name);
    if (!logs.length) throw new AppError('UNAVAILABLE', 'the server lists no binary logs');
    await this.archiveCompleted();
    let partial: { file: string; offset: number } | undefined;
    const newest = this.spooled().at(-1);
    if (newest) {
      const scan = await scanBinlog(join(this.opts.spoolDir, newest));
      const fromThisServer = scan.serverId === undefined || scan.serverId === current;
      if (fromThisServer && logs.includes(newest)) return newest;
      // The server no longer has it (purged while we were down), or it came from another server
      // (the spool followed a switchover): what we have is all there will be — archive it.
      const finished = scan.lastType === ROTATE_EVENT || scan.lastType === STOP_EVENT;
      // the old primary's active file: archived as far as we have it (the rest may come later, whole)
      const outcome = await this.archiveSpooled(newest, true, !fromThisServer && !finished);
      if (outcome === 'busy') throw new AppError('CONFLICT', `${newest} is being archived by another process; retrying`);
      if (outcome === 'archived' && !finished && fromThisServer) partial = { file: newest, offset: scan.offset };
    }
    // The primary changed since the last archived file: continue on this one where the archive ends (by GTID).
    const follow = await followStart(this.ctx, current, logs);
    if (follow) {
      logFollow(this.ctx, 'backup stream', current, follow);
      if (follow.gap) this.recordGap(`GTIDs ${follow.gap} (neither archived nor on server ${current})`);
      return follow.file;
    }
    const archived = await this.archivedFiles(current);
    const last = archived
      .filter((f) => baseOf(f) === baseOf(logs[0]!))
      .sort(bySeq)
      .at(-1);
    const oldest = logs[0]!;
    if (last && seqOf(oldest) > seqOf(last) + 1) {
      const lost = fileRange(withSeq(last, seqOf(last) + 1), withSeq(last, seqOf(oldest) - 1));
      this.recordGap(partial && partial.file === last ? `${last} (from byte ${partial.offset}) and ${lost} missing` : `${lost} missing`);
    } else if (partial) {
      this.recordGap(`${partial.file} (from byte ${partial.offset}) missing`);
    }
    const have = new Set(archived);
    // this server's chain starts at its first archived file (the files before it came from another server's archive)
    const first = [...archived].sort(bySeq)[0];
    return logs.find((f) => !have.has(f) && (!first || baseOf(f) !== baseOf(first) || bySeq(f, first) > 0)) ?? logs.at(-1)!;
  }

  private recordGap(gap: string): void {
    if (this.gapSet.has(gap)) return;
    this.gapSet.add(gap);
    this.st.gaps.push(gap);
    if (this.st.gaps.length > KEEP_NAMES) this.st.gaps.shift();
    this.ctx.log.error(
      { gap, spool: this.opts.spoolDir },
      `BINLOG GAP: ${gap} — the server purged these binary logs before they were streamed; point-in-time recovery cannot cross this gap. Take a full backup now.`,
    );
    this.emit();
  }

  private async archivedFiles(serverId: number): Promise<string[]> {
    const rows = await this.ctx.database.db
      .selectFrom('backups')
      .select(['id', 'binlog_file'])
      .where('status', '=', 'complete')
      .where('type', 'in', ['incremental', 'binlog'])
      .where('server_id', '=', serverId)
      .execute();
    return rows.map((r) => r.binlog_file).filter((f): f is string => !!f);
  }

  // -- spool and archiving ------------------------------------------------------------------

  private spooled(): string[] {
    return readdirSync(this.opts.spoolDir)
      .filter((f) => BINLOG_NAME.test(f))
      .sort(bySeq);
  }

  private spoolBytes(): string {
    return this.spooled()
      .map((f) => `${f}:${statSync(join(this.opts.spoolDir, f), { throwIfNoEntry: false })?.size ?? 0}`)
      .join(',');
  }

  /** Every spooled file but the newest is complete: the tool moved on to the next one. */
  private async archiveCompleted(): Promise<void> {
    for (const f of this.spooled().slice(0, -1)) {
      if (this.stopping) break;
      if ((await this.archiveSpooled(f, false)) === 'busy') break;
    }
  }

  /**
   * Archives one spooled file and removes it from the spool: skipped (and removed) when the
   * catalog already has it complete (e.g. `backup incremental` got there first); left alone while
   * another process is archiving it.
   */
  private async archiveSpooled(file: string, final: boolean, leftBehind = false): Promise<'archived' | 'skipped' | 'busy'> {
    const path = join(this.opts.spoolDir, file);
    const scan = await scanBinlog(path);
    if (scan.corrupt) {
      renameSync(path, `${path}.corrupt`);
      this.recordError(new Error(`${file}: ${scan.corrupt}; moved aside as ${file}.corrupt`), 'spooled binlog file is damaged');
      return 'skipped';
    }
    const serverId = scan.serverId ?? Number((await sql<{ id: number }>`select @@server_id as id`.execute(this.ctx.database.db)).rows[0]!.id);
    const upTo = leftBehind ? scan.offset : undefined;
    const id = binlogBackupId(serverId, file, upTo);
    const row = await this.ctx.database.db.selectFrom('backups').select(['status', 'type']).where('id', '=', id).executeTakeFirst();
    if (row?.status === 'running') return 'busy';
    if (scan.events === 0) {
      rmSync(path, { force: true }); // created, then nothing received: nothing to keep
      return 'skipped';
    }
    if (row?.status !== 'complete') {
      const size = statSync(path).size;
      if (size > scan.offset) {
        // A torn last event (the tool was killed while writing it): keep whole events only.
        if (!final) this.ctx.log.warn({ file, size, complete: scan.offset }, 'spooled binlog ends with a partial event; archiving the complete events');
        await truncate(path, scan.offset);
      }
      await archiveLocalBinlog(this.ctx, serverId, path, file, 'binlog', upTo);
      this.st.archived.push(file);
      if (this.st.archived.length > KEEP_NAMES) this.st.archived.shift();
    } else {
      this.ctx.log.info({ file, backup: id, type: row.type }, 'binlog already archived; dropped from the spool');
    }
    rmSync(path, { force: true });
    if (this.scan?.file === file) this.scan = undefined;
    this.emit();
    return row?.status === 'complete' ? 'skipped' : 'archived';
  }

  // -- polling: archive rotated files, live RPO, caught-up, stall watchdog --------------------

  private async pollLoop(): Promise<void> {
    while (!this.stopping) {
      await this.poll().catch((e: unknown) => this.recordError(e, 'backup stream poll failed'));
      await this.sleep(this.pollMs);
    }
  }

  private async poll(): Promise<void> {
    await this.followPrimary();
    if (!this.archiving && this.spooled().length > 1) {
      this.archiving = this.serialized(() => this.archiveCompleted())
        .catch((e: unknown) => this.recordError(e, 'archiving a spooled binlog failed; will retry'))
        .finally(() => (this.archiving = undefined));
    }
    const newest = this.spooled().at(-1);
    if (newest) {
      const path = join(this.opts.spoolDir, newest);
      try {
        const prev = this.scan?.file === newest ? this.scan.scan : undefined;
        const scan = await scanBinlog(path, prev ?? (this.scan ? { offset: 0, maxTimestamp: this.scan.scan.maxTimestamp, events: 0 } : undefined));
        this.scan = { file: newest, scan };
        if (scan.maxTimestamp > 0) {
          const at = new Date(scan.maxTimestamp * 1000).toISOString();
          if (!this.st.lastEventAt || at > this.st.lastEventAt) this.st.lastEventAt = at;
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // archived meanwhile
      }
      this.st.currentFile = newest;
      this.st.spooledBytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    }
    const master = await this.masterStatus();
    if (master) {
      this.st.serverFile = master.file;
      this.st.serverPosition = master.position;
    } else {
      delete this.st.serverFile;
      delete this.st.serverPosition;
    }
    this.st.caughtUp = !!master && master.file === this.st.currentFile && master.position === this.st.spooledBytes;
    this.watchStall(!!master && !this.st.caughtUp);
    this.emit();
  }

  /**
   * A switchover or failover moved the primary (the pool's write target or the server id it
   * answers with changed): the tool, still reading the old server (a replica now), is stopped,
   * and the supervisor starts it on the new primary from the file where the archive ends.
   */
  private async followPrimary(): Promise<void> {
    const child = this.child;
    if (!child || this.primaryMoved || this.st.sourceServerId === undefined) return;
    const target = primaryTarget(this.ctx);
    const address = `${target.host}:${target.port}`;
    const serverId = Number((await sql<{ id: number }>`select @@server_id as id`.execute(this.ctx.database.db)).rows[0]!.id);
    if (address === this.st.source && serverId === this.st.sourceServerId) return;
    this.primaryMoved = `${address} (server ${serverId})`;
    this.ctx.log.warn({ from: this.st.source, fromServerId: this.st.sourceServerId, to: address, serverId }, 'the primary moved; backup stream switches to it');
    child.kill('SIGTERM');
  }

  private async masterStatus(): Promise<{ file: string; position: number } | undefined> {
    for (const q of [sql<{ File: string; Position: number }>`show master status`, sql<{ File: string; Position: number }>`show binary log status`]) {
      try {
        const r = (await q.execute(this.ctx.database.db)).rows[0];
        return r ? { file: r.File, position: Number(r.Position) } : undefined;
      } catch {
        /* MySQL 8.4 renamed it; or the server is down */
      }
    }
    return undefined;
  }

  /** A connection can hang without an error (half-open TCP): kill the tool when it stops following. */
  private watchStall(behind: boolean): void {
    const key = `${this.st.currentFile}:${this.st.spooledBytes}`;
    const now = Date.now();
    if (!behind || !this.child || key !== this.progress.key) {
      this.progress = { key, at: now };
      return;
    }
    if (now - this.progress.at >= this.stallMs) {
      this.killedBecause = `no binlog received for ${Math.round((now - this.progress.at) / 1000)} s while the server is ahead (${this.st.serverFile}:${this.st.serverPosition}); ${this.tool} restarted`;
      this.progress = { key, at: now };
      this.child.kill('SIGKILL');
    }
  }

  // -- plumbing -----------------------------------------------------------------------------

  /** prepare() and archiving never run at the same time. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private recordError(e: unknown, what: string): void {
    const message = (e as Error)?.message ?? String(e);
    this.st.lastError = message;
    if (message !== this.lastLogged) {
      this.lastLogged = message;
      this.ctx.log.warn({ err: message, spool: this.opts.spoolDir }, what);
    }
    this.emit();
  }

  private emit(): void {
    try {
      this.opts.onStatus?.(this.status());
    } catch {
      /* a listener's problem is not the stream's */
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return waitAtMost(this.stopped, ms);
  }
}
