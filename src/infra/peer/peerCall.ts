import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TSchema } from 'typebox';
import { Pool, type Dispatcher } from 'undici';
import { AppError, isErrorCode, unavailable } from '../../errors/appError.js';
import type { Breaker } from '../circuitBreaker.js';

/**
 * Calls between the platform's modules in split mode (SPEC PLAT-1, ARCHITECTURE "modules talk
 * through contracts"). A module's `peer.ts` names what other modules may call on it: each method's
 * argument schema, whether it is idempotent, and how the module serves it. In one process the
 * other modules call the service directly; in split mode `createPeerClient` calls it over HTTP
 * (`POST /internal/<module>/<method>`, an undici keep-alive pool) under the target's circuit
 * breaker, and the module's process answers through `servePeerCall`.
 *
 * Internal calls are signed, never open: the header `x-mcp-peer: v1.<caller>.<unix s>.<mac>` with
 * an HMAC-SHA256 (key derived from the shared token key, so no extra secret to distribute) over
 * the caller, the time, the method and the exact body. A call older or newer than 60 s is refused.
 * The gateway does not route /internal; the modules' own ports are on the private network.
 */
export interface PeerMethod<S> {
  /** Safe to send twice (reads, cache drops): retried once with backoff before it counts as failed. */
  idempotent: boolean;
  /** The arguments as JSON (a tuple); checked before the method runs. */
  args: TSchema;
  /** Runs the method on the local service. */
  serve(service: S, args: never): Promise<unknown>;
}

export interface PeerSpec<S> {
  module: string;
  methods: Record<string, PeerMethod<S>>;
}

export const PEER_HEADER = 'x-mcp-peer';
/** What a module answers (401) to an internal call without a valid signature. */
export const PEER_SIGNATURE_REFUSED = 'internal calls need a valid signature from another module';
const WINDOW_SECONDS = 60;

/** The key internal calls are signed with, derived from the token key (a different purpose, a different key). */
export function peerKey(tokenSecret: string): Buffer {
  return createHmac('sha256', tokenSecret).update('mcp-platform internal calls v1').digest();
}

function mac(key: Buffer, caller: string, at: number, target: string, body: string): Buffer {
  return createHmac('sha256', key).update(`${caller}\n${at}\n${target}\n${body}`).digest();
}

export function signPeerCall(key: Buffer, caller: string, target: string, body: string, now = Date.now()): string {
  const at = Math.floor(now / 1000);
  return `v1.${caller}.${at}.${mac(key, caller, at, target, body).toString('base64url')}`;
}

/** The caller's module name when the header is a valid signature of this call, else undefined. */
export function verifyPeerCall(key: Buffer, header: unknown, target: string, body: string, now = Date.now()): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^v1\.([a-z]{2,16})\.(\d{9,11})\.([A-Za-z0-9_-]{43})$/.exec(header);
  if (!m) return undefined;
  const at = Number(m[2]);
  if (Math.abs(Math.floor(now / 1000) - at) > WINDOW_SECONDS) return undefined;
  const given = Buffer.from(m[3]!, 'base64url');
  const expected = mac(key, m[1]!, at, target, body);
  return given.length === expected.length && timingSafeEqual(given, expected) ? m[1] : undefined;
}

export interface PeerClient {
  /**
   * Calls `method` on the module; its own errors (4xx) come back as the same AppError, never opening
   * the breaker. `headers` travel with the call (the trace context, see observability/tracing.ts).
   */
  call<T>(method: string, args: unknown[], o?: { headers?: Record<string, string> }): Promise<T>;
  /** Throws the module's open-circuit 503 at once (nothing is sent); see Breaker.rejectIfOpen. */
  ensureAvailable(): void;
  close(): Promise<void>;
}

/**
 * The HTTP client of one module's peer methods. A module that is down, slow or answering 5xx
 * counts against its breaker: after the configured failures in a row every call fails at once with
 * 503 UNAVAILABLE and a Retry-After, until a trial call finds it back.
 */
export function createPeerClient<S>(o: { spec: PeerSpec<S>; url: string; caller: string; key: Buffer; breaker: Breaker }): PeerClient {
  const base = new URL(o.url);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, { connections: 64, keepAliveTimeout: 30_000, pipelining: 1 });
  return {
    async call<T>(method: string, args: unknown[], co: { headers?: Record<string, string> } = {}): Promise<T> {
      const spec = o.spec.methods[method];
      if (!spec) throw new Error(`${o.spec.module} has no peer method ${method}`);
      const body = JSON.stringify({ args });
      const target = `${o.spec.module}.${method}`;
      const answer = await o.breaker
        .call(
          async (signal) => {
            let res: Dispatcher.ResponseData;
            try {
              res = await pool.request({
                path: `${prefix}/internal/${o.spec.module}/${method}`,
                method: 'POST',
                headers: { ...co.headers, 'content-type': 'application/json', [PEER_HEADER]: signPeerCall(o.key, o.caller, target, body) },
                body,
                signal,
              });
            } catch (e) {
              if (signal.aborted) throw e;
              throw new Error(`the ${o.spec.module} module at ${base.origin} cannot be reached: ${(e as Error).message}`);
            }
            const text = await res.body.text();
            if (res.statusCode >= 500) throw new Error(`the ${o.spec.module} module answered ${res.statusCode}: ${errorOf(text)?.message ?? text.slice(0, 200)}`);
            return { status: res.statusCode, text };
          },
          { idempotent: spec.idempotent },
        )
        .catch((e: unknown) => {
          // down, refusing connections or failing: 503 with the reason, like an open circuit
          throw e instanceof AppError ? e : unavailable((e as Error).message, e, { retryAfterSeconds: 1 });
        });
      if (answer.status >= 400) {
        const e = errorOf(answer.text);
        // the module did not accept our signature: the processes do not share the token key
        if (answer.status === 401 && e?.message === PEER_SIGNATURE_REFUSED) {
          throw unavailable(`the ${o.spec.module} module refused this module's signed call: every module needs the same MCP_JWT_SECRET (and clocks within a minute)`);
        }
        // its own refusal (not found, invalid…), as if the module had been called in-process
        if (e && isErrorCode(e.code)) throw new AppError(e.code, e.message, e.details);
        throw unavailable(`the ${o.spec.module} module refused an internal call (${answer.status})`);
      }
      return ((JSON.parse(answer.text) as { result?: T }).result ?? undefined) as T;
    },
    ensureAvailable: () => o.breaker.rejectIfOpen(),
    close: () => pool.close(),
  };
}

function errorOf(text: string): { code: string; message: string; details?: Record<string, unknown> } | undefined {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } }).error;
    return e && typeof e.code === 'string' && typeof e.message === 'string' ? { code: e.code, message: e.message, details: e.details } : undefined;
  } catch {
    return undefined;
  }
}
