import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../app/platform.js';
import '../services/requestState.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for a request whose trace is recorded: the services wired to record under its span (Platform.traced). */
    tracedServices?: Services;
  }
}

/**
 * `request.services`, set once for every request: its traced wiring when its trace is recorded
 * (httpTracing.ts sets `tracedServices` in onRequest, before any route hook), the platform's otherwise.
 */
export function decorateRequestServices(app: FastifyInstance, platform: Services): void {
  app.decorateRequest('tracedServices', undefined);
  app.decorateRequest('services', {
    getter(this: FastifyRequest) {
      return this.tracedServices ?? platform;
    },
  });
}
