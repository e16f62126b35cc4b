import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { AppError, invalid, notFound, unavailable } from '../../errors/appError.js';
import type { Storage, StoredObject } from './storage.js';
import { PARTIAL_MARKER, assertValidKey, assertValidPrefix, compareKeys, toBuffer } from './storageRules.js';

/*
 * Local directory implementation.
 */

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

type ErrnoError = NodeJS.ErrnoException;
const errCode = (err: unknown): string | undefined => (err as ErrnoError | null)?.code;

/** Marks an error raised by the caller's source stream (propagated unchanged, not as a storage error). */
class SourceFailure {
  constructor(readonly error: unknown) {}
}

export function createLocalStorage(root: string): Storage {
  if (typeof root !== 'string' || root.trim() === '') throw invalid('local storage directory must not be empty');
  const rootDir = path.resolve(root);
  const label = `local:${rootDir}`;

  const fileOf = (key: string) => path.join(rootDir, ...key.split('/'));

  function ioError(err: unknown, op: string, target: string): AppError {
    if (err instanceof AppError) return err;
    const code = errCode(err);
    const why = (err as Error | undefined)?.message ?? String(err);
    switch (code) {
      case 'ENOSPC':
      case 'EDQUOT':
        return unavailable(`local storage: disk full while writing ${target} (${code})`, err, { path: target, code });
      case 'EACCES':
      case 'EPERM':
        return unavailable(`local storage: permission denied to ${op} ${target} (${code})`, err, { path: target, code });
      case 'EROFS':
        return unavailable(`local storage: read-only file system, cannot ${op} ${target}`, err, { path: target, code });
      case 'ENAMETOOLONG':
        return new AppError('INVALID', `local storage: path too long: ${target}`, { path: target, code }, { cause: err });
      default:
        return unavailable(`local storage: cannot ${op} ${target}: ${why}`, err, { path: target, code });
    }
  }

  /** Explains a failure that may come from `rootDir` itself being unusable (e.g. under a regular file). */
  async function rootProblem(): Promise<AppError | undefined> {
    try {
      const st = await stat(rootDir);
      if (!st.isDirectory()) {
        return unavailable(`local storage: backup directory ${rootDir} is not a directory`, undefined, { path: rootDir });
      }
      return undefined;
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') return undefined;
      if (code === 'ENOTDIR') {
        return unavailable(`local storage: backup directory ${rootDir} cannot exist: one of its parents is a regular file`, err, { path: rootDir, code });
      }
      return ioError(err, 'access', rootDir);
    }
  }

  async function ensureDir(dir: string, key: string): Promise<void> {
    try {
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        const fromRoot = await rootProblem();
        if (fromRoot) throw fromRoot;
        throw new AppError('CONFLICT', `local storage: key ${key} conflicts with an existing object (a parent of ${dir} is a file)`, { key, path: dir }, { cause: err });
      }
      throw ioError(err, 'create directory', dir);
    }
  }

  /** Creates `<file>.partial-<random>` (exclusive, 0600), recreating its directory if a concurrent delete pruned it. */
  async function openPartial(dir: string, file: string, key: string): Promise<{ handle: FileHandle; partial: string }> {
    for (let attempt = 0; ; attempt++) {
      await ensureDir(dir, key);
      const partial = `${file}${PARTIAL_MARKER}${randomBytes(6).toString('hex')}`;
      try {
        const handle = await open(partial, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, FILE_MODE);
        return { handle, partial };
      } catch (err) {
        if (errCode(err) === 'ENOENT' && attempt < 3) continue;
        throw ioError(err, 'create', partial);
      }
    }
  }

  async function writeBody(handle: FileHandle, body: Readable | Buffer, file: string): Promise<number> {
    if (Buffer.isBuffer(body)) {
      try {
        await handle.writeFile(body);
      } catch (err) {
        throw ioError(err, 'write', file);
      }
      return body.length;
    }
    const iterator = body[Symbol.asyncIterator]() as AsyncIterator<unknown>;
    let size = 0;
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw new SourceFailure(err);
      }
      if (next.done) return size;
      const chunk = toBuffer(next.value);
      try {
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
          offset += bytesWritten;
        }
      } catch (err) {
        await iterator.return?.().catch(() => undefined); // stop (destroy) the source
        throw ioError(err, 'write', file);
      }
      size += chunk.length;
    }
  }

  async function fsyncDir(dir: string): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(dir, 'r');
      await handle.sync();
    } catch {
      // Some file systems refuse fsync on directories; the rename itself already happened.
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  async function pruneEmptyParents(file: string): Promise<void> {
    let dir = path.dirname(file);
    while (dir !== rootDir && dir.startsWith(rootDir + path.sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone / busy): stop
      }
      dir = path.dirname(dir);
    }
  }

  async function toObject(key: string, file: string): Promise<StoredObject | undefined> {
    try {
      const st = await stat(file);
      if (!st.isFile()) return undefined;
      return { key, size: st.size, modifiedAt: st.mtime };
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw ioError(err, 'stat', file);
    }
  }

  async function walk(dir: string, keyPrefix: string, namePrefix: string, out: StoredObject[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed concurrently
      throw ioError(err, 'list', dir);
    }
    for (const entry of entries) {
      if (namePrefix && !entry.name.startsWith(namePrefix)) continue;
      const full = path.join(dir, entry.name);
      const key = keyPrefix + entry.name;
      if (entry.isDirectory()) {
        await walk(full, `${key}/`, '', out);
      } else if (entry.isFile()) {
        if (entry.name.includes(PARTIAL_MARKER)) continue; // in-flight or abandoned upload
        const obj = await toObject(key, full);
        if (obj) out.push(obj);
      }
    }
  }

  return {
    kind: 'local',
    label,

    async put(key, body) {
      assertValidKey(key);
      const file = fileOf(key);
      const dir = path.dirname(file);
      let opened: { handle: FileHandle; partial: string };
      try {
        opened = await openPartial(dir, file, key);
      } catch (err) {
        if (!Buffer.isBuffer(body) && !body.destroyed) body.destroy(); // nobody will read it
        throw err;
      }
      const { handle, partial } = opened;
      let closed = false;
      try {
        const size = await writeBody(handle, body, file);
        try {
          await handle.sync();
          closed = true;
          await handle.close();
        } catch (err) {
          throw ioError(err, 'write', file);
        }
        try {
          await rename(partial, file);
        } catch (err) {
          const code = errCode(err);
          if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
            throw new AppError('CONFLICT', `local storage: key ${key} conflicts with existing objects below ${key}/`, { key, path: file }, { cause: err });
          }
          throw ioError(err, 'rename into', file);
        }
        await fsyncDir(dir);
        return { size };
      } catch (err) {
        if (!closed) await handle.close().catch(() => undefined);
        await unlink(partial).catch(() => undefined);
        if (err instanceof SourceFailure) throw err.error;
        throw err;
      }
    },

    async get(key) {
      assertValidKey(key);
      const file = fileOf(key);
      let handle: FileHandle;
      try {
        handle = await open(file, 'r');
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          const fromRoot = await rootProblem();
          if (fromRoot) throw fromRoot;
          throw notFound(`backup object ${key}`);
        }
        throw ioError(err, 'open', file);
      }
      try {
        const st = await handle.stat();
        if (!st.isFile()) throw notFound(`backup object ${key}`);
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw ioError(err, 'stat', file);
      }
      return handle.createReadStream({ autoClose: true });
    },

    async stat(key) {
      assertValidKey(key);
      const obj = await toObject(key, fileOf(key));
      if (!obj) {
        const fromRoot = await rootProblem();
        if (fromRoot) throw fromRoot;
      }
      return obj;
    },

    async list(prefix) {
      assertValidPrefix(prefix);
      const slash = prefix.lastIndexOf('/');
      const dirPart = slash >= 0 ? prefix.slice(0, slash + 1) : '';
      const namePrefix = prefix.slice(dirPart.length);
      const startDir = dirPart ? path.join(rootDir, ...dirPart.slice(0, -1).split('/')) : rootDir;
      const fromRoot = await rootProblem();
      if (fromRoot) throw fromRoot;
      const out: StoredObject[] = [];
      await walk(startDir, dirPart, namePrefix, out);
      return out.sort((a, b) => compareKeys(a.key, b.key));
    },

    async delete(key) {
      assertValidKey(key);
      const file = fileOf(key);
      try {
        const st = await lstat(file);
        if (st.isDirectory()) return; // a "directory" is not an object
        await unlink(file);
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          const fromRoot = await rootProblem();
          if (fromRoot) throw fromRoot;
          return;
        }
        throw ioError(err, 'delete', file);
      }
      await pruneEmptyParents(file);
    },
  };
}
