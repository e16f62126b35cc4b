import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/appError.js';

/**
 * Request hygiene common to every route (the response headers, nosniff included, are
 * securityHeaders.ts): JSON bodies nested deeper than `maxJsonDepth` refused with 400 INVALID before they
 * are parsed. A deep body parses fine (V8's JSON.parse does not recurse) but every recursive walk
 * after it — JSON.stringify when a setting or an audit record is stored, the response serializer —
 * overflows the stack, which was a 500.
 */
export function installHttpHygiene(app: FastifyInstance, opts: { maxJsonDepth: number }): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepthExceeds(body as string, opts.maxJsonDepth)) {
      return done(new AppError('INVALID', `request body is nested deeper than ${opts.maxJsonDepth} levels`), undefined);
    }
    parseJson(request, body as string, done);
  });
}

/** True when the JSON text opens more than `max` arrays/objects at once (a linear scan; strings skipped). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Refuses the request unless it carries `Authorization: Bearer <token>` (compared in constant time). */
export function requireBearer(request: FastifyRequest, token: string, what: string): void {
  const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(given), digest(token))) throw new AppError('UNAUTHORIZED', `${what} needs Authorization: Bearer <token>`);
}
