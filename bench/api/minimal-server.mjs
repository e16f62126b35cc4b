// Baseline 2: the irreducible work of an authenticated cached read, and nothing else:
//   verify the bearer JWT (HS256, issuer + expiry checked), one Redis GET via ioredis (with
//   auto-pipelining, as the platform uses it), parse
//   the cached JSON and let Fastify serialize it. No hooks, no schemas, no logger.
// Started by run.mjs in its own process.
// Env: BENCH_PORT, BENCH_HOST (default 127.0.0.1), BENCH_REDIS_URL, BENCH_JWT_SECRET,
//      BENCH_CACHE_PREFIX (the user JSON lives at `${BENCH_CACHE_PREFIX}${id}`, SET by run.mjs),
//      BENCH_MINIMAL_JWT_KEY = hmac (default: a synchronous node:crypto HMAC with the key imported
//      once — the irreducible cost, as the platform verifies) | cryptokey (jose, CryptoKey imported
//      once) | bytes (jose with the secret as a Uint8Array, re-imported on every verify).
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';

const port = Number(process.env.BENCH_PORT);
const host = process.env.BENCH_HOST ?? '127.0.0.1';
const { BENCH_REDIS_URL: redisUrl, BENCH_JWT_SECRET: secret, BENCH_CACHE_PREFIX: cachePrefix } = process.env;
if (!Number.isInteger(port) || port <= 0) throw new Error('BENCH_PORT must be a port number');
if (!redisUrl || !secret || !cachePrefix) throw new Error('BENCH_REDIS_URL, BENCH_JWT_SECRET and BENCH_CACHE_PREFIX are required');

const keyForm = process.env.BENCH_MINIMAL_JWT_KEY || 'hmac';
if (!['hmac', 'bytes', 'cryptokey'].includes(keyForm)) throw new Error('BENCH_MINIMAL_JWT_KEY must be hmac, bytes or cryptokey');
const bytes = new TextEncoder().encode(secret);
const key =
  keyForm === 'bytes'
    ? bytes
    : keyForm === 'cryptokey'
      ? await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      : createSecretKey(Buffer.from(bytes));
const redis = new Redis(redisUrl, { enableAutoPipelining: true });

/** HS256 check with node:crypto: signature, issuer, expiry. */
function verifyHmac(token) {
  const [h, p, sig] = token.split('.');
  if (!h || !p || !sig) throw new Error('malformed');
  const expected = createHmac('sha256', key).update(`${h}.${p}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  if (claims.iss !== 'mcp-platform' || !(claims.exp > Date.now() / 1000)) throw new Error('bad claims');
}
const BEARER = /^Bearer\s+(\S+)$/i;

const app = Fastify({ logger: false });
app.get('/api/users/:id', async (request, reply) => {
  const header = request.headers.authorization;
  const m = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!m) return reply.code(401).send({ error: 'unauthorized' });
  try {
    if (keyForm === 'hmac') verifyHmac(m[1]);
    else await jwtVerify(m[1], key, { issuer: 'mcp-platform', algorithms: ['HS256'] });
  } catch {
    return reply.code(401).send({ error: 'unauthorized' });
  }
  const json = await redis.get(cachePrefix + request.params.id);
  if (json === null) return reply.code(404).send({ error: 'not found' });
  return JSON.parse(json);
});

await redis.ping();
await app.listen({ port, host });
process.stdout.write(`minimal-server listening on http://${host}:${port}\n`);

const stop = async () => {
  try {
    await app.close();
    await redis.quit();
  } finally {
    process.exit(0);
  }
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
