import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedOperationId } from '../../src/server/openapi.js';
import { runCli } from '../support/cli.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

type Operation = { operationId?: string; summary?: string; tags?: string[]; security?: unknown[]; 'x-permission'?: string; responses?: Record<string, unknown> };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** The registered routes, read from Fastify's own route tree (`printRoutes`), as `METHOD /path/{param}`. */
function registeredApiRoutes(tree: string): string[] {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)$/.exec(line.replace(/\u00a0/g, ' '));
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = `${stack.join('')}${m[2]}`;
    stack.push(m[2]!);
    if (!path.startsWith('/api/') || path.startsWith('/api/docs')) continue;
    const openapiPath = path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1');
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.add(`${method} ${openapiPath}`);
  }
  return [...out].sort();
}

/** Issue 13 item 2: one API contract, generated from the route schemas, served and printed the same. */
describe('OpenAPI document', () => {
  let tp: TestPlatform;
  let doc: Doc;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded');
    const res = await tp.request({ method: 'GET', url: '/api/openapi.json' });
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => tp?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every registered /api route, each with a stable operationId, a summary, its module tag and its security', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const registered = registeredApiRoutes(tp.app.printRoutes({ commonPrefix: false }));
    expect(registered.length).toBeGreaterThan(60);
    expect(documented.sort()).toEqual(registered);
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.operationId, `${where} has only a derived name: add it to src/server/operations.ts`).not.toBe(derivedOperationId(method, path));
        expect(ids.has(op.operationId!), `${where}: duplicate operationId ${op.operationId}`).toBe(false);
        ids.add(op.operationId!);
        expect(op.summary, where).toBeTruthy();
        expect(op.tags?.length, where).toBe(1);
        expect(op.security, where).toBeDefined();
      }
    }
    // names the console's typed client calls
    const byId = new Map(Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => [op.operationId!, { path, m, op }])));
    expect(byId.get('listUsers')).toMatchObject({ path: '/api/users', m: 'get', op: { tags: ['user'], security: [{ bearerAuth: [] }], 'x-permission': 'users:read' } });
    expect(byId.get('login')).toMatchObject({ path: '/api/auth/login', m: 'post', op: { tags: ['auth'], security: [] } });
    expect(byId.get('getMe')?.op['x-permission']).toBeUndefined();
    expect(byId.get('receiveAlertmanager')?.op.security).toEqual([{ alertmanagerToken: [] }]);
  });

  it('carries the request schemas that validate requests, and response schemas for the main reads', () => {
    const createUser = doc.paths['/api/users']!.post as unknown as { requestBody: { content: Record<string, { schema: { required: string[] } }> } };
    expect(createUser.requestBody.content['application/json']!.schema.required).toEqual(expect.arrayContaining(['username', 'password']));
    const listUsers = doc.paths['/api/users']!.get as unknown as { parameters: { name: string; in: string }[] };
    expect(listUsers.parameters.map((p) => `${p.in}:${p.name}`)).toContain('query:page');
    for (const id of [
      'login',
      'getMe',
      'listUsers',
      'listRoles',
      'listPermissions',
      'listAuditLogs',
      'verifyAuditLog',
      'listBackups',
      'listJobs',
      'getJob',
      'listAlerts',
      'listIncidents',
    ]) {
      const op = Object.values(doc.paths)
        .flatMap((ops) => Object.values(ops))
        .find((o) => o.operationId === id);
      const ok = op?.responses?.['200'] as { content?: Record<string, { schema?: unknown }> } | undefined;
      expect(ok?.content?.['application/json']?.schema, `${id} declares its 200 response`).toBeTruthy();
    }
  });

  it('`mcp-platform openapi` prints the same document without a server or a database, and --out writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-openapi-'));
    try {
      // a database URL that cannot be reached: the command must not touch it, nor write anywhere
      const scratch = join(dir, 'tmp');
      mkdirSync(scratch);
      const env = { MCP_DB_URL: 'mysql://nobody:x@127.0.0.1:1/none', MCP_DATA_DIR: join(dir, 'data'), TMPDIR: scratch };
      const printed = await runCli(['openapi'], env);
      expect(printed.stderr).toBe('');
      expect(printed.code).toBe(0);
      expect(JSON.parse(printed.stdout)).toEqual(doc);
      const out = join(dir, 'openapi.json');
      const written = await runCli(['openapi', '--out', out], env);
      expect(written.code).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(doc);
      expect(readdirSync(scratch)).toEqual([]);
      expect(existsSync(join(dir, 'data'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the API reference page at /api/docs loads its scripts from files (no inline script) and reads the document', async () => {
    const page = await tp.request({ method: 'GET', url: '/api/docs' });
    expect(page.status).toBe(200);
    const html = String(page.body);
    expect(html).toMatch(/<script src="[^"]+swagger-ui-bundle\.js"/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const init = await tp.request({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' });
    expect(init.status).toBe(200);
    const bundle = await tp.request({ method: 'GET', url: '/api/docs/static/swagger-ui-bundle.js' });
    expect(bundle.status).toBe(200);
    const json = await tp.request({ method: 'GET', url: '/api/docs/json' });
    expect(json.body).toEqual(doc);
  });
});
