import type { FastifyRequest } from 'fastify';
import type { Platform, Services } from '../app/platform.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for a request whose trace is recorded: the services wired to record under its span (Platform.traced). */
    tracedServices?: Services;
  }
}

/** A service as a route uses it: the one for this request. */
export type PerRequest<T> = (request: FastifyRequest) => T;

/** The services a request uses: its traced wiring when its trace is recorded, the platform's otherwise. */
export const servicesOf =
  (platform: Platform): PerRequest<Services> =>
  (request) =>
    request.tracedServices ?? platform;
