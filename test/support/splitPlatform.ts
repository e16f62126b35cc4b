import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadConfig } from '../../src/config/config.js';
import { AVAILABLE_MODULES, type ModuleName } from '../../src/config/modules.js';
import { createPlatform, prepareSchema } from '../../src/app/platform.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { ensureFirstAdmin } from '../../src/services/user/adminAccounts.js';
import { nginxPrefix, tool } from '../deploy/deployTools.js';
import { freePort, startDaemon, waitReady } from '../deploy/helpers.js';
import { startServe } from './cli.js';
import { ADMIN_PASSWORD, type Backend, dropBrokerObjects, dropDatabase, type TestPlatform, testEnvironment } from './testPlatform.js';

/**
 * The platform split as the manual deploys it (§6.5.1, issue 14): one `serve --only <module>`
 * process per module (`node dist/cli/main.js`; `npm run build` first), each on its own port and
 * reaching the others through MCP_SERVICE_URLS, behind a real nginx running this repo's split
 * gateway (deploy/nginx). `request` goes through the gateway; `platform` is a wiring of the same
 * database for the tests' own reads (it serves nothing). Same shape as a TestPlatform, so the API
 * suites run on it unchanged.
 */
export interface SplitPlatform extends Omit<TestPlatform, 'app'> {
  gateway: string;
  /** Each module's own address (what MCP_SERVICE_URLS names). */
  moduleUrl(m: ModuleName): string;
  /** Stops one module's process (SIGKILL: a crash), or starts it again on the same port. */
  kill(m: ModuleName): Promise<void>;
  restart(m: ModuleName): Promise<void>;
}

export async function startSplitPlatform(backend: Backend, opts: { env?: Record<string, string> } = {}): Promise<SplitPlatform> {
  const modules = AVAILABLE_MODULES;
  const ports = Object.fromEntries(await Promise.all(modules.map(async (m) => [m, await freePort()] as const))) as Record<ModuleName, number>;
  const moduleUrl = (m: ModuleName) => `http://127.0.0.1:${ports[m]}`;
  const { env, dataDir, dbName } = testEnvironment(backend, {
    env: {
      MCP_SERVICE_URLS: modules.map((m) => `${m}=${moduleUrl(m)}`).join(','),
      // the gateway is the only client: the caller's address is its X-Forwarded-For
      MCP_TRUST_PROXY: 'true',
      MCP_ROLES: 'web',
      ...opts.env,
    },
  });
  const config = loadConfig(env);
  // schema and first administrator first, so the modules start on a ready database
  const platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, true)) });
  await prepareSchema(platform);
  await ensureFirstAdmin(platform, ADMIN_PASSWORD);

  const children = new Map<ModuleName, ChildProcess>();
  const start = async (m: ModuleName) => {
    const s = await startServe(env, ['--only', m, '--port', String(ports[m])]);
    children.set(m, s.child);
  };
  const kill = async (m: ModuleName) => {
    const c = children.get(m);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  let nginx: ReturnType<typeof startDaemon> | undefined;
  let prefix: Awaited<ReturnType<typeof nginxPrefix>> | undefined;
  const stopAll = async () => {
    await nginx?.stop();
    prefix?.cleanup();
    await Promise.all(modules.map(kill));
  };
  const gatewayPort = await freePort();
  try {
    await Promise.all(modules.map(start));
    const upstreams = modules.map((m) => `upstream mcp_${m} { server 127.0.0.1:${ports[m]} max_fails=3 fail_timeout=10s; keepalive 32; keepalive_timeout 60s; }`);
    prefix = await nginxPrefix('split', { http: gatewayPort, https: await freePort(), upstreams: upstreams.join('\n') });
    nginx = startDaemon(tool('nginx'), prefix.args('daemon off; master_process off;'));
    await waitReady(`http://127.0.0.1:${gatewayPort}/health`, nginx, 'nginx');
  } catch (e) {
    await stopAll();
    await platform.close();
    throw e;
  }
  const gateway = `http://127.0.0.1:${gatewayPort}`;

  const request: TestPlatform['request'] = async ({ method, url, token, body, headers }) => {
    const raw = typeof body === 'string';
    const res = await fetch(`${gateway}${url}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed, headers: Object.fromEntries(res.headers) };
  };

  return {
    backend,
    config,
    platform,
    dataDir,
    dbName,
    gateway,
    moduleUrl,
    request,
    kill,
    restart: start,
    async login(username, password) {
      const res = await request({ method: 'POST', url: '/api/auth/login', body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async close() {
      await stopAll();
      await platform.close();
      if (dbName) await dropDatabase(dbName);
      if (dbName) await dropBrokerObjects(`${dbName}.`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
