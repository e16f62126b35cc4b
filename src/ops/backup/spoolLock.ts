import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../errors/appError.js';
import { HOLDER, holderDead } from '../holder.js';

const LOCK = '.stream.lock';

/** One streamer per spool directory: a lock file naming `host:pid`. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, HOLDER, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(path, 'utf8') === HOLDER) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readFileSync(path, 'utf8').trim();
      if (holderDead(holder)) {
        rmSync(path, { force: true }); // left by a stream that died
        continue;
      }
      throw new AppError('CONFLICT', `another backup stream (${holder}) uses the spool directory ${dir}; stop it first (or remove ${path} if that process is gone)`);
    }
  }
  throw new AppError('CONFLICT', `cannot lock the spool directory ${dir}`);
}
