import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';
import { AppError, unauthorized } from '../../errors/appError.js';

/**
 * Access tokens: HS256 JWTs, short-lived, carrying the user id (`sub`), the session id (`sid`,
 * the refresh-token family) and the username. They are signed with jose and verified on every
 * request with a synchronous HMAC (node:crypto, key imported once): only the exact header this
 * module writes is accepted, so algorithm confusion (`none`, RS256 with the secret as a public key)
 * is impossible. Refresh tokens: opaque `<id>.<secret>`; only the
 * SHA-256 of the secret is stored.
 */
export interface AccessClaims {
  userId: number;
  sessionId: string;
  username: string;
  expiresAt: number;
}

const ISSUER = 'mcp-platform';

const HEADER = { alg: 'HS256', typ: 'JWT' } as const;
const ENCODED_HEADER = Buffer.from(JSON.stringify(HEADER)).toString('base64url');
/** Clock skew tolerated for `iat` in the future, seconds. */
const SKEW_SECONDS = 30;

const invalidToken = () => new AppError('UNAUTHORIZED', 'invalid access token', { reason: 'invalid' });

export function createAccessTokens(secret: string, ttlSeconds: number) {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return {
    ttlSeconds,
    async sign(claims: { userId: number; sessionId: string; username: string }, now: Date): Promise<string> {
      const iat = Math.floor(now.getTime() / 1000);
      return new SignJWT({ sid: claims.sessionId, name: claims.username })
        .setProtectedHeader(HEADER)
        .setSubject(String(claims.userId))
        .setIssuer(ISSUER)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key);
    },
    async verify(token: string, now: Date): Promise<AccessClaims> {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== ENCODED_HEADER || !/^[A-Za-z0-9_-]+$/.test(parts[1]!) || !/^[A-Za-z0-9_-]{43}$/.test(parts[2]!)) {
        throw invalidToken();
      }
      const expected = createHmac('sha256', key).update(`${parts[0]}.${parts[1]}`).digest();
      const given = Buffer.from(parts[2]!, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidToken();
      let payload: { sub?: unknown; sid?: unknown; name?: unknown; iss?: unknown; exp?: unknown; iat?: unknown };
      try {
        payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof payload;
      } catch {
        throw invalidToken();
      }
      const nowSeconds = Math.floor(now.getTime() / 1000);
      if (typeof payload !== 'object' || payload === null || payload.iss !== ISSUER || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') {
        throw invalidToken();
      }
      if (payload.exp <= nowSeconds) throw new AppError('UNAUTHORIZED', 'access token expired', { reason: 'expired' });
      if (payload.iat > nowSeconds + SKEW_SECONDS) throw invalidToken();
      const userId = Number(payload.sub);
      if (typeof payload.sub !== 'string' || !Number.isSafeInteger(userId) || typeof payload.sid !== 'string' || typeof payload.name !== 'string') {
        throw unauthorized('malformed access token');
      }
      return { userId, sessionId: payload.sid, username: payload.name, expiresAt: payload.exp };
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;

export const newId = (): string => randomBytes(16).toString('hex');

export function newRefreshToken(): { id: string; secret: string; token: string; hash: string } {
  const id = newId();
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${id}.${secret}`, hash: sha256(secret) };
}

export function parseRefreshToken(token: string): { id: string; secret: string } {
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) throw unauthorized('invalid refresh token');
  return { id: m[1]!, secret: m[2]! };
}

export function refreshSecretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
}
