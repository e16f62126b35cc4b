import type { Readable } from 'node:stream';
import { AppError } from '../../errors/appError.js';
import type { Storage } from '../../infra/storage/storage.js';
import { decryptStream, type BackupKey } from './archive.js';
import { digestTap } from './digestTap.js';
import { decompressStage } from './zstd.js';
import type { BackupContext, BackupRow, Manifest } from './catalog.js';

/**
 * Opens a backup's data for reading: checks the key first (a wrong or missing key fails before
 * anything touches a database), then gives the stages that turn stored bytes back into the dump.
 * The digest tap lets the caller compare the SHA-256 of what was read with the manifest.
 */
export interface OpenedArchive {
  stored: Readable;
  /** The stages from stored bytes to the original data; created on call (decompression is a child process). */
  stages(): [ReturnType<typeof digestTap>, ReturnType<typeof decryptStream>, ReturnType<typeof decompressStage>];
  /** Throws when the bytes read differ from the manifest's checksum. */
  checkDigest(): void;
  from: 'local' | 's3';
}

export function requireKey(m: Manifest, key: BackupKey): void {
  if (m.encryption.keyId !== key.id) {
    throw new AppError('INVALID', `backup ${m.id} was encrypted with key ${m.encryption.keyId}, but the configured MCP_BACKUP_KEY is key ${key.id}; set the key it was made with`, {
      backupKeyId: m.encryption.keyId,
      configuredKeyId: key.id,
    });
  }
}

export async function openArchive(ctx: BackupContext & { key: BackupKey }, row: BackupRow, m: Manifest): Promise<OpenedArchive> {
  requireKey(m, ctx.key);
  const sources: ['local' | 's3', Storage | undefined][] = [
    ['local', row.locations.includes('local') ? ctx.local : undefined],
    ['s3', row.locations.includes('s3') ? ctx.remote : undefined],
  ];
  let lastError: unknown = new AppError('NOT_FOUND', `backup ${m.id} is in no configured storage (locations: ${row.locations || 'none'})`);
  for (const [name, storage] of sources) {
    if (!storage) continue;
    try {
      const stored = await storage.get(m.dataKey);
      const tap = digestTap();
      return {
        stored,
        stages: () => [tap, decryptStream(ctx.key), decompressStage()],
        from: name,
        checkDigest() {
          if (tap.sha256() !== m.sha256)
            throw new AppError('INVALID', `backup ${m.id}: checksum mismatch (stored ${tap.sha256().slice(0, 12)}…, manifest ${m.sha256.slice(0, 12)}…)`);
        },
      };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}
