import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';

import { AppError, invalid, notFound, unavailable } from '../../errors/appError.js';
import { assertValidKey, assertValidPrefix, compareKeys, toBuffer } from './storageRules.js';
import type { Storage, StoredObject } from './storage.js';

/**
 * S3-compatible object storage (AWS S3, MinIO, Aliyun OSS, s3rver in tests).
 *
 * - AWS S3: `{ bucket, region: 'eu-central-1' }` (credentials from the config or the default chain).
 * - MinIO / s3rver: `{ bucket, endpoint: 'http://minio:9000', forcePathStyle: true, region: 'us-east-1', ... }`.
 * - Aliyun OSS (virtual-hosted style only):
 *   `{ bucket, endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', region: 'cn-hangzhou', forcePathStyle: false, ... }`
 *   (Aliyun also documents the S3-specific host `https://s3.oss-cn-hangzhou.aliyuncs.com`).
 *
 * The SDK's newer default "flexible checksums" (CRC32 on every upload, aws-chunked bodies) are turned
 * down to WHEN_REQUIRED because several S3-compatible services (Aliyun OSS, older MinIO, s3rver)
 * reject or mishandle them.
 */
export interface S3StorageConfig {
  bucket: string;
  /** Key prefix inside the bucket (no leading/trailing `/` needed); keys are stored as `prefix/key`. */
  prefix?: string;
  /** Custom endpoint URL (MinIO, OSS, s3rver); omit for AWS S3. */
  endpoint?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Both or neither; when omitted the SDK's default credential chain is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `true` for MinIO/s3rver (`http://host/bucket/key`), `false` (default) for AWS and Aliyun OSS. */
  forcePathStyle?: boolean;
  /** Multipart part size; default 8 MiB, minimum 5 MiB (S3 limit). */
  partSizeBytes?: number;
  /** Attempts per request including the first (SDK standard retry strategy); default 5. */
  maxAttempts?: number;
  /** TCP connect timeout per attempt; default 5 000 ms. */
  connectionTimeoutMs?: number;
  /** A request whose socket stays silent this long fails (and is retried); default 60 000 ms. */
  socketTimeoutMs?: number;
}

const MIB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MIB;
const MIN_PART_SIZE = 5 * MIB;
const DEFAULT_MAX_ATTEMPTS = 5;
const MAX_KEY_BYTES = 1024;
/** Upper bound for one HTTP request (e.g. one part upload) from start to response headers. */
const REQUEST_TIMEOUT_MS = 10 * 60_000;

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound']);
const ACCESS_NAMES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired', 'CredentialsProviderError']);

function safeEndpoint(endpoint: string | undefined, region: string): string {
  if (!endpoint) return `AWS S3 (${region})`;
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(invalid endpoint URL)';
  }
}

