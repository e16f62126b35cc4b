import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, basename, join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { AppError } from '../../errors/appError.js';
import type { ProgressListener } from '../progress.js';
import type { BackupKey } from './archive.js';
import { backupId, reconcileOrphans, type BackupContext, type BackupRow } from './catalog.js';
import { writeBackup } from './writeBackup.js';

/**
 * Configuration and log archives (SPEC BAK-4, manual §5.1–5.2): a tar of the given files and
 * directories, compressed and encrypted like every other backup, with a manifest. Secrets
 * (`<data dir>/secrets`) are never included. A config archive always holds the platform's effective
 * configuration with its secrets removed (`effective-config.yaml`, from `ctx.effectiveConfig`), so it
 * succeeds on a set-up without configuration files; the files of `paths` that exist join it.
 */
export async function archiveFiles(
  ctx: BackupContext & { key: BackupKey; effectiveConfig?: string },
  type: 'config' | 'logs',
  paths: string[],
  onProgress?: ProgressListener,
): Promise<BackupRow> {
  const present = paths.map((p) => resolve(p)).filter((p) => existsSync(p));
  const effective = type === 'config' ? ctx.effectiveConfig : undefined;
  if (!present.length && effective === undefined) throw new AppError('INVALID', `nothing to archive for ${type}: none of ${paths.join(', ') || '(no paths configured)'} exists`);
  await reconcileOrphans(ctx);
  const started = ctx.clock.now();
  const id = backupId(type, started);
  return writeBackup(ctx, {
    id,
    type,
    dataKey: `${type}/${id}/data.tar.zst.enc`,
    started,
    step: type,
    onProgress,
    open: async () => {
      // -C per entry keeps archive paths relative (restorable anywhere with tar -C).
      let scratch: string | undefined;
      if (effective !== undefined) {
        scratch = mkdtempSync(join(tmpdir(), 'mcp-config-'));
        writeFileSync(join(scratch, EFFECTIVE_CONFIG), effective, { mode: 0o600 });
      }
      const entries = [...(scratch ? [join(scratch, EFFECTIVE_CONFIG)] : []), ...present];
      const args = ['-cf', '-', '--exclude=secrets', '--exclude=*.partial-*', ...entries.flatMap((p) => ['-C', dirname(p), basename(p)])];
      const cleanup = () => void (scratch && rmSync(scratch, { recursive: true, force: true }));
      let tar: ReturnType<typeof spawn> | undefined;
      const start = (stdout: Writable) => {
        const child = (tar = spawn('tar', args, { stdio: ['ignore', stdout, 'pipe'] }));
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
        // exit 1 is "a file changed while being read": expected for live logs
        return new Promise<void>((res, rej) => {
          child.on('error', (e) => rej(new AppError('UNAVAILABLE', `cannot run tar: ${e.message}`)));
          child.on('close', (code) => (code === 0 || code === 1 ? res() : rej(new AppError('INVALID', `tar failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`))));
        }).finally(cleanup);
      };
      return {
        input: { start },
        dispose: () => {
          if (tar && tar.exitCode === null) tar.kill('SIGTERM');
          cleanup();
        },
      };
    },
    describe: () => ({ source: { dialect: 'files', database: [...(effective !== undefined ? [EFFECTIVE_CONFIG] : []), ...present].join(',') }, tools: { tar: 'GNU tar' } }),
  });
}

/** Name of the redacted effective configuration inside a config archive. */
export const EFFECTIVE_CONFIG = 'effective-config.yaml';
