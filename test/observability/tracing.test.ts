import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../src/observability/tracing.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * Spans leave over real OTLP/HTTP to a receiver the test runs, and form the right tree for a
 * request on MariaDB + Redis + RabbitMQ.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string } }[];
}

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

describe('tracing over OTLP/HTTP', () => {
  let receiver: Server;
  const spans: OtlpSpan[] = [];
  const contentTypes = new Set<string>();
  let tp: TestPlatform;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        contentTypes.add(String(req.headers['content-type']));
        if (req.url === '/v1/traces') {
          const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
          for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    const tracing = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_SERVICE_NAME: 'mcp-platform-test' });
    expect(tracing.enabled).toBe(true);
    tp = await startTestPlatform('real', { tracing });
  });
  afterAll(async () => {
    await tp?.close().catch(() => {});
    receiver?.close();
  });

  it('one request: the caller’s trace continues into an HTTP span whose children are the SQL, Redis and RabbitMQ spans', async () => {
    const token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const handled: string[] = [];
    await tp.platform.bus.subscribe(`trace-test-${process.pid}`, ['rbac.changed'], async (m) => {
      handled.push(m.topic);
    });
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await tp.request({
      method: 'POST',
      url: '/api/roles',
      token,
      body: { name: 'traced-role', permissions: ['ops:read'] },
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    expect(res.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while (handled.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await tp.platform.tracing.shutdown(); // flushes

    const inTrace = spans.filter((s) => s.traceId === callerTrace);
    const server = inTrace.find((s) => s.kind === SERVER);
    expect(server?.name).toBe('POST /api/roles');
    expect(server?.parentSpanId).toBe(callerSpan);
    const children = inTrace.filter((s) => s.parentSpanId === server?.spanId);
    const sql = children.filter((s) => s.kind === CLIENT && s.attributes.some((a) => a.key === 'db.system.name' && a.value.stringValue === 'mysql'));
    expect(sql.map((s) => s.name)).toEqual(expect.arrayContaining(['mysql insert', 'mysql select']));
    const redis = children.filter((s) => s.attributes.some((a) => a.key === 'db.system.name' && a.value.stringValue === 'redis'));
    expect(redis.map((s) => s.name)).toContain('redis mget'); // authentication's one round trip
    const publish = inTrace.find((s) => s.kind === PRODUCER && s.name === 'rbac.changed publish');
    expect(publish?.parentSpanId).toBe(server?.spanId);
    const consume = inTrace.find((s) => s.kind === CONSUMER && s.name === 'rbac.changed process');
    expect(consume?.parentSpanId).toBe(publish?.spanId);
    expect([...contentTypes]).toContain('application/json');

    // the request's access-log line carries the same trace id
    await tp.platform.logging.close();
    const access = readFileSync(join(tp.config.logDir, 'access.log'), 'utf8');
    expect(access).toMatch(new RegExp(`"POST /api/roles" 201 .*trace_id=${callerTrace}`));
  });
});
