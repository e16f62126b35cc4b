import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { AppError, unauthorized } from '../../errors/appError.js';

/**
 * Access tokens: HS256 JWTs, short-lived, carrying the user id (`sub`), the session id (`sid`,
 * the refresh-token family) and the username. Refresh tokens: opaque `<id>.<secret>`; only the
 * SHA-256 of the secret is stored.
 */
export interface AccessClaims {
  userId: number;
  sessionId: string;
  username: string;
  expiresAt: number;
}

const ISSUER = 'mcp-platform';

export function createAccessTokens(secret: string, ttlSeconds: number) {
  const key = new TextEncoder().encode(secret);
  return {
    ttlSeconds,
    async sign(claims: { userId: number; sessionId: string; username: string }, now: Date): Promise<string> {
      const iat = Math.floor(now.getTime() / 1000);
      return new SignJWT({ sid: claims.sessionId, name: claims.username })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(claims.userId))
        .setIssuer(ISSUER)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key);
    },
    async verify(token: string, now: Date): Promise<AccessClaims> {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          algorithms: ['HS256'],
          currentDate: now,
        });
        const userId = Number(payload.sub);
        if (!Number.isSafeInteger(userId) || typeof payload.sid !== 'string' || typeof payload.name !== 'string') {
          throw unauthorized('malformed access token');
        }
        return { userId, sessionId: payload.sid, username: payload.name, expiresAt: payload.exp ?? 0 };
      } catch (e) {
        if (e instanceof AppError) throw e;
        if (e instanceof joseErrors.JWTExpired) throw new AppError('UNAUTHORIZED', 'access token expired', { reason: 'expired' });
        throw new AppError('UNAUTHORIZED', 'invalid access token', { reason: 'invalid' });
      }
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
