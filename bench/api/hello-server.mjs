// Baseline 1: a bare Fastify hello-world. Started by run.mjs in its own process.
// Env: BENCH_PORT (required), BENCH_HOST (default 127.0.0.1).
import Fastify from 'fastify';

const port = Number(process.env.BENCH_PORT);
const host = process.env.BENCH_HOST ?? '127.0.0.1';
if (!Number.isInteger(port) || port <= 0) throw new Error('BENCH_PORT must be a port number');

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

await app.listen({ port, host });
process.stdout.write(`hello-server listening on http://${host}:${port}\n`);

const stop = () =>
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
