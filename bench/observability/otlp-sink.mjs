// A minimal OTLP/HTTP JSON trace sink, started by bench/observability/run.mjs in its own process.
//
//   POST /v1/traces   OTLP/HTTP JSON (gzip accepted); spans are counted, the answer is 200 `{}`
//   GET  /stats       running totals as JSON: { posts, bytes, spans, serverSpans, byName, bad, cpu }
//
// "serverSpans" counts SERVER spans (one per traced incoming request); "byName" counts spans per
// span name (e.g. `GET /api/users/:id`, `redis mget`); "cpu" is this process's process.cpuUsage().
// Nothing is stored beyond the counters.
// Env: BENCH_PORT (required), BENCH_HOST (default 127.0.0.1).
import http from 'node:http';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';

const port = Number(process.env.BENCH_PORT);
const host = process.env.BENCH_HOST ?? '127.0.0.1';
if (!Number.isInteger(port) || port <= 0) throw new Error('BENCH_PORT must be a port number');

const SERVER = new Set([2, 'SPAN_KIND_SERVER']);
const stats = { posts: 0, bytes: 0, spans: 0, serverSpans: 0, bad: 0, byName: {} };

function count(body) {
  const doc = JSON.parse(body);
  for (const rs of doc.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        stats.spans += 1;
        if (SERVER.has(span.kind)) stats.serverSpans += 1;
        stats.byName[span.name] = (stats.byName[span.name] ?? 0) + 1;
      }
    }
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...stats, cpu: process.cpuUsage() }));
    return;
  }
  if (req.method !== 'POST' || !req.url.startsWith('/v1/traces')) {
    res.writeHead(404).end();
    return;
  }
  buffer(req).then(
    (body) => {
      let raw = body;
      stats.posts += 1;
      stats.bytes += raw.length;
      try {
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        count(raw.toString('utf8'));
      } catch {
        stats.bad += 1; // not JSON (e.g. protobuf): counted, still acknowledged
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    },
    () => {},
  ); // the client went away mid-request: nothing to answer
});
server.keepAliveTimeout = 30_000;
server.listen(port, host);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
