import type { PeerClient } from '../infra/peer/peerCall.js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, Kysely, QueryId, QueryResult } from 'kysely';
import type { Bus, BusHandler } from '../infra/bus/bus.js';
import type { Cache } from '../infra/cache/cache.js';

/**
 * Tracing (SPEC MON-6): OpenTelemetry spans exported over OTLP/HTTP (Jaeger takes it on 4318),
 * configured by the standard variables — `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER[_ARG]`,
 * `OTEL_SDK_DISABLED`. Off when no endpoint is set. Spans: incoming HTTP (W3C trace context
 * honoured), every SQL statement (MySQL and SQLite alike), cache commands, bus publish/consume
 * (context carried in message headers). Without a sampler setting, 10 % of new traces are kept,
 * but at most MCP_TRACES_PER_SECOND (default 10) a second (parent-based: a sampled caller's trace
 * is always continued) — a token bucket like X-Ray's reservoir or Jaeger's rate-limiting sampler,
 * so the cost of recording and exporting stays bounded at any load; at the manual's 100 QPS the
 * cap is not reached. The SDK and exporter are loaded only when tracing is on.
 *
 * Context is propagated explicitly, not through AsyncLocalStorage: on Node 20 an
 * AsyncLocalStorage, once used, slows every promise of the process for good (a third of a fast
 * route's throughput, sampled or not; bench/observability). A recorded request gets its own
 * wiring of the services over adapters bound to its span (`Platform.traced`: `tracedQueries`,
 * `tracedCache`, `tracedBus` with a parent); everything else uses the plain adapters and costs
 * nothing. So no global context manager is installed and `context.active()` is always the root.
 */
export const DEFAULT_SAMPLE_RATIO = 0.1;

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /**
   * False when a new trace cannot be sampled now (sampler always_off, or this second's cap used
   * up): incoming work that continues no caller's trace then needs no span at all.
   */
  mayStartTrace(): boolean;
  shutdown(): Promise<void>;
}

const TRACER_NAME = 'mcp-platform';

/** Tracing off: spans are no-ops. */
export function tracingOff(): Tracing {
  return { enabled: false, tracer: trace.getTracer(TRACER_NAME), mayStartTrace: () => false, shutdown: async () => {} };
}