export function createS3Storage(cfg: S3StorageConfig): Storage {
  if (!cfg || typeof cfg.bucket !== 'string' || cfg.bucket.trim() === '') throw invalid('S3 storage: bucket is required');
  const bucket = cfg.bucket.trim();
  const basePrefix = (cfg.prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (basePrefix) assertValidPrefix(`${basePrefix}/`);
  if (Boolean(cfg.accessKeyId) !== Boolean(cfg.secretAccessKey)) {
    throw invalid('S3 storage: accessKeyId and secretAccessKey must be given together');
  }
  if (cfg.endpoint !== undefined) {
    try {
      new URL(cfg.endpoint);
    } catch {
      throw invalid('S3 storage: endpoint must be an absolute URL such as https://oss-cn-hangzhou.aliyuncs.com');
    }
  }
  const partSize = cfg.partSizeBytes ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw invalid(`S3 storage: partSizeBytes must be an integer >= ${MIN_PART_SIZE} (5 MiB)`);
  }
  const maxAttempts = cfg.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw invalid('S3 storage: maxAttempts must be an integer >= 1');

  const region = cfg.region ?? 'us-east-1';
  const label = basePrefix ? `s3://${bucket}/${basePrefix}` : `s3://${bucket}`;
  const where = `${label} at ${safeEndpoint(cfg.endpoint, region)}`;
  const secret = cfg.secretAccessKey;

  // The SDK is loaded on first use: a command that never touches S3 does not pay for loading it.
  type Sdk = typeof import('@aws-sdk/client-s3') & { Upload: typeof import('@aws-sdk/lib-storage').Upload; client: S3Client };
  let loaded: Promise<Sdk> | undefined;
  const sdk = (): Promise<Sdk> =>
    (loaded ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(([m, l]) => ({ ...m, Upload: l.Upload, client: newClient(m.S3Client) })));
  const newClient = (Client: typeof S3Client): S3Client =>
    new Client({
      region,
      ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      forcePathStyle: cfg.forcePathStyle ?? false,
      ...(cfg.accessKeyId && cfg.secretAccessKey ? { credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey } } : {}),
      maxAttempts,
      requestHandler: {
        connectionTimeout: cfg.connectionTimeoutMs ?? 5_000,
        socketTimeout: cfg.socketTimeoutMs ?? 60_000,
        requestTimeout: REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });

  const scrub = (text: string): string => (secret ? text.split(secret).join('***') : text);

  const objectKey = (key: string): string => {
    assertValidKey(key);
    const full = basePrefix ? `${basePrefix}/${key}` : key;
    if (Buffer.byteLength(full) > MAX_KEY_BYTES) throw invalid(`storage key ${JSON.stringify(key)} is too long for S3`);
    return full;
  };

  const statusOf = (err: unknown): number | undefined => (err as SdkError | null)?.$metadata?.httpStatusCode;
  const nameOf = (err: unknown): string => {
    const e = err as SdkError | null;
    return e?.name ?? e?.Code ?? 'Error';
  };
  const isNotFound = (err: unknown): boolean => nameOf(err) !== 'NoSuchBucket' && (statusOf(err) === 404 || NOT_FOUND_NAMES.has(nameOf(err)));

  /** Maps an SDK/network error to AppError UNAVAILABLE; the message and cause never carry the secret key. */
  function mapError(err: unknown, op: string, key?: string): AppError {
    if (err instanceof AppError) return err;
    const e = (err ?? {}) as SdkError;
    const status = statusOf(err);
    const name = nameOf(err);
    const detail = scrub(`${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
    const what = key === undefined ? op : `${op} ${key}`;
    let message: string;
    if (name === 'NoSuchBucket') {
      message = `S3 storage: bucket "${bucket}" does not exist (${where})`;
    } else if (status === 401 || status === 403 || ACCESS_NAMES.has(name)) {
      message = `S3 storage: access denied to ${where} while trying to ${what} (${name}); check the credentials and bucket policy`;
    } else if (status === undefined) {
      message = `S3 storage: cannot reach ${where} to ${what}: ${detail}`;
    } else {
      message = `S3 storage: ${what} failed on ${where}: HTTP ${status} ${name}: ${detail}`;
    }
    const cause = Object.assign(new Error(detail), { name });
    return new AppError('UNAVAILABLE', message, { storage: label, status, error: name }, { cause });
  }

  return {
    kind: 's3',
    label,

    async put(key, body) {
      const Key = objectKey(key);
      let size = 0;
      let sourceError: unknown;
      let uploadBody: Buffer | Readable;
      if (Buffer.isBuffer(body)) {
        uploadBody = body;
        size = body.length;
      } else {
        const source = body;
        uploadBody = Readable.from(
          (async function* counted() {
            try {
              for await (const chunk of source) {
                const buf = toBuffer(chunk);
                size += buf.length;
                yield buf;
              }
            } catch (err) {
              sourceError = err;
              throw err;
            }
          })(),
        );
      }
      // The object only becomes visible when PutObject / CompleteMultipartUpload succeeds; on failure
      // Upload aborts the multipart upload (leavePartsOnError: false) so no parts are left behind.
      const { Upload, client } = await sdk();
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key, Body: uploadBody },
        partSize,
        queueSize: 4,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
        return { size };
      } catch (err) {
        if (uploadBody instanceof Readable) uploadBody.destroy();
        if (body instanceof Readable && !body.destroyed) body.destroy();
        // The caller's own stream failed: report that error, not whatever the abort produced.
        if (sourceError !== undefined) throw sourceError;
        throw mapError(err, 'upload', key);
      }
    },

    async get(key) {
      const Key = objectKey(key);
      try {
        const { client, GetObjectCommand } = await sdk();
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const out = res.Body;
        if (out instanceof Readable) return out;
        if (out && typeof (out as { transformToWebStream?: unknown }).transformToWebStream === 'function') {
          return Readable.fromWeb((out as { transformToWebStream(): import('node:stream/web').ReadableStream }).transformToWebStream());
        }
        throw unavailable(`S3 storage: empty response body for ${key} from ${where}`);
      } catch (err) {
        if (isNotFound(err)) throw notFound(`backup object ${key}`);
        throw mapError(err, 'download', key);
      }
    },

    async stat(key) {
      const Key = objectKey(key);
      try {
        const { client, HeadObjectCommand } = await sdk();
        const res = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
        return { key, size: res.ContentLength ?? 0, modifiedAt: res.LastModified ?? new Date(0) };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw mapError(err, 'stat', key);
      }
    },

    async list(prefix) {
      assertValidPrefix(prefix);
      const strip = basePrefix ? `${basePrefix}/` : '';
      const out: StoredObject[] = [];
      let token: string | undefined;
      try {
        do {
          const { client, ListObjectsV2Command } = await sdk();
          const page: ListObjectsV2CommandOutput = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: strip + prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          for (const obj of page.Contents ?? []) {
            if (!obj.Key?.startsWith(strip)) continue;
            const key = obj.Key.slice(strip.length);
            try {
              assertValidKey(key); // skips "folder/" markers and other keys this API could not address
            } catch {
              continue;
            }
            out.push({ key, size: obj.Size ?? 0, modifiedAt: obj.LastModified ?? new Date(0) });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw mapError(err, 'list', prefix === '' ? undefined : `${prefix}*`);
      }
      return out.sort((a, b) => compareKeys(a.key, b.key));
    },

    async delete(key) {
      const Key = objectKey(key);
      try {
        const { client, DeleteObjectCommand } = await sdk();
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
      } catch (err) {
        if (isNotFound(err)) return;
        throw mapError(err, 'delete', key);
      }
    },
  };
}
