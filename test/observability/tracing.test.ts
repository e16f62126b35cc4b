import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import * as sdk from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import { samplerFrom, startTracing } from '../../src/observability/tracing.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';
import { CLIENT, CONSUMER, type OtlpSpan, PRODUCER, SERVER, startOtlpReceiver } from '../support/otlpReceiver.js';

/**
 * Spans leave over real OTLP/HTTP to a receiver the test runs, and form the right tree for a
 * request on MariaDB + Redis + RabbitMQ.
 */
describe('tracing over OTLP/HTTP', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let spans: OtlpSpan[];
  let contentTypes: Set<string>;
  let tp: TestPlatform;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    ({ spans, contentTypes } = receiver);
    const tracing = await startTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_SERVICE_NAME: 'mcp-platform-test' },
      { tracesPerSecond: 0 },
    );
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
    // The consumer can run before the broker confirms the publish, which ends its span: wait for the
    // publish span to be exported (the batch processor exports every few seconds) before flushing.
    const published = () => spans.some((s) => s.traceId === callerTrace && s.kind === PRODUCER);
    const exported = Date.now() + 15_000;
    while (!published() && Date.now() < exported) await new Promise((r) => setTimeout(r, 100));
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

describe('sampling under concurrency', () => {
  it('records exactly the sampled requests, each a whole tree of its own, while unsampled ones run untraced beside them', async () => {
    const receiver = await startOtlpReceiver();
    // Roots are not sampled; a caller's sampled flag is honoured (parent-based), so the test
    // chooses which requests are recorded.
    const tracing = await startTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_TRACES_SAMPLER: 'parentbased_always_off' },
      { tracesPerSecond: 10 },
    );
    const tp = await startTestPlatform('real', { tracing });
    try {
      const token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
      const traceId = (i: number) => `${'ab'.repeat(12)}${i.toString(16).padStart(8, '0')}`;
      const sampled = new Set<string>();
      const unsampled = new Set<string>();
      const requests = Array.from({ length: 60 }, (_, i) => {
        const kind = i % 3; // 0: caller sampled, 1: caller not sampled, 2: no caller (a root: not sampled)
        const headers: Record<string, string> = {};
        if (kind === 0) sampled.add(traceId(i));
        if (kind === 1) unsampled.add(traceId(i));
        if (kind !== 2) headers.traceparent = `00-${traceId(i)}-${'cd'.repeat(8)}-0${kind === 0 ? 1 : 0}`;
        return tp.request({ method: 'GET', url: '/api/users?page=1&pageSize=5', token, headers });
      });
      for (const res of await Promise.all(requests)) expect(res.status).toBe(200);
      await tracing.shutdown(); // flushes

      const spans = receiver.spans;
      // every span belongs to a sampled caller's trace: nothing of an unsampled request leaked
      expect(new Set(spans.map((s) => s.traceId))).toEqual(sampled);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      for (const id of sampled) {
        const inTrace = spans.filter((s) => s.traceId === id);
        const server = inTrace.filter((s) => s.kind === SERVER);
        expect(server, id).toHaveLength(1);
        // its SQL and cache spans hang under its own server span, never under another request's
        const children = inTrace.filter((s) => s.kind === CLIENT);
        expect(children.length, id).toBeGreaterThan(0);
        for (const c of children) expect(byId.get(c.parentSpanId ?? '')?.traceId, c.name).toBe(id);
        expect(children.some((c) => c.parentSpanId === server[0]!.spanId)).toBe(true);
      }
      for (const id of unsampled) expect(spans.some((s) => s.traceId === id)).toBe(false);
    } finally {
      await tp.close().catch(() => {});
      receiver.close();
    }
  });
});

