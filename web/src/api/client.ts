import createClient from 'openapi-fetch';
import type { paths } from './schema';
import type { SessionStore } from './session';

/** An API error as the platform sends it: `{ error: { code, message, details } }` plus the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * A fetch that sends the in-memory access token and the console's language; on a 401 it refreshes
 * the session once (the refresh cookie) and retries the request with the new token.
 */
export function createAuthFetch(session: Pick<SessionStore, 'accessToken' | 'refresh'>, lang: () => string, base: (r: Request) => Promise<Response> = (r) => fetch(r)) {
  return async (request: Request): Promise<Response> => {
    const retry = request.clone();
    const token = session.accessToken();
    for (const r of [request, retry]) r.headers.set('accept-language', lang());
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    const res = await base(request);
    if (res.status !== 401 || !token) return res;
    const fresh = await session.refresh();
    if (!fresh) return res;
    retry.headers.set('authorization', `Bearer ${fresh}`);
    return base(retry);
  };
}

export type Api = ReturnType<typeof createClient<paths>>;

export function createApi(fetcher: (r: Request) => Promise<Response>): Api {
  return createClient<paths>({ baseUrl: '', fetch: fetcher, credentials: 'same-origin' });
}

/** The data of an openapi-fetch result, or an ApiError carrying the server's code and message. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = (result.error as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  throw new ApiError(result.response.status, body?.code ?? `HTTP_${result.response.status}`, body?.message ?? result.response.statusText, body?.details);
}
