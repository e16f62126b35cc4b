import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The part of s3rver's (untyped, CommonJS) API the tests use. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: { port: number; address: string; directory: string; silent: boolean; configureBuckets: { name: string }[] }) => S3rverInstance;

const require = createRequire(import.meta.url);

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`; use with `forcePathStyle: true`. */
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** s3rver's backing directory (objects live under `<dir>/<bucket>/`). */
  dir: string;
  stop(): Promise<void>;
}

/**
 * A real S3 protocol endpoint (s3rver) on 127.0.0.1 with a random free port, a temp directory and one
 * bucket, credentials S3RVER/S3RVER. Quirks: s3rver only checks the access key id (SigV4 signatures
 * are not verified, so a wrong secret is accepted), and it implements neither ListMultipartUploads
 * (501 NotImplemented) nor AbortMultipartUpload (405), so aborted uploads' parts stay in `dir`.
 */
export async function startS3Server(): Promise<S3TestServer> {
  const S3rver = require('s3rver') as S3rverCtor;
  const dir = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const bucket = `test-${randomBytes(4).toString('hex')}`;
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir, silent: true, configureBuckets: [{ name: bucket }] });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
