import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { OPERATIONS } from './operations.js';

/**
 * The API contract (OpenAPI 3.1), generated from the route schemas that validate requests: each
 * /api route gives its `operationId` and `summary` in its schema; its tag (the module) and its
 * security (bearer, or none on a public route) come from where it is mounted and the access it
 * declares (`x-permission` names the catalog permission a caller needs). Served at
 * `/api/openapi.json`, printed by `mcp-platform openapi`, browsable at `/api/docs`.
 */
export const OPENAPI_PATH = '/api/openapi.json';
export const API_DOCS_PREFIX = '/api/docs';

/** The module an /api path belongs to, by where its routes are mounted (server/app.ts). */
const TAGS: ReadonlyArray<[prefix: string, tag: string, description: string]> = [
  ['/api/auth/', 'auth', 'Sessions: login, refresh, logout, password change'],
  ['/api/users', 'user', 'User accounts'],
  ['/api/roles', 'permission', 'Roles and the permission catalog'],
  ['/api/permissions', 'permission', 'Roles and the permission catalog'],
  ['/api/system/', 'system', 'Audit log and settings'],
  ['/api/support/', 'support', 'Alert receiver, notification channels, contacts and outbox'],
  ['/api/ops/', 'ops', 'Operations: backups, restores, jobs, database topology, failover, alerts, incidents, overview'],
  ['/api/openapi.json', 'meta', 'The API contract itself'],
];

export function tagOf(url: string): string | undefined {
  return TAGS.find(([prefix]) => url === prefix.replace(/\/$/, '') || url.startsWith(prefix))?.[1];
}

const BEARER = 'bearerAuth';
/** Public to the session guard but checked by their own bearer token (not a user's access token). */
const OWN_TOKEN: Readonly<Record<string, string>> = { '/api/support/alerts/alertmanager': 'alertmanagerToken' };

function transform({ schema, url, route }: { schema: Record<string, unknown> | undefined; url: string; route: RouteOptions }) {
  const s = { ...(schema ?? {}) };
  if (!url.startsWith('/api/') || url.startsWith(`${API_DOCS_PREFIX}/`) || url === API_DOCS_PREFIX) return { schema: { ...s, hide: true }, url };
  const access = route.config?.permission;
  const tag = tagOf(url);
  const method = String(Array.isArray(route.method) ? route.method[0] : route.method).toUpperCase();
  const [operationId, summary] = OPERATIONS[`${method} ${url}`] ?? [derivedOperationId(method, url), undefined];
  return {
    schema: {
      operationId,
      ...(summary ? { summary } : {}),
      ...s,
      ...(tag ? { tags: [tag] } : {}),
      security: OWN_TOKEN[url] ? [{ [OWN_TOKEN[url]]: [] }] : access === 'public' ? [] : [{ [BEARER]: [] }],
      ...(access && access !== 'public' && access !== 'authenticated' ? { 'x-permission': access } : {}),
    },
    // `/api/users/` (a prefix's own route) is documented as `/api/users`, the way callers write it
    url: url.length > 5 && url.endsWith('/') ? url.slice(0, -1) : url,
  };
}

/** A placeholder name for a route missing from OPERATIONS: marked so the OpenAPI test finds it. */
export function derivedOperationId(method: string, url: string): string {
  return `${method.toLowerCase()}${url.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

const uniqueTags = [...new Map(TAGS.map(([, name, description]) => [name, { name, description }])).values()];

/** Registers the document generator on the root instance: call before any route is registered. */
export async function installOpenApi(app: FastifyInstance, opts: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mcp-platform API',
        description: 'The HTTP API of mcp-platform. Authenticate with POST /api/auth/login and send `Authorization: Bearer <accessToken>`.',
        version: opts.version,
      },
      tags: uniqueTags,
      components: {
        securitySchemes: {
          [BEARER]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'the accessToken of POST /api/auth/login' },
          alertmanagerToken: { type: 'http', scheme: 'bearer', description: 'MCP_ALERT_WEBHOOK_TOKEN, sent by Alertmanager' },
        },
      },
    },
    transform: transform as never,
  });
}

/** The API reference page at /api/docs (Swagger UI: its own script files, no inline script, so it works under the CSP). */
export async function installApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: API_DOCS_PREFIX,
    uiConfig: { deepLinking: true },
    theme: { title: 'mcp-platform API' },
  });
}

/** The document as served, without the server listening. */
export function openApiDocument(app: FastifyInstance): ReturnType<FastifyInstance['swagger']> {
  return app.swagger();
}
