import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import Value from 'typebox/value';
import { AppError, invalid } from '../errors/appError.js';
import { PEER_HEADER, PEER_SIGNATURE_REFUSED, type PeerSpec, verifyPeerCall } from '../infra/peer/peerCall.js';
import type { Services } from '../services/requestState.js';

/** One served module's peer methods and where its service is in a request's wiring. */
export interface ServedPeer<S> {
  spec: PeerSpec<S>;
  service: (s: Services) => S;
}

/**
 * `POST /internal/<module>/<method>` for the modules this process serves (split mode, see
 * infra/peer/peerCall.ts): the signature over the exact body is checked before anything is parsed
 * further, then the arguments against the method's schema; the answer is `{ result }` or the
 * usual error body. Outside the guarded API (no user is calling), hidden from the OpenAPI document,
 * and never routed by the gateway.
 */
export const peerRoutes =
  (o: { key: Buffer; served: ServedPeer<never>[] }): FastifyPluginAsync =>
  async (app: FastifyInstance) => {
    // the signature covers the exact bytes sent: the body is kept as text (this plugin only)
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const { spec, service } of o.served) {
      for (const [method, m] of Object.entries(spec.methods)) {
        const target = `${spec.module}.${method}`;
        app.post(`/internal/${spec.module}/${method}`, { schema: { hide: true } }, async (request) => {
          const raw = typeof request.body === 'string' ? request.body : '';
          const caller = verifyPeerCall(o.key, request.headers[PEER_HEADER], target, raw);
          if (!caller) throw new AppError('UNAUTHORIZED', PEER_SIGNATURE_REFUSED);
          let args: unknown;
          try {
            args = (JSON.parse(raw) as { args?: unknown }).args;
          } catch {
            throw invalid('the body is not JSON');
          }
          if (!Value.Check(m.args, args)) throw invalid(`${target}: arguments do not match the contract`, { field: 'args' });
          const result = await m.serve(service(request.services), args as never);
          return { result: result ?? null }; // undefined is not JSON: the client reads null back as undefined
        });
      }
    }
  };
