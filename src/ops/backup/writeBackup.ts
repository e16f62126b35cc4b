import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { progressReporter, type ProgressListener } from '../progress.js';
import { encryptStream, type BackupKey } from './archive.js';
import { completeRow, failRow, listBackups, manifestKey, manifestOf, startRow, type BackupContext, type BackupRow, type BackupType, type Manifest } from './catalog.js';
import { digestTap } from './digestTap.js';
import { compress, type Compression, type RawInput } from './zstd.js';

/**
 * The one way an artefact enters storage: a catalog row marked running, the source's raw bytes
 * compressed by zstd (node never copies them), the compressed stream encrypted and hashed in one
 * pass into local storage, a manifest beside it, the
 * remote copy, the row marked complete. On any failure the partial artefact is removed and the row
 * marked failed — nothing half-written is ever listed as good.
 */
export interface BackupSource {
  /** A file, or a producer process (a dump, tar) writing into zstd. */
  input: RawInput;
  /** Expected raw size, for the ETA. */
  estimatedBytes?: number;
  /** Stops the producer and removes its temporary files; called once, whatever happened. */
  dispose(): void;
}

/** What the manifest says about the source, known once the data is stored. */
export type SourceDescription = Pick<Manifest, 'source' | 'tools'> & Partial<Pick<Manifest, 'tables' | 'coordinates' | 'binlog'>>;

export interface BackupSpec {
  id: string;
  type: BackupType;
  dataKey: string;
  started: Date;
  /** Progress label, e.g. 全量备份. */
  step: string;
  onProgress?: ProgressListener;
  open(): Promise<BackupSource>;
  /** Called once the data is stored; `stored.rawHead()` decodes the start of what was stored. */
  describe(stored: Pick<Compression, 'rawHead'>): SourceDescription | Promise<SourceDescription>;
}

export async function writeBackup(ctx: BackupContext & { key: BackupKey }, spec: BackupSpec): Promise<BackupRow> {
  await startRow(ctx, spec.id, spec.type, spec.dataKey, spec.started);
  ctx.log.info({ backup: spec.id, type: spec.type }, 'backup started');
  let source: BackupSource | undefined;
  try {
    const src = (source = await spec.open());
    const zstd = compress(src.input);
    const progress = progressReporter(spec.step, spec.onProgress, src.estimatedBytes);
    const poll = setInterval(() => progress.update(zstd.bytesRead()), 500);
    const tap = digestTap();
    const body = new PassThrough();
    let put: { size: number };
    try {
      [, , put] = await allOrAbort([pipeline(zstd.output, encryptStream(ctx.key), tap, body), zstd.produced, ctx.local.put(spec.dataKey, body)] as const, (e) => {
        body.destroy(e);
        src.dispose();
        zstd.kill();
      });
    } finally {
      clearInterval(poll);
    }
    const rawBytes = zstd.rawBytes();
    progress.finish(rawBytes);
    const manifest: Manifest = {
      format: 1,
      id: spec.id,
      type: spec.type,
      startedAt: spec.started.toISOString(),
      finishedAt: ctx.clock.now().toISOString(),
      dataKey: spec.dataKey,
      rawBytes,
      storedBytes: put.size,
      sha256: tap.sha256(),
      compression: 'zstd',
      encryption: { cipher: 'aes-256-gcm-stream', keyId: ctx.key.id },
      ...(await spec.describe(zstd)),
    };
    const locations = await store(ctx, manifest);
    const row = await completeRow(ctx, manifest, locations);
    ctx.log.info({ backup: spec.id, rawBytes: manifest.rawBytes, storedBytes: manifest.storedBytes, locations }, 'backup finished');
    return row;
  } catch (e) {
    // the manifest first: one without its data would describe a backup that is not there
    await ctx.local.delete(manifestKey(spec.dataKey)).catch(() => {});
    await ctx.local.delete(spec.dataKey).catch(() => {});
    await failRow(ctx, spec.id, (e as Error).message).catch(() => {});
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
