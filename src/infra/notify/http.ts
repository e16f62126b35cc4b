import { AppError } from '../../errors/appError.js';

/**
 * The HTTP side every HTTP adapter shares: Node's fetch with a timeout, no redirects followed
 * (a redirect could carry secret headers elsewhere), and the mapping of transport failures and
 * statuses onto the channel contract's error codes. Messages name the provider and host only —
 * never a URL (robot URLs carry their token) nor a secret.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Longest provider message kept in an error. */
const MAX_PROVIDER_MESSAGE = 200;

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Who is called, for messages: `DingTalk robot at oapi.dingtalk.com`. */
  what: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** `scheme://host[:port]` of a URL, for messages (no path, no query, no credentials). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/** Removes every secret (and its URL-encoded form) from a text received from a provider, then shortens it. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('***');
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_PROVIDER_MESSAGE ? `${out.slice(0, MAX_PROVIDER_MESSAGE)}…` : out;
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Sends one request; a timeout, a refused connection or any transport failure rejects with UNAVAILABLE. */
export async function sendHttp(req: HttpRequest): Promise<HttpResponse> {
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  } catch (e) {
    const err = e as { name?: string; cause?: { code?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      throw new AppError('UNAVAILABLE', `${req.what}: no answer within ${timeoutMs} ms`, { reason: 'timeout' });
    }
    const code = err.cause?.code ?? 'error';
    throw new AppError('UNAVAILABLE', `${req.what}: cannot connect (${code})`, { reason: code });
  }
}

/**
 * The error for a failed HTTP answer: 429 → RATE_LIMITED (with Retry-After), 5xx → UNAVAILABLE,
 * a redirect or any other status → INVALID. `providerCode` defaults to the status.
 */
export function httpFailure(what: string, res: HttpResponse, o: { providerCode?: string; providerMessage?: string; retryAfterMs?: number } = {}): AppError {
  const providerCode = o.providerCode ?? String(res.status);
  const said = o.providerMessage ? `: ${o.providerMessage}` : '';
  if (res.status === 429) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after')) ?? o.retryAfterMs;
    return new AppError('RATE_LIMITED', `${what} throttles (HTTP 429${said})`, { providerCode, status: res.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (res.status >= 500) return new AppError('UNAVAILABLE', `${what} failed (HTTP ${res.status}${said})`, { providerCode, status: res.status });
  if (res.status >= 300 && res.status < 400)
    return new AppError('INVALID', `${what} answered with a redirect (HTTP ${res.status}); configure the final URL`, { providerCode, status: res.status });
  return new AppError('INVALID', `${what} refused the message (HTTP ${res.status}${said})`, { providerCode, status: res.status });
}

/** A JSON request body with its content type. */
export function jsonHeaders(extra?: Record<string, string>): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', ...extra };
}
