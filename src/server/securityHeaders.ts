import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Security headers on every response (helmet's, set in onRequest, so errors and 404s carry them too):
 * a CSP that allows only the platform's own scripts (no inline script; inline styles are allowed
 * for Ant Design's CSS-in-JS), no framing, no plugins, `base-uri 'self'`, nosniff, no referrer.
 * No `upgrade-insecure-requests`: a console served over plain HTTP inside a network would
 * otherwise ask the browser for https:// URLs nobody serves. HSTS only on a request that came over
 * TLS (`request.protocol`, which honours MCP_TRUST_PROXY's X-Forwarded-Proto): over plain HTTP it
 * would be ignored at best.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * helmet's headers for this configuration, worked out once: they do not depend on the request (no
 * CSP nonces). @fastify/helmet built the whole helmet middleware again on every request — parsing
 * the CSP each time — which cost the hot read path about a tenth of its CPU.
 */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  })({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  const headers = helmetHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers);
    if (request.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    done();
  });
}
