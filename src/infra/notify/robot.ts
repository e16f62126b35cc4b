import { AppError } from '../../errors/appError.js';
import type { SendResult } from './channel.js';
import { type HttpResponse, httpFailure, parseRetryAfter, redact } from './http.js';

/**
 * The answer of a chat robot (DingTalk, WeCom, Feishu): an HTTP status and a JSON body with a
 * numeric result code. `classify` maps a non-zero code to the contract's error; the message carries
 * the robot's own text with every secret removed.
 */
export function robotResult(
  what: string,
  res: HttpResponse,
  o: {
    code: (body: Record<string, unknown>) => unknown;
    message: (body: Record<string, unknown>) => unknown;
    rateLimited: readonly number[];
    retryAfterMs: number;
    secrets: readonly (string | undefined)[];
  },
): SendResult {
  const body = res.json && typeof res.json === 'object' ? (res.json as Record<string, unknown>) : undefined;
  const rawCode = body ? o.code(body) : undefined;
  const code = typeof rawCode === 'number' ? rawCode : typeof rawCode === 'string' && /^-?\d+$/.test(rawCode) ? Number(rawCode) : undefined;
  const said = body ? redact(String(o.message(body) ?? ''), o.secrets) : '';
  if (res.status < 200 || res.status >= 300) {
    const providerCode = code !== undefined && code !== 0 ? String(code) : undefined;
    if (providerCode && o.rateLimited.includes(code!)) {
      throw new AppError('RATE_LIMITED', `${what} throttles: ${code}${said ? ` ${said}` : ''}`, {
        providerCode,
        status: res.status,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) ?? o.retryAfterMs,
      });
    }
    throw httpFailure(what, res, { providerCode, providerMessage: said || undefined, retryAfterMs: o.retryAfterMs });
  }
  if (code === undefined) throw new AppError('UNAVAILABLE', `${what} answered without a result code (HTTP ${res.status})`, { status: res.status });
  if (code === 0) return { providerCode: '0' };
  const providerCode = String(code);
  const text = `${code}${said ? ` ${said}` : ''}`;
  if (o.rateLimited.includes(code)) throw new AppError('RATE_LIMITED', `${what} throttles: ${text}`, { providerCode, retryAfterMs: o.retryAfterMs });
  throw new AppError('INVALID', `${what} refused the message: ${text}`, { providerCode });
}