describe('a recorded request and its neighbours', () => {
  it('runs on its own wiring of the services yet shares their state, and its log lines carry its trace id', async () => {
    const receiver = await startOtlpReceiver();
    const tracing = await startTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_TRACES_SAMPLER: 'parentbased_always_off' },
      { tracesPerSecond: 10 },
    );
    const tp = await startTestPlatform('embedded', { tracing, env: { MCP_LOG_LEVEL: 'info' } });
    try {
      const recorded = (id: string) => ({ traceparent: `00-${id}-${'cd'.repeat(8)}-01` });
      const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
      const role = await tp.request({ method: 'POST', url: '/api/roles', token: admin, body: { name: 'tracer-role', permissions: ['audit:read'] } });
      expect(role.status).toBe(201);
      expect(
        (
          await tp.request({
            method: 'POST',
            url: '/api/users',
            token: admin,
            body: { username: 'tracer1', email: 'tracer1@example.com', password: 'Str0ng-Pass!', roles: ['tracer-role'] },
          })
        ).status,
      ).toBe(201);
      const user = (await tp.login('tracer1', 'Str0ng-Pass!')).accessToken;
      expect((await tp.request({ method: 'GET', url: '/api/users', token: user })).status).toBe(403);

      // a recorded request grants users:read; the next, unrecorded, request of that user has it at once
      const grant = 'a1'.repeat(16);
      expect(
        (await tp.request({ method: 'PATCH', url: `/api/roles/${role.body.id}`, token: admin, body: { permissions: ['audit:read', 'users:read'] }, headers: recorded(grant) }))
          .status,
      ).toBe(200);
      expect((await tp.request({ method: 'GET', url: '/api/users', token: user })).status).toBe(200);

      // a recorded request that fails: the line it logs carries its trace id
      const failing = 'b2'.repeat(16);
      await tp.platform.database.close();
      expect((await tp.request({ method: 'GET', url: '/api/users', token: admin, headers: recorded(failing) })).status).toBeGreaterThanOrEqual(500);
      await tracing.shutdown();
      await tp.platform.logging.close();
      expect(readFileSync(join(tp.config.logDir, 'app.log'), 'utf8')).toMatch(new RegExp(`\\| (WARNING|ERROR) .* - .*trace_id=${failing}`));

      const grantSpans = receiver.spans.filter((s) => s.traceId === grant);
      const server = grantSpans.find((s) => s.kind === SERVER);
      expect(server?.name).toBe('PATCH /api/roles/:id');
      expect(grantSpans.filter((s) => s.parentSpanId === server?.spanId && s.name.startsWith('sqlite ')).length).toBeGreaterThan(2);
      // the unrecorded requests left nothing
      expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set([grant, failing]));
    } finally {
      await tp.close().catch(() => {});
      receiver.close();
    }
  });
});

describe('default sampler', () => {
  const decide = ({ sampler }: ReturnType<typeof samplerFrom>, parent = ROOT_CONTEXT) =>
    sampler.shouldSample(parent, randomBytes(16).toString('hex'), 'GET /api/users', SpanKind.SERVER, {}, []).decision;

  it('keeps the ratio of new traces but never more than the cap a second, and always continues a sampled caller', async () => {
    const capped = samplerFrom({ OTEL_TRACES_SAMPLER_ARG: '1' }, sdk, 5);
    expect(capped.mayStartTrace()).toBe(true);
    const burst = Array.from({ length: 200 }, () => decide(capped));
    expect(burst.filter((d) => d === sdk.SamplingDecision.RECORD_AND_SAMPLED)).toHaveLength(5);
    // the cap used up: a request that brings no trace of its own needs no span (httpTracing)
    expect(capped.mayStartTrace()).toBe(false);
    // a caller that sampled its trace is continued whatever the cap says
    const caller = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(decide(capped, caller)).toBe(sdk.SamplingDecision.RECORD_AND_SAMPLED);
    await new Promise((r) => setTimeout(r, 450));
    const refilled = Array.from({ length: 200 }, () => decide(capped)).filter((d) => d === sdk.SamplingDecision.RECORD_AND_SAMPLED).length;
    expect(refilled).toBeGreaterThanOrEqual(1);
    expect(refilled).toBeLessThanOrEqual(3);

    const uncapped = samplerFrom({ OTEL_TRACES_SAMPLER_ARG: '0.1' }, sdk, 0);
    const share = Array.from({ length: 5000 }, () => decide(uncapped)).filter((d) => d === sdk.SamplingDecision.RECORD_AND_SAMPLED).length / 5000;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    expect(uncapped.mayStartTrace()).toBe(true);
    expect(samplerFrom({ OTEL_TRACES_SAMPLER: 'always_off' }, sdk, 10).mayStartTrace()).toBe(false);
    expect(samplerFrom({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }, sdk, 10).mayStartTrace()).toBe(true);
  });
});
