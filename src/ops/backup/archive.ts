import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../errors/appError.js';

/**
 * The backup archive format (SPEC BAK-6): zstd-compressed, then encrypted with AES-256-GCM in
 * independently authenticated chunks (the STREAM construction), so a restore streams plaintext only
 * after each chunk has been authenticated, and truncation or reordering is detected.
 *
 *   header  = "MCPBAK01" | key id (8 bytes) | nonce prefix (7 bytes) | chunk size (u32 BE)
 *   chunk i = AES-256-GCM(plaintext_i, nonce = prefix | i (u32 BE) | last (1 byte), aad = header) | tag (16)
 *
 * Every chunk is `chunk size` bytes of plaintext except the last (possibly empty), which is sealed
 * with last = 1. The key is never stored with the backups; the key id names it.
 */
const MAGIC = Buffer.from('MCPBAK01');
export const HEADER_BYTES = MAGIC.length + 8 + 7 + 4;
const TAG_BYTES = 16;
const DEFAULT_CHUNK = 1024 * 1024;

export interface BackupKey {
  /** 16 hex characters naming the key (not secret). */
  id: string;
  key: Buffer;
}

/** The archive key from a configured secret: any text of ≥ 32 characters, hashed to 256 bits. */
export function backupKeyFrom(secret: string): BackupKey {
  const key = createHash('sha256').update(`mcp-platform backup key\0${secret}`).digest();
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

function nonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(counter, 7);
  n[11] = last ? 1 : 0;
  return n;
}

/** Encrypts a byte stream into the archive format. */
export function encryptStream(k: BackupKey, chunkSize = DEFAULT_CHUNK): Transform {
  const prefix = randomBytes(7);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  Buffer.from(k.id, 'hex').copy(header, 8);
  prefix.copy(header, 16);
  header.writeUInt32BE(chunkSize, 23);
  let counter = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  // Sealed chunk = ciphertext then tag, pushed as they come (no copy into one buffer).
  const seal = (t: Transform, plain: Buffer, last: boolean): void => {
    if (counter > 0xffffffff) throw new AppError('INVALID', 'archive too large for one key stream');
    const c = createCipheriv('aes-256-gcm', k.key, nonce(prefix, counter++, last));
    c.setAAD(header);
    t.push(c.update(plain));
    const rest = c.final(); // empty for GCM
    if (rest.length) t.push(rest);
    t.push(c.getAuthTag());
  };

  return new Transform({
    construct(cb) {
      this.push(header);
      cb();
    },
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Keep at least one byte back so the final chunk is never empty unless the input was.
      while (pendingBytes > chunkSize) {
        const all = Buffer.concat(pending);
        seal(this, all.subarray(0, chunkSize), false);
        pending = [all.subarray(chunkSize)];
        pendingBytes = all.length - chunkSize;
      }
      cb();
    },
    flush(cb) {
      try {
        seal(this, Buffer.concat(pending), true);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

/**
 * Decrypts the archive format. Fails — before emitting any plaintext — when the archive was made
 * with another key or is not an archive; fails on any tampered, reordered or truncated chunk.
 */
export function decryptStream(k: BackupKey): Transform {
  let header: Buffer | undefined;
  let prefix: Buffer;
  let chunkSize = 0;
  let counter = 0;
  let buf: Buffer = Buffer.alloc(0);

  const open = (sealed: Buffer, last: boolean): Buffer => {
    const d = createDecipheriv('aes-256-gcm', k.key, nonce(prefix, counter++, last));
    d.setAAD(header!);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]);
    } catch {
      throw new AppError('INVALID', `backup archive is corrupted or truncated (chunk ${counter - 1} failed authentication)`);
    }
  };

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        if (!header) {
          if (buf.length < HEADER_BYTES) return cb();
          header = Buffer.from(buf.subarray(0, HEADER_BYTES));
          checkHeader(header, k);
          prefix = header.subarray(16, 23);
          chunkSize = header.readUInt32BE(23);
          buf = buf.subarray(HEADER_BYTES);
        }
        const sealedSize = chunkSize + TAG_BYTES;
        // A full sealed chunk followed by more data cannot be the last one.
        while (buf.length > sealedSize) {
          this.push(open(buf.subarray(0, sealedSize), false));
          buf = buf.subarray(sealedSize);
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        if (!header) throw new AppError('INVALID', 'not a backup archive (too short)');
        if (buf.length < TAG_BYTES) throw new AppError('INVALID', 'backup archive is truncated');
        this.push(open(buf, true));
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

function checkHeader(header: Buffer, k: BackupKey): void {
  if (!header.subarray(0, 8).equals(MAGIC)) throw new AppError('INVALID', 'not a backup archive (bad magic)');
  const id = header.subarray(8, 16).toString('hex');
  if (id !== k.id) {
    throw new AppError('INVALID', `backup was encrypted with key ${id}, but the configured MCP_BACKUP_KEY is key ${k.id}`, { archiveKeyId: id, configuredKeyId: k.id });
  }
}
