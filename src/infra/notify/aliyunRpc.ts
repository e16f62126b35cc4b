import { createHmac, randomUUID } from 'node:crypto';
import { AppError } from '../../errors/appError.js';
import { hostOf, httpFailure, redact, sendHttp } from './http.js';

/**
 * Aliyun's RPC-style API call with signature version 1.0 (HMAC-SHA1), shared by the SMS
 * (dysmsapi SendSms) and voice (dyvmsapi SingleCallByTts) adapters:
 * - every parameter, common ones included, sorted by name; names and values percent-encoded
 *   per RFC 3986 (only `A-Z a-z 0-9 - _ . ~` left as is, space as `%20`);
 * - StringToSign = `GET&%2F&` + percentEncode(canonicalized query);
 * - Signature = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)), sent as a parameter.
 */
export interface AliyunRpcClient {
  /** `https://dysmsapi.aliyuncs.com/` — configurable so tests point it at a local receiver. */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  regionId?: string;
  timeoutMs?: number;
  /** Who is called, for messages: `Aliyun SMS at dysmsapi.aliyuncs.com`. */
  what: string;
}

/** The client for one product's account settings (`product` names it in messages: `Aliyun SMS`). */
export function aliyunClient(
  product: string,
  defaultEndpoint: string,
  config: { accessKeyId: string; accessKeySecret: string; endpoint?: string; regionId?: string },
  timeoutMs?: number,
): AliyunRpcClient {
  const endpoint = config.endpoint ?? defaultEndpoint;
  return { endpoint, accessKeyId: config.accessKeyId, accessKeySecret: config.accessKeySecret, regionId: config.regionId, timeoutMs, what: `${product} at ${hostOf(endpoint)}` };
}

/** Aliyun's answer: `Code` is `OK` on success; the rest depends on the action (BizId, CallId…). */
export interface AliyunAnswer {
  Code: string;
  Message?: string;
  RequestId?: string;
  [field: string]: unknown;
}

/** RFC 3986 percent-encoding as Aliyun's signature needs it. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonicalized query: parameters sorted by name, each `encode(name)=encode(value)`, joined by `&`. */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
}

/** The signature of a parameter set (without `Signature`) for an HTTP method. */
export function rpcSignature(params: Record<string, string>, accessKeySecret: string, method: 'GET' | 'POST' = 'GET'): string {
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

/** `2017-05-25T08:09:10Z`: ISO 8601 in UTC without milliseconds. */
export function rpcTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Codes meaning "too many": Aliyun's flow control (per number / per account) and API throttling. */
function isThrottle(code: string): boolean {
  return code.startsWith('Throttling') || code === 'isv.BUSINESS_LIMIT_CONTROL' || code === 'isv.DAY_LIMIT_CONTROL' || code === 'isv.MONTH_LIMIT_CONTROL';
}

/** Codes meaning "Aliyun is failing now": worth retrying. */
function isTransient(code: string): boolean {
  return code.startsWith('isp.') || code === 'InternalError' || code === 'ServiceUnavailable' || code.startsWith('ServiceUnavailable');
}

/** How long to wait after a throttle code when Aliyun does not say. */
export const ALIYUN_RETRY_AFTER_MS = 60_000;

/** The contract error for an Aliyun `Code` other than OK. */
export function aliyunFailure(what: string, status: number, code: string, message: string): AppError {
  const said = message ? ` (${message})` : '';
  if (isThrottle(code)) return new AppError('RATE_LIMITED', `${what} throttles: ${code}${said}`, { providerCode: code, retryAfterMs: ALIYUN_RETRY_AFTER_MS });
  if (status >= 500 || isTransient(code)) return new AppError('UNAVAILABLE', `${what} failed: ${code}${said}`, { providerCode: code, status });
  return new AppError('INVALID', `${what} refused the request: ${code}${said}`, { providerCode: code, status });
}

/** Calls one action with signed GET parameters; resolves with the answer when `Code` is `OK`. */
export async function callAliyunRpc(
  client: AliyunRpcClient,
  action: string,
  version: string,
  params: Record<string, string>,
  o: { now?: Date; nonce?: string } = {},
): Promise<AliyunAnswer> {
  const all: Record<string, string> = {
    AccessKeyId: client.accessKeyId,
    Action: action,
    Format: 'JSON',
    RegionId: client.regionId ?? 'cn-hangzhou',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: o.nonce ?? randomUUID(),
    SignatureVersion: '1.0',
    Timestamp: rpcTimestamp(o.now ?? new Date()),
    Version: version,
    ...params,
  };
  const signature = rpcSignature(all, client.accessKeySecret);
  const url = `${client.endpoint}${client.endpoint.includes('?') ? '&' : '?'}Signature=${percentEncode(signature)}&${canonicalQuery(all)}`;
  const res = await sendHttp({ url, method: 'GET', timeoutMs: client.timeoutMs, what: client.what });
  const answer = res.json as Partial<AliyunAnswer> | undefined;
  if (!answer || typeof answer.Code !== 'string') {
    if (res.status >= 200 && res.status < 300) throw new AppError('UNAVAILABLE', `${client.what} answered without a result code (HTTP ${res.status})`, { status: res.status });
    throw httpFailure(client.what, res);
  }
  if (answer.Code === 'OK' && res.status >= 200 && res.status < 300) return answer as AliyunAnswer;
  throw aliyunFailure(client.what, res.status, answer.Code, redact(String(answer.Message ?? ''), [client.accessKeySecret]));
}
