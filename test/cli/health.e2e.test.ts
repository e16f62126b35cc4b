import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe } from '../support/cli.js';
import { freePort } from '../support/mariadbServer.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/**
 * `mcp-platform health` (issue 14 item 3, RES-4) against real platform processes: all up, one down
 * (nothing listening), one hanging (accepts, never answers), one answering for another module.
 */
describe('health sweep of the modules', () => {
  let dir: string;
  let allInOne: Awaited<ReturnType<typeof startServe>>;
  let authOnly: Awaited<ReturnType<typeof startServe>>;
  let hung: net.Server;
  let hungPort: number;
  const held: net.Socket[] = [];
  const env = (services: string) => ({ MCP_DATA_DIR: join(dir, 'cli'), MCP_LOG_DIR: join(dir, 'cli-logs'), MCP_SERVICE_URLS: services });
  const all = (url: string) => ['auth', 'user', 'permission', 'system', 'support'].map((m) => `${m}=${url}`).join(',');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-health-'));
    const base = (name: string) => ({ MCP_DATA_DIR: join(dir, name), MCP_LOG_DIR: join(dir, `${name}-logs`), MCP_LOG_LEVEL: 'warn', MCP_HOST: '127.0.0.1' });
    allInOne = await startServe({ ...base('all'), MCP_PORT: '0' });
    authOnly = await startServe(base('auth'), ['--only', 'auth', '--port', String(await freePort())]);
    hung = net.createServer((s) => held.push(s)); // accepts and never answers
    hungPort = await new Promise<number>((r) => hung.listen(0, '127.0.0.1', () => r((hung.address() as net.AddressInfo).port)));
  }, 60_000);

  afterAll(async () => {
    for (const s of [allInOne, authOnly]) {
      s?.child.kill('SIGTERM');
      await s?.exited;
    }
    for (const s of held) s.destroy();
    hung?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('all up: one table, every available module 正常, business 未提供, exit 0', async () => {
    const res = await runCli(['health'], env(all(allInOne.url)));
    expect(res.code, res.stderr + res.stdout).toBe(0);
    for (const m of ['auth', 'user', 'permission', 'system', 'support'])
      expect(res.stdout).toMatch(new RegExp(`^${m}\\s+${allInOne.url}\\s+正常\\s+正常 \\d+ ms\\s+正常 \\d+ ms$`, 'm'));
    expect(res.stdout).toMatch(/^business\s+http:\/\/127\.0\.0\.1:8006\s+未提供/m);
    expect(res.stdout).toContain('全部 5 个模块正常');
  });

  it('one down, one hanging, one answering for another module: each named, exit 1, within the timeout', async () => {
    const closed = await freePort();
    const services = `${all(allInOne.url)},`
      .replace(`user=${allInOne.url},`, `user=http://127.0.0.1:${closed},`)
      .replace(`permission=${allInOne.url},`, `permission=http://127.0.0.1:${hungPort},`)
      .replace(`system=${allInOne.url},`, `system=${authOnly.url},`)
      .replace(/,$/, '');
    const started = Date.now();
    const res = await runCli(['health', '--timeout', '500', '--json'], env(services));
    const elapsed = Date.now() - started;
    expect(res.code, res.stderr).toBe(1);
    const sweep = JSON.parse(res.stdout) as { ok: boolean; modules: { module: string; state: string; live: { error?: string } | null }[] };
    const by = Object.fromEntries(sweep.modules.map((m) => [m.module, m]));
    expect(sweep.ok).toBe(false);
    expect(by.auth?.state).toBe('up');
    expect(by.support?.state).toBe('up');
    expect(by.user).toMatchObject({ state: 'down', live: { error: 'ECONNREFUSED' } });
    expect(by.permission).toMatchObject({ state: 'down', live: { error: 'no answer within 500 ms' } });
    expect(by.system).toMatchObject({ state: 'down', live: { error: 'serves auth, not system' } });
    // the hanging module costs the sweep its timeout, not a hang (generous bound: process start included)
    expect(elapsed).toBeLessThan(10_000);

    const human = await runCli(['health', '--timeout', '500', '--lang', 'en'], env(services));
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^user\s+\S+\s+down\s+failed ECONNREFUSED/m);
    expect(human.stdout).toContain('3 of 5 modules down or not ready');
  }, 30_000);

  it('bad input: a module the platform does not know is one line and exit 2, nothing checked', async () => {
    const res = await runCli(['health'], env('billing=http://127.0.0.1:1'));
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('MCP_SERVICE_URLS');
  });
});

describe('GET /api/ops/health', () => {
  let tp: TestPlatform;
  beforeAll(async () => {
    tp = await startTestPlatform('embedded', { env: { MCP_SERVICE_URLS: 'user=http://127.0.0.1:9' } });
  });
  afterAll(async () => tp?.close());

  it('gives the console the same sweep (ops:read), its own modules from the process; without a session 401', async () => {
    const token = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const res = await tp.request({ method: 'GET', url: '/api/ops/health?timeoutMs=500', token });
    expect(res.status).toBe(200);
    const user = (res.body.modules as { module: string; state: string; url: string }[]).find((m) => m.module === 'user');
    expect(user).toMatchObject({ state: 'down', url: 'http://127.0.0.1:9' });
    expect(res.body.ok).toBe(false);
    // the modules this (all-in-one) process serves and MCP_SERVICE_URLS does not place elsewhere
    // are reported from the process itself, not probed at ports nothing listens on
    const others = (res.body.modules as { module: string; state: string; url: string }[]).filter((m) => m.module !== 'user' && m.module !== 'business');
    expect(others.map((m) => m.module).sort()).toEqual(['auth', 'permission', 'support', 'system']);
    for (const m of others) expect(m).toMatchObject({ state: 'up', url: 'in-process', live: { ok: true }, ready: { ok: true } });
    expect(res.body.modules.find((m: { module: string }) => m.module === 'business')).toMatchObject({ state: 'not-available' });
    expect((await tp.request({ method: 'GET', url: '/api/ops/health' })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/api/ops/health?timeoutMs=5', token })).status).toBe(400);
  });
});
