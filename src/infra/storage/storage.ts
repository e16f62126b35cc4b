import type { Readable } from 'node:stream';

/**
 * Where backups live (SPEC BAK-1, BAK-5): a local directory or S3-compatible object storage
 * (AWS S3, Aliyun OSS, MinIO). Keys are `/`-separated relative paths such as
 * `full/20261126T020000Z-full/data.sql.zst.enc`; `..`, leading `/` and empty segments are refused
 * with AppError INVALID.
 *
 * Contract (tests run it against both implementations):
 * - `put` is atomic: readers never see a partial object under `key` (local: temp file + rename;
 *   S3: the object appears when the (multipart) upload completes). A failed or aborted `put` leaves
 *   nothing under `key` and no stray multipart upload.
 * - `get` of a missing key rejects with AppError NOT_FOUND.
 * - `list(prefix)` returns every object whose key starts with `prefix`, sorted by key.
 * - `delete` of a missing key succeeds.
 * - When the backing service cannot be reached, calls reject with AppError UNAVAILABLE (after the
 *   implementation's own bounded retries), never hang.
 */
export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

export interface Storage {
  readonly kind: 'local' | 's3';
  /** Where it points, without credentials: `local:/data/backups`, `s3://bucket/prefix`. */
  readonly label: string;
  put(key: string, body: Readable | Buffer): Promise<{ size: number }>;
  get(key: string): Promise<Readable>;
  stat(key: string): Promise<StoredObject | undefined>;
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
}
