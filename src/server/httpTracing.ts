import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { extractContext, type Tracing } from '../observability/tracing.js';
import type { Platform } from '../app/platform.js';
import './requestServices.js';

/**
 * One SERVER span per request, continuing the caller's W3C trace context. When it is recorded,
 * the request gets the services wired to record their SQL, cache and bus spans as its children
 * (`request.tracedServices`), and its log lines carry the trace id (the error handler adds
 * `request.traceId`); otherwise nothing else happens. A request that brings no `traceparent` while
 * no new trace can be sampled (Tracing.mayStartTrace) gets no span at all.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** Trace id of the request's span when its trace is recorded (for the access log). */
    traceId?: string;
    traceSpan?: Span;
  }
}

export function installHttpTracing(app: FastifyInstance, tracing: Tracing, traced: NonNullable<Platform['traced']>): void {
  const { tracer } = tracing;
  app.decorateRequest('traceId', undefined);
  app.decorateRequest('traceSpan', undefined);

  app.addHook('onRequest', (request, _reply, done) => {
    // No caller's trace to continue and none can be started now: nothing to record, no span.
    if (request.headers.traceparent === undefined && !tracing.mayStartTrace()) return done();
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = extractContext(request.headers);
    const span = tracer.startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } }, parent);
    if (span.isRecording()) {
      span.setAttributes({ 'url.path': request.url.split('?')[0] ?? '', 'client.address': request.ip });
      const traceId = span.spanContext().traceId;
      request.traceSpan = span;
      request.traceId = traceId;
      request.tracedServices = traced(trace.setSpan(parent, span), traceId);
    }
    done();
  });

  const end = (request: FastifyRequest, status?: number) => {
    const span = request.traceSpan;
    if (!span) return;
    request.traceSpan = undefined;
    if (status !== undefined) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } else span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
    span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request);
    done();
  });
}
