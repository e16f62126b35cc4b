import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBreaker } from '../../src/infra/circuitBreaker.js';
import { guardStorage } from '../../src/infra/storage/guardedStorage.js';
import { createS3Storage } from '../../src/infra/storage/s3Storage.js';
import { startS3Server, type S3TestServer } from '../support/s3Server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { waitFor } from '../support/waitFor.js';

/**
 * RES-3 on the backup storage: a real S3 endpoint (s3rver) behind a proxy that the test cuts. While
 * it is away the breaker opens after its failures and every call fails at once with 503 saying
 * why, nothing is sent; when it is back one trial call closes the circuit and the objects are there.
 */
describe('S3 backup storage behind its circuit breaker', () => {
  let s3: S3TestServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    s3 = await startS3Server();
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(s3.endpoint).port));
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.stop();
  });

  it('opens while the endpoint is away (fast 503), closes when it is back', async () => {
    const breaker = createBreaker('s3', { timeoutMs: 5_000, failures: 2, openSeconds: 1, retries: 0 });
    const storage = guardStorage(
      createS3Storage({
        bucket: s3.bucket,
        endpoint: `http://127.0.0.1:${proxy.port}`,
        forcePathStyle: true,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      }),
      breaker,
    );
    await storage.put('daily/a.tar.zst.enc', Buffer.from('backup bytes'));
    expect((await storage.list('daily/')).map((o) => o.key)).toEqual(['daily/a.tar.zst.enc']);

    proxy.cut();
    for (let i = 0; i < 2; i++) await expect(storage.list('daily/')).rejects.toThrow();
    expect(breaker.state()).toBe('open');
    const refused = (await storage.stat('daily/a.tar.zst.enc').catch((e: unknown) => e)) as { code?: string; message: string; details?: unknown };
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', details: { retryAfterSeconds: 1 } });
    expect(refused.message).toContain('s3 is unavailable: the circuit is open');
    await expect(storage.put('daily/b.tar.zst.enc', Buffer.from('x'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    await proxy.restore();
    const back = await waitFor('the circuit to let a trial call through', async () => storage.list('daily/').catch(() => undefined), 10_000);
    expect(back.map((o) => o.key)).toEqual(['daily/a.tar.zst.enc']);
    expect(breaker.state()).toBe('closed');
  });
});
