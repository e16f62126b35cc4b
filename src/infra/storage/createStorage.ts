import { invalid } from '../../errors/appError.js';
import { createLocalStorage } from './localStorage.js';
import { createS3Storage, type S3StorageConfig } from './s3Storage.js';
import type { Storage } from './storage.js';

export type StorageSpec = { dir: string } | { s3: S3StorageConfig };

/** Builds the backup storage described by the configuration: a local directory or an S3-compatible bucket. */
export function createStorage(spec: StorageSpec): Storage {
  if (spec && 's3' in spec && 'dir' in spec) throw invalid('backup storage: configure either dir or s3, not both');
  if (spec && 's3' in spec && spec.s3) return createS3Storage(spec.s3);
  if (spec && 'dir' in spec && typeof spec.dir === 'string') return createLocalStorage(spec.dir);
  throw invalid('backup storage: configure either a directory (dir) or an S3 bucket (s3)');
}
