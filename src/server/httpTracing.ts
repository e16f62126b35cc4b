import { SpanKind, SpanStatusCode, context, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { extractContext } from '../observability/tracing.js';

/**
 * One SERVER span per request, continuing the caller's W3C trace context; the handler and all
 * that it does (SQL, cache, bus) run inside it, so their spans are its children.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** Trace id of the request's span when tracing is on (for the access log). */
    traceId?: string;
  }
}

export function installHttpTracing(app: FastifyInstance, tracer: Tracer): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.decorateRequest('traceId', undefined);

  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = extractContext(request.headers);
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?')[0] ?? '', 'client.address': request.ip } },
      parent,
    );
    spans.set(request, span);
    if (span.isRecording()) request.traceId = span.spanContext().traceId;
    context.with(trace.setSpan(parent, span), done);
  });

  const end = (request: FastifyRequest, status?: number) => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
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
