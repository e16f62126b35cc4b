import { existsSync } from 'node:fs';
import { dirname, basename, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../errors/appError.js';
import { progressMeter, type ProgressListener } from '../progress.js';
import { compressStage, digestTap, encryptStream, type BackupKey } from './archive.js';
import { backupId, completeRow, failRow, reconcileOrphans, startRow, type BackupContext, type BackupRow, type Manifest } from './catalog.js';
import { allOrAbort, store } from './databaseBackup.js';

/**
 * Configuration and log archives (SPEC BAK-4, manual §5.1–5.2): a tar of the given files and
 * directories, compressed and encrypted like every other backup, with a manifest. Secrets
 * (`<data dir>/secrets`) are never included.
 */
export async function archiveFiles(
  ctx: BackupContext & { key: BackupKey },
  type: 'config' | 'logs',
  paths: string[],
  onProgress?: ProgressListener,
): Promise<BackupRow> {
  const present = paths.map((p) => resolve(p)).filter((p) => existsSync(p));
  if (!present.length) throw new AppError('INVALID', `nothing to archive for ${type}: none of ${paths.join(', ') || '(no paths configured)'} exists`);
  await reconcileOrphans(ctx);
  const started = ctx.clock.now();
  const id = backupId(type, started);
  const dataKey = `${type}/${id}/data.tar.zst.enc`;
  await startRow(ctx, id, type, dataKey, started);
  try {
    // -C per entry keeps archive paths relative (restorable anywhere with tar -C).
    const args = ['-cf', '-', '--exclude=secrets', '--exclude=*.partial-*', ...present.flatMap((p) => ['-C', dirname(p), basename(p)])];
    const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    tar.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const tarDone = new Promise<void>((res, rej) =>
      tar.on('close', (code) => (code === 0 || code === 1 ? res() : rej(new AppError('INVALID', `tar failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`)))),
    );
    const meter = progressMeter(type === 'config' ? '配置备份' : '日志备份', onProgress);
    const tap = digestTap();
    const body = new PassThrough();
    const [, , put] = await allOrAbort([pipeline(tar.stdout, meter, compressStage(), encryptStream(ctx.key), tap, body), tarDone, ctx.local.put(dataKey, body)] as const, (e) => {
      body.destroy(e);
      tar.kill('SIGTERM');
    });
    const manifest: Manifest = {
      format: 1,
      id,
      type,
      startedAt: started.toISOString(),
      finishedAt: ctx.clock.now().toISOString(),
      dataKey,
      rawBytes: meter.bytes(),
      storedBytes: put.size,
      sha256: tap.sha256(),
      compression: 'zstd',
      encryption: { cipher: 'aes-256-gcm-stream', keyId: ctx.key.id },
      source: { dialect: 'files', database: present.join(',') },
      tools: { tar: 'GNU tar' },
    };
    return await completeRow(ctx, manifest, await store(ctx, manifest));
  } catch (e) {
    await ctx.local.delete(dataKey).catch(() => {});
    await failRow(ctx, id, (e as Error).message).catch(() => {});
    throw e;
  }
}