export async function startTracing(
  env: Record<string, string | undefined> = process.env,
  opts: { version?: string /** New traces a second at most (0 = no cap): config.tracesPerSecond. */; tracesPerSecond: number },
): Promise<Tracing> {
  const version = opts.version ?? '0.1.0';
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled = env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none';
  if (!endpoint || disabled) return tracingOff();

  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, { resourceFromAttributes }, sdk] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const { BasicTracerProvider, BatchSpanProcessor } = sdk;
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${endpoint.replace(/\/$/, '')}/v1/traces`;
  const { sampler, mayStartTrace } = samplerFrom(env, sdk, opts.tracesPerSecond);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'mcp-platform', 'service.version': version }),
    sampler,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    enabled: true,
    tracer: trace.getTracer(TRACER_NAME, version),
    mayStartTrace,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
    },
  };
}

/**
 * The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (the specification's values);
 * the ratio samplers keep at most `perSecond` new traces a second (0 = no cap). `mayStartTrace`
 * tells whether it could sample a new trace now (Tracing.mayStartTrace).
 */
export function samplerFrom(
  env: Record<string, string | undefined>,
  sdk: typeof import('@opentelemetry/sdk-trace-base'),
  perSecond: number,
): { sampler: Sampler; mayStartTrace: () => boolean } {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = sdk;
  const arg = env.OTEL_TRACES_SAMPLER_ARG !== undefined ? Number(env.OTEL_TRACES_SAMPLER_ARG) : DEFAULT_SAMPLE_RATIO;
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : DEFAULT_SAMPLE_RATIO;
  const always = () => true;
  const never = () => false;
  const capped = (): { sampler: Sampler; mayStartTrace: () => boolean } => {
    const inner = new TraceIdRatioBasedSampler(ratio);
    if (ratio === 0) return { sampler: inner, mayStartTrace: never };
    if (perSecond <= 0) return { sampler: inner, mayStartTrace: always };
    const bucket = tokenBucket(perSecond);
    return { sampler: cappedSampler(inner, bucket, sdk), mayStartTrace: bucket.available };
  };
  const parentBased = ({ sampler, mayStartTrace }: { sampler: Sampler; mayStartTrace: () => boolean }) => ({ sampler: new ParentBasedSampler({ root: sampler }), mayStartTrace });
  switch (env.OTEL_TRACES_SAMPLER ?? 'parentbased_traceidratio') {
    case 'always_on':
      return { sampler: new AlwaysOnSampler(), mayStartTrace: always };
    case 'always_off':
      return { sampler: new AlwaysOffSampler(), mayStartTrace: never };
    case 'traceidratio':
      return capped();
    case 'parentbased_always_on':
      return parentBased({ sampler: new AlwaysOnSampler(), mayStartTrace: always });
    case 'parentbased_always_off':
      return parentBased({ sampler: new AlwaysOffSampler(), mayStartTrace: never });
    default:
      return parentBased(capped());
  }
}

/** At most `perSecond` takes a second, with a burst of one second's worth. */
function tokenBucket(perSecond: number): { available: () => boolean; take: () => void } {
  let tokens = perSecond;
  let last = performance.now();
  return {
    available: () => {
      const now = performance.now();
      tokens = Math.min(perSecond, tokens + ((now - last) / 1000) * perSecond);
      last = now;
      return tokens >= 1;
    },
    take: () => {
      tokens -= 1;
    },
  };
}

/**
 * `inner`'s decisions, with at most the bucket's rate sampled. With no token left nothing can be
 * sampled, so `inner` is not asked: under load, most decisions take one clock read.
 */
function cappedSampler(inner: Sampler, bucket: ReturnType<typeof tokenBucket>, sdk: typeof import('@opentelemetry/sdk-trace-base')): Sampler {
  const notRecorded = { decision: sdk.SamplingDecision.NOT_RECORD };
  return {
    shouldSample(...args) {
      if (!bucket.available()) return notRecorded;
      const result = inner.shouldSample(...args);
      if (result.decision === sdk.SamplingDecision.RECORD_AND_SAMPLED) bucket.take();
      return result;
    },
    toString: () => `Capped{${inner.toString()}}`,
  };
}

/**
 * Runs `fn` in a span under `parent` that ends with it; errors mark the span and pass through.
 * `fn` gets the span's context (to hand on, e.g. in message headers). A CLIENT or PRODUCER span
 * (SQL, cache, publish) is created only under a recording span: otherwise `fn` runs as it is, at
 * no cost. Incoming work (CONSUMER, SERVER) always gets its span, and the sampler decides.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  attributes: Record<string, string | number>,
  parent: Context,
  fn: (ctx: Context) => Promise<T>,
): Promise<T> {
  if ((kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER) && !trace.getSpan(parent)?.isRecording()) return fn(parent);
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  return runInSpan(span, trace.setSpan(parent, span), fn);
}

async function runInSpan<T>(span: Span, ctx: Context, fn: (ctx: Context) => Promise<T>): Promise<T> {
  try {
    return await fn(ctx);
  } catch (e) {
    fail(span, e);
    throw e;
  } finally {
    span.end();
  }
}

function fail(span: Span, e: unknown): void {
  span.recordException(e as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
}

/** The parent context carried by incoming headers (W3C `traceparent`/`tracestate`). */
export const extractContext = (headers: Record<string, unknown>): Context => propagation.extract(ROOT_CONTEXT, headers);

/** Headers that carry `ctx` to another service (outgoing HTTP, bus messages). */
function injectHeaders(ctx: Context, carrier: Record<string, string> = {}): Record<string, string> {
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The parent of each statement of a traced query builder (tracedQueries), by the statement's query id. */
const queryParents = new WeakMap<QueryId, Context>();

/**
 * `db` whose statements become spans under `parent`: a Kysely plugin notes the parent of each
 * statement it builds (transactions started from it included), and the traced driver
 * (tracedDialect) opens the span around the statement's execution.
 */
export function tracedQueries<DB>(db: Kysely<DB>, parent: Context): Kysely<DB> {
  return db.withPlugin({
    transformQuery: ({ node, queryId }) => {
      queryParents.set(queryId, parent);
      return node;
    },
    transformResult: async ({ result }) => result,
  });
}

/**
 * A Kysely dialect whose statements run in a `db` span when they were built by a traced query
 * builder (tracedQueries); other statements run as they are (MySQL and SQLite alike).
 */
export function tracedDialect(dialect: Dialect, system: 'mysql' | 'sqlite', tracer: Tracer): Dialect {
  const traceConnection = (conn: DatabaseConnection): DatabaseConnection => ({
    executeQuery: <R>(q: CompiledQuery): Promise<QueryResult<R>> => {
      const parent = queryParents.get(q.queryId);
      if (!parent) return conn.executeQuery<R>(q);
      return inSpan(
        tracer,
        `${system} ${q.sql.split(/\s+/, 1)[0]?.toLowerCase() ?? 'query'}`,
        SpanKind.CLIENT,
        { 'db.system.name': system, 'db.query.text': q.sql.slice(0, 2000) },
        parent,
        () => conn.executeQuery<R>(q),
      );
    },
    streamQuery: (q, chunkSize) => conn.streamQuery(q, chunkSize),
  });
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: (): Driver => {
      const driver = dialect.createDriver();
      // traced connection → the driver's own (drivers release their own connection objects)
      const raw = new Map<DatabaseConnection, DatabaseConnection>();
      const traced = new WeakMap<DatabaseConnection, DatabaseConnection>();
      const unwrap = (c: DatabaseConnection) => raw.get(c) ?? c;
      return {
        init: () => driver.init(),
        acquireConnection: async () => {
          const conn = await driver.acquireConnection();
          let t = traced.get(conn);
          if (!t) {
            t = traceConnection(conn);
            traced.set(conn, t);
            raw.set(t, conn);
          }
          return t;
        },
        beginTransaction: (c, settings) => driver.beginTransaction(unwrap(c), settings),
        commitTransaction: (c) => driver.commitTransaction(unwrap(c)),
        rollbackTransaction: (c) => driver.rollbackTransaction(unwrap(c)),
        savepoint: driver.savepoint && ((c, name, compile) => driver.savepoint!(unwrap(c), name, compile)),
        rollbackToSavepoint: driver.rollbackToSavepoint && ((c, name, compile) => driver.rollbackToSavepoint!(unwrap(c), name, compile)),
        releaseSavepoint: driver.releaseSavepoint && ((c, name, compile) => driver.releaseSavepoint!(unwrap(c), name, compile)),
        releaseConnection: (c) => driver.releaseConnection(unwrap(c)),
        destroy: async () => {
          raw.clear();
          await driver.destroy();
        },
      };
    },
  };
}

/** `cache` whose commands run in `cache` spans under `parent`. */
export function tracedCache(cache: Cache, tracer: Tracer, parent: Context): Cache {
  const span = <T>(op: string, fn: () => Promise<T>) =>
    inSpan(tracer, `${cache.kind} ${op}`, SpanKind.CLIENT, { 'db.system.name': cache.kind, 'db.operation.name': op }, parent, fn);
  return {
    kind: cache.kind,
    get: (k) => span('get', () => cache.get(k)),
    mget: (ks) => span('mget', () => cache.mget(ks)),
    set: (k, v, ttl) => span('set', () => cache.set(k, v, ttl)),
    del: (...ks) => span('del', () => cache.del(...ks)),
    incr: (k, ttl) => span('incr', () => cache.incr(k, ttl)),
    ping: () => cache.ping(),
    stats: () => cache.stats(),
    disruptedAt: () => cache.disruptedAt(),
    close: () => cache.close(),
  };
}

/**
 * Calls to another module (split mode) in CLIENT spans `<module>.<method>` under `parent`, each
 * carrying its context (`traceparent`) so the module's own spans join the caller's trace.
 */
export function tracedPeer(client: PeerClient, module: string, tracer: Tracer, parent: Context): PeerClient {
  return {
    call: (method, args, o = {}) =>
      inSpan(tracer, `${module}.${method}`, SpanKind.CLIENT, { 'rpc.system': 'mcp-peer', 'rpc.service': module, 'rpc.method': method }, parent, (ctx) =>
        client.call(method, args, { ...o, headers: injectHeaders(ctx, { ...o.headers }) }),
      ),
    ensureAvailable: () => client.ensureAvailable(),
    close: () => client.close(),
  };
}

/**
 * `bus` whose handlers continue the trace a message carries (a CONSUMER span under the
 * publisher's), and whose publishes — given a `parent` — run in PRODUCER spans under it and carry
 * their context in the message headers. Without a parent a publish is sent as it is.
 */
export function tracedBus(bus: Bus, tracer: Tracer, parent?: Context): Bus {
  const system = bus.kind === 'amqp' ? 'rabbitmq' : 'inprocess';
  return {
    kind: bus.kind,
    publish: (topic, payload, options = {}) =>
      parent
        ? inSpan(tracer, `${topic} publish`, SpanKind.PRODUCER, { 'messaging.system': system, 'messaging.destination.name': topic }, parent, (ctx) =>
            bus.publish(topic, payload, { ...options, headers: injectHeaders(ctx, { ...options.headers }) }),
          )
        : bus.publish(topic, payload, options),
    subscribe: (queue, patterns, handler: BusHandler, options) =>
      bus.subscribe(
        queue,
        patterns,
        (message) =>
          inSpan(
            tracer,
            `${message.topic} process`,
            SpanKind.CONSUMER,
            { 'messaging.system': system, 'messaging.destination.name': message.topic, 'messaging.message.id': message.id },
            extractContext(message.headers),
            () => handler(message),
          ),
        options,
      ),
    deadLetters: (queue, limit) => bus.deadLetters(queue, limit),
    ping: () => bus.ping(),
    stats: () => bus.stats(),
    close: () => bus.close(),
  };
}
