import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { AVAILABLE_MODULES, type ModuleName } from '../../src/config/modules.js';
import { startServe } from '../support/cli.js';
import { ADMIN_PASSWORD } from '../support/testPlatform.js';
import { createPlatform, prepareSchema } from '../../src/app/platform.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { nginxPrefix, tool, type NginxPrefix } from './deployTools.js';
import { formatRun, freePort, run, startDaemon, type Daemon } from './helpers.js';

/**
 * deploy/nginx checked by Debian's nginx: `nginx -t` on an installed copy of each gateway, the split
 * gateway's path rules against every route the code registers (each module's routes sent through a
 * real nginx to stand-in upstreams that say who they are), and one real platform behind the
 * all-in-one gateway (`node dist/cli/main.js serve`; `npm run build` first).
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (fetch would hide Content-Encoding and refuse some headers). */
function send(port: number, method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: url, headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startNginx(prefix: NginxPrefix, port: number): Promise<Daemon> {
  const nginx = startDaemon(tool('nginx'), prefix.args('daemon off; master_process off;'));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (nginx.child.exitCode !== null) throw new Error(`nginx exited:\n${nginx.output()}`);
    try {
      await send(port, 'GET', '/nginx-started-probe');
      return nginx;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}:\n${nginx.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** `printRoutes` of a Fastify app as [method, path] pairs (nested lines continue their parent's path). */
function routesOf(tree: string): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│├└─\s]*)(\S[^(]*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m?.[2]) continue;
    const depth = Math.floor((m[1] ?? '').length / 4);
    stack.length = depth;
    stack.push(m[2]);
    const full = stack.join('');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) if (method && method !== 'HEAD') out.push([method, full]);
  }
  return out;
}

describe('nginx -t', () => {
  for (const site of ['split', 'all-in-one'] as const) {
    it(`accepts the ${site} gateway as installed (HTTP and the TLS example)`, async () => {
      const prefix = await nginxPrefix(site, { http: await freePort(), https: await freePort() });
      try {
        const r = await run(tool('nginx'), ['-t', ...prefix.args()]);
        expect(r.code, formatRun(r)).toBe(0);
        expect(r.stderr).toContain('test is successful');
        // no warning either (duplicate MIME types, conflicting server names, …)
        expect(r.stderr, formatRun(r)).not.toMatch(/\[warn\]/);
      } finally {
        prefix.cleanup();
      }
    });
  }
});

