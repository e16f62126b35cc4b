import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '@fastify/cookie';
import { AppError, unauthorized } from '../../errors/appError.js';
import '../requestState.js';
import { EmptyBody, LoginBody, MeSchema, PasswordChangeBody, RefreshBody, type Principal, type Session, SessionProbeSchema, SessionSchema } from './contract.js';
import { bearerToken } from './tokens.js';

/** The browser's refresh token: httpOnly, SameSite=Strict, sent only to /api/auth. */
export const REFRESH_COOKIE = 'mcp_refresh';
const COOKIE_PATH = '/api/auth';

export interface AuthRouteOptions {
  /** Max-Age of the refresh cookie: the refresh token's lifetime (MCP_REFRESH_TOKEN_TTL). */
  refreshTtlSeconds: number;
}

const me = (p: Principal) => ({ id: p.userId, username: p.username, roles: p.roles, permissions: [...p.permissions], mustChangePassword: p.mustChangePassword });

/**
 * /api/auth — login, refresh, logout, password change, who am I, and the browser's session.
 *
 * Browsers (the console) log in with `session: "cookie"`: the refresh token then lives only in the
 * httpOnly cookie `mcp_refresh` (SameSite=Strict, Path=/api/auth, Secure over TLS), never in the
 * body or in script-readable storage. `POST /session` turns the cookie into an access token at
 * start-up and before expiry, rotating it like /refresh. CSRF: besides SameSite=Strict and the
 * narrow path, any request that carries the cookie (and every /session probe) must be
 * `Content-Type: application/json` — a cross-site HTML form cannot send that — else 415.
 * Without the cookie everything is as for the CLI and scripts: tokens in bodies, bearer headers.
 */
export const authRoutes: FastifyPluginAsync<AuthRouteOptions> = async (app, opts) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  const cookieOf = (req: FastifyRequest): string | undefined => {
    const v = req.cookies?.[REFRESH_COOKIE];
    return v && v.length <= 200 ? v : undefined;
  };
  const setCookie = (req: FastifyRequest, reply: FastifyReply, token: string) =>
    reply.setCookie(REFRESH_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      path: COOKIE_PATH,
      maxAge: opts.refreshTtlSeconds,
      secure: req.protocol === 'https',
    });
  const clearCookie = (req: FastifyRequest, reply: FastifyReply) =>
    reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', path: COOKIE_PATH, secure: req.protocol === 'https' });
  /** The session for the body: its refresh token went into the cookie. */
  const withoutRefresh = ({ refreshToken: _r, ...rest }: Session) => rest;

  app.addHook('onRequest', async (req) => {
    if (req.method !== 'POST') return;
    const probe = req.routeOptions.url?.endsWith('/session');
    if (!probe && req.cookies?.[REFRESH_COOKIE] === undefined) return;
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== 'application/json') throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json (a JSON body, {} when there is nothing to say)');
  });

  r.post(
    '/login',
    {
      config: { permission: 'public' },
      schema: {
        body: LoginBody,
        response: { 200: SessionSchema },
      },
    },
    async (req, reply) => {
      const { session: mode, ...credentials } = req.body;
      const session = await req.services.auth.login(credentials, req.requestContext);
      void reply.header('cache-control', 'no-store');
      if (mode !== 'cookie') return reply.send(session);
      // the browser's previous session (its cookie is about to be replaced) ends rather than lingering unreachable
      const previous = cookieOf(req);
      if (previous) await req.services.auth.logoutByRefreshToken(previous, req.requestContext);
      setCookie(req, reply, session.refreshToken);
      return reply.send(withoutRefresh(session));
    },
  );

  r.post(
    '/refresh',
    {
      config: { permission: 'public' },
      schema: {
        body: RefreshBody,
        response: { 200: SessionSchema },
      },
    },
    async (req, reply) => {
      void reply.header('cache-control', 'no-store');
      const fromBody = req.body?.refreshToken;
      if (fromBody) return reply.send(await req.services.auth.refresh(fromBody, req.requestContext));
      const cookie = cookieOf(req);
      if (!cookie) throw unauthorized('send {"refreshToken": …} or the mcp_refresh cookie');
      try {
        const session = await req.services.auth.refresh(cookie, req.requestContext);
        setCookie(req, reply, session.refreshToken);
        return reply.send(withoutRefresh(session));
      } catch (e) {
        if (e instanceof AppError && e.code === 'UNAUTHORIZED') clearCookie(req, reply);
        throw e;
      }
    },
  );

  r.post(
    '/session',
    {
      config: { permission: 'public' },
      schema: { body: EmptyBody, response: { 200: SessionProbeSchema } },
    },
    async (req, reply) => {
      void reply.header('cache-control', 'no-store');
      const cookie = cookieOf(req);
      if (!cookie) {
        if (req.cookies?.[REFRESH_COOKIE] !== undefined) clearCookie(req, reply);
        return reply.send({ authenticated: false as const });
      }
      let session: Session;
      try {
        session = await req.services.auth.refresh(cookie, req.requestContext);
      } catch (e) {
        // invalid, expired, revoked or reused (which ended the session): no session, not an error
        if (!(e instanceof AppError && e.code === 'UNAUTHORIZED')) throw e;
        clearCookie(req, reply);
        return reply.send({ authenticated: false as const });
      }
      setCookie(req, reply, session.refreshToken);
      const principal = await req.services.auth.authenticate(session.accessToken);
      return reply.send({ authenticated: true as const, accessToken: session.accessToken, tokenType: session.tokenType, expiresIn: session.expiresIn, user: me(principal) });
    },
  );

  // Public in the guard's sense: it authenticates itself, by the bearer token (CLI, scripts, the
  // console's access token) or by the refresh cookie alone (a browser whose access token expired).
  // No body schema: the CLI posts no body; a browser (it has the cookie) must send JSON, e.g. {}.
  r.post('/logout', { config: { permission: 'public' } }, async (req, reply) => {
    const token = bearerToken(req.headers.authorization);
    const cookie = cookieOf(req);
    if (!token && !cookie) {
      if (req.cookies?.[REFRESH_COOKIE] !== undefined) clearCookie(req, reply);
      throw unauthorized('send an access token: Authorization: Bearer <token>');
    }
    if (cookie) clearCookie(req, reply);
    if (token) {
      const principal = await req.services.auth.authenticate(token);
      await req.services.auth.logout(principal, req.requestContext);
    }
    if (cookie) await req.services.auth.logoutByRefreshToken(cookie, req.requestContext);
    return reply.status(204).send();
  });

  r.post(
    '/password',
    {
      config: { permission: 'authenticated', allowPasswordChange: true },
      schema: {
        body: PasswordChangeBody,
      },
    },
    async (req, reply) => {
      await req.services.auth.changePassword(req.requirePrincipal(), req.body, req.requestContext);
      return reply.status(204).send();
    },
  );

  r.get('/me', { config: { permission: 'authenticated', allowPasswordChange: true }, schema: { response: { 200: MeSchema } } }, async (req) => me(req.requirePrincipal()));
};
