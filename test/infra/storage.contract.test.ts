import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AppError } from '../../src/errors/appError.js';
import { createStorage } from '../../src/infra/storage/createStorage.js';
import { createLocalStorage } from '../../src/infra/storage/localStorage.js';
import { createS3Storage, type S3StorageConfig } from '../../src/infra/storage/s3Storage.js';
import type { Storage } from '../../src/infra/storage/storage.js';
import { startS3Server, type S3TestServer } from '../support/s3Server.js';

const MIB = 1024 * 1024;

/* ---------- helpers ---------- */

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function sha256Of(stream: Readable): Promise<{ hash: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    hash.update(buf);
    size += buf.length;
  }
  return { hash: hash.digest('hex'), size };
}

interface Generated {
  stream: Readable;
  /** SHA-256 of everything emitted so far (call once the stream has ended). */
  digest(): string;
  /** Resolves when `pauseAt` bytes were emitted; the stream then waits for `resume()`. */
  paused: Promise<void>;
  resume(): void;
}

/** A stream of `total` random bytes in 256 KiB chunks; optionally fails or pauses after some bytes. */
function generated(total: number, opts: { failAfter?: number; pauseAt?: number } = {}): Generated {
  const hash = createHash('sha256');
  let reachedPause!: () => void;
  let resume!: () => void;
  const paused = new Promise<void>((r) => (reachedPause = r));
  const resumed = new Promise<void>((r) => (resume = r));
  async function* chunks() {
    let sent = 0;
    while (sent < total) {
      if (opts.failAfter !== undefined && sent >= opts.failAfter) throw new Error('source stream broke half-way');
      if (opts.pauseAt !== undefined && sent >= opts.pauseAt) {
        reachedPause();
        await resumed;
        opts.pauseAt = undefined;
      }
      const chunk = randomBytes(Math.min(256 * 1024, total - sent));
      hash.update(chunk);
      sent += chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks(), { objectMode: false }), digest: () => hash.digest('hex'), paused, resume };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

const keysOf = (objects: { key: string }[]) => objects.map((o) => o.key);

/* ---------- backends ---------- */

interface Harness {
  storage: Storage;
  /** Backend-specific check that a failed put left nothing behind (besides `storage.list`). */
  assertNoLeftovers(key: string): Promise<void>;
  cleanup(): Promise<void>;
}

const S3_PREFIX = 'backups/ci';

const backends: { name: 'local' | 's3'; setup(): Promise<Harness> }[] = [
  {
    name: 'local',
    async setup() {
      const dir = await mkdtemp(path.join(tmpdir(), 'storage-local-'));
      const root = path.join(dir, 'backups'); // created on first put
      return {
        storage: createLocalStorage(root),
        async assertNoLeftovers(key) {
          const parent = path.dirname(path.join(root, ...key.split('/')));
          const names = await readdir(parent).catch(() => [] as string[]);
          expect(names.filter((n) => n.includes('.partial-'))).toEqual([]);
          expect(names).not.toContain(path.basename(key));
        },
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    async setup() {
      const server = await startS3Server();
      const raw = new S3Client({
        endpoint: server.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      });
      return {
        storage: createS3Storage({
          bucket: server.bucket,
          prefix: S3_PREFIX,
          endpoint: server.endpoint,
          forcePathStyle: true,
          accessKeyId: server.accessKeyId,
          secretAccessKey: server.secretAccessKey,
        }),
        async assertNoLeftovers(key) {
          const listed = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${S3_PREFIX}/${key}` }));
          expect(listed.Contents ?? []).toEqual([]);
          try {
            const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: server.bucket }));
            expect(uploads.Uploads ?? []).toEqual([]);
          } catch (err) {
            // s3rver answers ListMultipartUploads with 501 NotImplemented: only the object list can be checked.
            if ((err as { name?: string }).name !== 'NotImplemented') throw err;
          }
        },
        async cleanup() {
          raw.destroy();
          await server.stop();
        },
      };
    },
  },
];

/* ---------- the contract ---------- */

describe.each(backends)('Storage contract ($name)', (backend) => {
  let h: Harness;
  let storage: Storage;

  beforeAll(async () => {
    h = await backend.setup();
    storage = h.storage;
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('describes itself without credentials', () => {
    expect(storage.kind).toBe(backend.name);
    if (backend.name === 's3') {
      expect(storage.label).toMatch(/^s3:\/\/test-[0-9a-f]+\/backups\/ci$/);
      expect(storage.label).not.toContain('S3RVER');
    } else {
      expect(storage.label).toMatch(/^local:\/.*\/backups$/);
    }
  });

  it('round-trips a Buffer and reports it in stat', async () => {
    const body = Buffer.from('hello backup ✓\n'.repeat(100));
    const before = Date.now();
    await expect(storage.put('rt/buffer.bin', body)).resolves.toEqual({ size: body.length });
    expect(Buffer.compare(await readAll(await storage.get('rt/buffer.bin')), body)).toBe(0);
    const st = await storage.stat('rt/buffer.bin');
    expect(st).toMatchObject({ key: 'rt/buffer.bin', size: body.length });
    expect(st!.modifiedAt).toBeInstanceOf(Date);
    expect(st!.modifiedAt.getTime()).toBeGreaterThan(before - 5_000);
    expect(st!.modifiedAt.getTime()).toBeLessThan(Date.now() + 5_000);
  });

  it('round-trips an empty object', async () => {
    await expect(storage.put('rt/empty', Buffer.alloc(0))).resolves.toEqual({ size: 0 });
    expect((await readAll(await storage.get('rt/empty'))).length).toBe(0);
    expect(await storage.stat('rt/empty')).toMatchObject({ size: 0 });
  });

  it('round-trips a 20 MiB stream (multipart on S3) with the same SHA-256', async () => {
    const src = generated(20 * MIB);
    await expect(storage.put('rt/big/data.sql.zst.enc', src.stream)).resolves.toEqual({ size: 20 * MIB });
    const back = await sha256Of(await storage.get('rt/big/data.sql.zst.enc'));
    expect(back).toEqual({ hash: src.digest(), size: 20 * MIB });
    expect(await storage.stat('rt/big/data.sql.zst.enc')).toMatchObject({ size: 20 * MIB });
  });

  it('stat of a missing key is undefined and get rejects NOT_FOUND', async () => {
    expect(await storage.stat('missing/nothing-here')).toBeUndefined();
    await expectCode(storage.get('missing/nothing-here'), 'NOT_FOUND');
    await expectCode(storage.get('missing'), 'NOT_FOUND');
  });

  it('lists by prefix, sorted by key', async () => {
    const keys = ['ls/b', 'ls/a/2', 'ls/c.txt', 'ls/a/1', 'ls/a/10', 'ls2/x', 'other/ls/y'];
    for (const [i, key] of keys.entries()) await storage.put(key, Buffer.alloc(i + 1, i));
    const listed = await storage.list('ls/');
    expect(keysOf(listed)).toEqual(['ls/a/1', 'ls/a/10', 'ls/a/2', 'ls/b', 'ls/c.txt']);
    expect(listed.find((o) => o.key === 'ls/c.txt')).toMatchObject({ size: 3 });
    expect(listed.every((o) => o.modifiedAt instanceof Date)).toBe(true);
    expect(keysOf(await storage.list('ls'))).toEqual(['ls/a/1', 'ls/a/10', 'ls/a/2', 'ls/b', 'ls/c.txt', 'ls2/x']);
    expect(keysOf(await storage.list('ls/a/1'))).toEqual(['ls/a/1', 'ls/a/10']);
    expect(keysOf(await storage.list('ls/a/'))).toEqual(['ls/a/1', 'ls/a/10', 'ls/a/2']);
    expect(await storage.list('nope/')).toEqual([]);
    const all = keysOf(await storage.list(''));
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(keys));
  });

  it('delete removes the object and is idempotent', async () => {
    await storage.put('del/x/y', Buffer.from('x'));
    await storage.delete('del/x/y');
    expect(await storage.stat('del/x/y')).toBeUndefined();
    await expectCode(storage.get('del/x/y'), 'NOT_FOUND');
    await expect(storage.delete('del/x/y')).resolves.toBeUndefined();
    await expect(storage.delete('del/never-existed')).resolves.toBeUndefined();
    expect(await storage.list('del/')).toEqual([]);
    // the (now empty) location can be written again
    await storage.put('del/x/y', Buffer.from('again'));
    expect((await readAll(await storage.get('del/x/y'))).toString()).toBe('again');
  });

  it.each(['../x', '/abs', 'a//b', '', 'a/../b', 'a/', './a', 'a\\b', 'a/b\u0000', 'a/x.partial-1234'])('refuses the key %j with INVALID', async (key) => {
    await expectCode(storage.put(key, Buffer.from('x')), 'INVALID');
    await expectCode(storage.get(key), 'INVALID');
    await expectCode(storage.stat(key), 'INVALID');
    await expectCode(storage.delete(key), 'INVALID');
  });

  it('refuses list prefixes that escape or are absolute', async () => {
    await expectCode(storage.list('/abs'), 'INVALID');
    await expectCode(storage.list('../'), 'INVALID');
    await expectCode(storage.list('a//'), 'INVALID');
  });

  it('overwriting a key replaces it', async () => {
    await storage.put('ow/key', Buffer.from('first version, longer'));
    await storage.put('ow/key', Buffer.from('second'));
    expect((await readAll(await storage.get('ow/key'))).toString()).toBe('second');
    expect(await storage.stat('ow/key')).toMatchObject({ size: 6 });
    expect(keysOf(await storage.list('ow/'))).toEqual(['ow/key']);
  });

  it('a put whose source fails half-way leaves nothing under the key', async () => {
    const src = generated(20 * MIB, { failAfter: 12 * MIB }); // S3: part 1 uploaded, multipart in progress
    const err = await rejection(storage.put('fail/new/data.bin', src.stream));
    expect((err as Error).message).toBe('source stream broke half-way');
    expect(await storage.stat('fail/new/data.bin')).toBeUndefined();
    await expectCode(storage.get('fail/new/data.bin'), 'NOT_FOUND');
    expect(await storage.list('fail/')).toEqual([]);
    await h.assertNoLeftovers('fail/new/data.bin');
  });

  it('a failed overwrite keeps the previous object', async () => {
    await storage.put('fail/old/data.bin', Buffer.from('previous good backup'));
    const src = generated(2 * MIB, { failAfter: MIB });
    await rejection(storage.put('fail/old/data.bin', src.stream));
    expect((await readAll(await storage.get('fail/old/data.bin'))).toString()).toBe('previous good backup');
    expect(keysOf(await storage.list('fail/old/'))).toEqual(['fail/old/data.bin']);
  });

  it('readers never see an object while its put is in flight', async () => {
    const src = generated(10 * MIB, { pauseAt: 9 * MIB });
    const put = storage.put('inflight/data.bin', src.stream);
    await src.paused;
    expect(await storage.stat('inflight/data.bin')).toBeUndefined();
    expect(await storage.list('inflight/')).toEqual([]);
    await expectCode(storage.get('inflight/data.bin'), 'NOT_FOUND');
    src.resume();
    await expect(put).resolves.toEqual({ size: 10 * MIB });
    expect(await sha256Of(await storage.get('inflight/data.bin'))).toEqual({ hash: src.digest(), size: 10 * MIB });
  });
});

/* ---------- implementation specifics ---------- */

describe('local storage specifics', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'storage-local-x-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates directories 0700 and files 0600, and leaves no partial files', async () => {
    const root = path.join(dir, 'modes');
    const storage = createStorage({ dir: root });
    expect(storage.kind).toBe('local');
    await storage.put('full/20261126T020000Z-full/data.sql.zst.enc', Buffer.from('secret dump'));
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(root, 'full', '20261126T020000Z-full'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(root, 'full', '20261126T020000Z-full', 'data.sql.zst.enc'))).mode & 0o777).toBe(0o600);
    expect(await readdir(path.join(root, 'full', '20261126T020000Z-full'))).toEqual(['data.sql.zst.enc']);
  });

  it('ignores stray .partial-* files when listing', async () => {
    const root = path.join(dir, 'stray');
    const storage = createLocalStorage(root);
    await storage.put('a/kept', Buffer.from('1'));
    await writeFile(path.join(root, 'a', 'lost.partial-deadbeef'), 'crash leftover');
    expect(keysOf(await storage.list(''))).toEqual(['a/kept']);
  });

  it('an unusable directory (under a regular file) rejects clearly with UNAVAILABLE', async () => {
    const file = path.join(dir, 'regular-file');
    await writeFile(file, 'not a directory');
    const root = path.join(file, 'x');
    const storage = createLocalStorage(root);
    const err = await expectCode(storage.put('k/data', Buffer.from('x')), 'UNAVAILABLE');
    expect(err.message).toContain(root);
    await expectCode(storage.put('k/data', Readable.from([Buffer.from('x')])), 'UNAVAILABLE');
    await expectCode(storage.list(''), 'UNAVAILABLE');
    await expectCode(storage.get('k/data'), 'UNAVAILABLE');
    await expectCode(storage.stat('k/data'), 'UNAVAILABLE');
  });

  it('a missing root lists as empty', async () => {
    expect(await createLocalStorage(path.join(dir, 'not-yet-created')).list('')).toEqual([]);
  });
});

describe('S3 storage specifics and faults', () => {
  const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
  let server: S3TestServer;

  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const cfg = (over: Partial<S3StorageConfig> = {}): S3StorageConfig => ({
    bucket: server.bucket,
    endpoint: server.endpoint,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    maxAttempts: 2,
    ...over,
  });

  function expectNoSecret(err: unknown) {
    expect((err as Error).message).not.toContain(SECRET);
    expect(inspect(err, { depth: 10 })).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);
  }

  it('stores keys under the prefix', async () => {
    const a = createStorage({ s3: cfg({ prefix: '/tenant-a/' }) });
    const root = createS3Storage(cfg());
    expect(a.label).toBe(`s3://${server.bucket}/tenant-a`);
    expect(root.label).toBe(`s3://${server.bucket}`);
    await a.put('full/one', Buffer.from('1'));
    expect(keysOf(await a.list(''))).toEqual(['full/one']);
    expect(keysOf(await root.list('tenant-a/'))).toEqual(['tenant-a/full/one']);
  });

  it('a failed multipart put aborts its multipart upload (checked on the wire: s3rver cannot abort)', async () => {
    const target = new URL(server.endpoint);
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as net.AddressInfo;
      const storage = createS3Storage(cfg({ endpoint: `http://127.0.0.1:${port}`, partSizeBytes: 5 * MIB }));
      const err = await rejection(storage.put('aborted/data.bin', generated(12 * MIB, { failAfter: 11 * MIB }).stream));
      expect((err as Error).message).toBe('source stream broke half-way');
      expect(seen.some((r) => /^POST \/[^?]+\/aborted\/data\.bin\?uploads/.test(r))).toBe(true);
      expect(seen.some((r) => /^PUT .*uploadId=.*|^PUT .*partNumber=/.test(r))).toBe(true);
      expect(seen.some((r) => /^DELETE \/[^?]+\/aborted\/data\.bin\?.*uploadId=/.test(r))).toBe(true);
      expect(seen.some((r) => /^POST .*uploadId=/.test(r))).toBe(false); // never completed
      expect(await storage.stat('aborted/data.bin')).toBeUndefined();
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('validates its configuration', () => {
    expect(() => createS3Storage(cfg({ bucket: '' }))).toThrow(AppError);
    expect(() => createS3Storage(cfg({ partSizeBytes: 1024 }))).toThrow(/partSizeBytes/);
    expect(() => createS3Storage(cfg({ secretAccessKey: undefined }))).toThrow(/together/);
    expect(() => createS3Storage(cfg({ endpoint: 'not a url' }))).toThrow(/endpoint/);
    expect(() => createStorage({} as { dir: string })).toThrow(AppError);
  });

  it('an unreachable endpoint (stopped s3rver) rejects with UNAVAILABLE quickly, without the secret', async () => {
    const dead = await startS3Server();
    await dead.stop();
    const storage = createS3Storage({
      bucket: dead.bucket,
      endpoint: dead.endpoint,
      forcePathStyle: true,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: SECRET,
      maxAttempts: 2,
    });
    const started = Date.now();
    const errors = await Promise.all([
      rejection(storage.put('k', Buffer.from('x'))),
      rejection(storage.put('k2', generated(MIB).stream)),
      rejection(storage.get('k')),
      rejection(storage.stat('k')),
      rejection(storage.list('')),
      rejection(storage.delete('k')),
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const err of errors) {
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'UNAVAILABLE' });
      expect((err as AppError).message).toContain('cannot reach');
      expect((err as AppError).message).toContain(dead.endpoint);
      expectNoSecret(err);
    }
  });

  it('an endpoint that accepts connections but never answers rejects with UNAVAILABLE, never hangs', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const storage = createS3Storage({
        bucket: 'b',
        endpoint: `http://127.0.0.1:${port}`,
        forcePathStyle: true,
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: SECRET,
        maxAttempts: 2,
        socketTimeoutMs: 500,
      });
      const started = Date.now();
      const err = await expectCode(storage.list(''), 'UNAVAILABLE');
      expectNoSecret(err);
      await expectCode(storage.put('k', Buffer.from('x')), 'UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('wrong credentials reject with UNAVAILABLE (access denied) without the secret', async () => {
    // s3rver only checks the access key id (it does not verify SigV4 signatures).
    const storage = createS3Storage(cfg({ accessKeyId: 'WRONGKEY', secretAccessKey: SECRET }));
    const err = await expectCode(storage.list(''), 'UNAVAILABLE');
    expect(err.message).toMatch(/access denied/i);
    expectNoSecret(err);
    expectNoSecret(await expectCode(storage.put('k', Buffer.from('x')), 'UNAVAILABLE'));
  });

  it('a missing bucket rejects with UNAVAILABLE naming the bucket', async () => {
    const storage = createS3Storage(cfg({ bucket: 'no-such-bucket' }));
    const err = await expectCode(storage.list(''), 'UNAVAILABLE');
    expect(err.message).toContain('no-such-bucket');
    await expectCode(storage.put('k', Buffer.from('x')), 'UNAVAILABLE');
  });
});