describe('the split gateway routes each path to the module that serves it', () => {
  const stands: Server[] = [];
  let prefix: NginxPrefix;
  let nginx: Daemon;
  let port: number;
  let tlsPort: number;
  const routes = new Map<ModuleName, [string, string][]>();

  beforeAll(async () => {
    // the routes each module registers when it runs alone (`serve --only <module>`): a platform each,
    // as each process has its own (metrics register once per platform)
    for (const m of AVAILABLE_MODULES) {
      const dir = mkdtempSync(path.join(tmpdir(), 'mcp-routes-'));
      const config = loadConfig({ MCP_ENV: 'test', MCP_DATA_DIR: dir, MCP_LOG_DIR: path.join(dir, 'logs'), MCP_LOG_LEVEL: 'silent' });
      const platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, true)) });
      try {
        await prepareSchema(platform);
        const app = await createApp(platform, { draining: false }, [m]);
        routes.set(
          m,
          routesOf(app.printRoutes({ commonPrefix: false })).filter(([, p]) => p.startsWith('/api/')),
        );
        await app.close();
      } finally {
        await platform.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // one stand-in per module that answers with its name
    const upstreams: string[] = [];
    for (const m of AVAILABLE_MODULES) {
      const server = createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            module: m,
            url: req.url,
            forwardedFor: req.headers['x-forwarded-for'],
            forwardedProto: req.headers['x-forwarded-proto'],
            requestId: req.headers['x-request-id'],
          }),
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      stands.push(server);
      const address = server.address();
      upstreams.push(`upstream mcp_${m} { server 127.0.0.1:${typeof address === 'object' && address ? address.port : 0}; keepalive 4; }`);
    }
    port = await freePort();
    tlsPort = await freePort();
    prefix = await nginxPrefix('split', { http: port, https: tlsPort, upstreams: upstreams.join('\n') });
    nginx = await startNginx(prefix, port);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    prefix?.cleanup();
    for (const s of stands) s.close();
  });

  it('every /api route of every module reaches that module (a route every module serves, any of them)', async () => {
    const key = ([method, route]: [string, string]) => `${method} ${route}`;
    const lists = [...routes.values()].map((l) => new Set(l.map(key)));
    const shared = new Set([...(lists[0] ?? [])].filter((k) => lists.every((l) => l.has(k))));
    const wrong: string[] = [];
    let checked = 0;
    for (const [module, list] of routes) {
      expect(list.length, `${module} registers no /api route`).toBeGreaterThan(0);
      for (const [method, route] of list) {
        const url = route.replace(/:[A-Za-z]+/g, 'x1').replace(/\*$/, 'index.html');
        const withBody = method !== 'GET' && method !== 'DELETE';
        const r = await send(port, method, url, withBody ? { 'content-type': 'application/json' } : {}, withBody ? '{}' : undefined);
        const got = r.status === 200 ? (JSON.parse(r.body) as { module: string }).module : `HTTP ${r.status}`;
        const ok = shared.has(key([method, route])) ? (AVAILABLE_MODULES as readonly string[]).includes(got) : got === module;
        if (!ok) wrong.push(`${method} ${route}: expected ${module}, got ${got}`);
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('passes the client address, the scheme and a request id; an unknown /api path is a JSON 404 from the gateway', async () => {
    const r = await send(port, 'GET', '/api/users', { 'x-forwarded-for': '203.0.113.9' });
    const seen = JSON.parse(r.body) as { forwardedFor: string; forwardedProto: string; requestId: string };
    expect(seen.forwardedProto).toBe('http');
    // the forged header is replaced by the address nginx saw
    expect(seen.forwardedFor).toBe('127.0.0.1');
    expect(seen.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(r.headers['x-request-id']).toBe(seen.requestId);
    const own = await send(port, 'GET', '/api/roles', { 'x-request-id': 'trace-me-42' });
    expect(JSON.parse(own.body).requestId).toBe('trace-me-42');
    expect(own.headers['x-request-id']).toBe('trace-me-42');
    const unknown = await send(port, 'GET', '/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('NOT_FOUND');
    const metrics = await send(port, 'GET', '/metrics');
    expect(metrics.status).toBe(404);
  });

  it('the TLS example serves the same routes over HTTPS and tells the module so (X-Forwarded-Proto: https)', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: tlsPort, path: '/api/system/settings', rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toMatchObject({ module: 'system', forwardedProto: 'https' });
  });
});

describe('the all-in-one gateway in front of a running platform', () => {
  let dataDir: string;
  let serve: Awaited<ReturnType<typeof startServe>>;
  let prefix: NginxPrefix;
  let nginx: Daemon;
  let port: number;
  let platformPort: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'mcp-nginx-platform-'));
    platformPort = await freePort();
    serve = await startServe({
      MCP_ENV: 'test',
      MCP_PORT: String(platformPort),
      MCP_HOST: '127.0.0.1',
      MCP_DATA_DIR: dataDir,
      MCP_LOG_DIR: path.join(dataDir, 'logs'),
      MCP_LOG_FORMAT: 'json',
      MCP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MCP_TRUST_PROXY: 'true',
      MCP_ROLES: 'web',
    });
    port = await freePort();
    prefix = await nginxPrefix('all-in-one', {
      http: port,
      https: await freePort(),
      upstreams: `upstream mcp_platform { server 127.0.0.1:${platformPort} max_fails=3 fail_timeout=10s; keepalive 8; }`,
    });
    nginx = await startNginx(prefix, port);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    prefix?.cleanup();
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('/health and /ready answer through it, each response with its request id', async () => {
    const health = await send(port, 'GET', '/health', { 'x-request-id': 'gw-health-1' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body).status).toBe('ok');
    expect(health.headers['x-request-id']).toBe('gw-health-1');
    const ready = await send(port, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('an /api route works through it; the platform logs the request id and the client address nginx saw, not a forged one', async () => {
    const login = await send(
      port,
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json', 'x-request-id': 'gw-login-1', 'x-forwarded-for': '198.51.100.7' },
      JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    );
    expect(login.status, login.body).toBe(200);
    expect(JSON.parse(login.body).accessToken).toEqual(expect.any(String));
    expect(login.headers['x-request-id']).toBe('gw-login-1');
    const access = await waitForLine(path.join(dataDir, 'logs'), 'gw-login-1');
    expect(access.ip).toBe('127.0.0.1');
    expect(access.url).toBe('/api/auth/login');
  });

  it('refuses /metrics and bodies over the limit (the platform’s JSON error), compresses large JSON', async () => {
    expect((await send(platformPort, 'GET', '/metrics')).status).toBe(200);
    const metrics = await send(port, 'GET', '/metrics');
    expect(metrics.status).toBe(404);
    const big = await send(port, 'POST', '/api/auth/login', { 'content-type': 'application/json' }, `{"username":"${'a'.repeat(1_100_000)}"}`);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    // a JSON answer over gzip_min_length (1 KiB) is compressed for a client that accepts gzip
    const token = JSON.parse(
      (await send(port, 'POST', '/api/auth/login', { 'content-type': 'application/json' }, JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }))).body,
    ).accessToken as string;
    const plain = await send(port, 'GET', '/api/permissions', { authorization: `Bearer ${token}` });
    expect(plain.status, plain.body).toBe(200);
    expect(Buffer.byteLength(plain.body)).toBeGreaterThan(1024);
    const zipped = await send(port, 'GET', '/api/permissions', { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(Buffer.from(zipped.body, 'latin1')).toString('latin1')).toBe(plain.body);
  });
});

/** The access-log entry (JSON lines) of a request id, once the platform wrote it. */
async function waitForLine(logDir: string, requestId: string): Promise<{ ip: string; url: string }> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      for (const line of readFileSync(path.join(logDir, 'access.log'), 'utf8').split('\n')) {
        if (line.includes(requestId)) return JSON.parse(line) as { ip: string; url: string };
      }
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`no access-log line with request id ${requestId} in ${logDir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
