import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServe } from '../support/cli.js';
import { SERVICES, uniqueName } from '../support/services.js';
import { dropDatabase } from '../support/testPlatform.js';

/**
 * SIGTERM under load, on MariaDB + Redis + RabbitMQ: readiness fails first, requests already
 * accepted finish with their real answer, none is cut off, and the process exits 0. The load
 * generator behaves like a load balancer: it sends no new request once /ready reports 503.
 */
type Outcome = { kind: 'status'; status: number; at: number } | { kind: 'error'; code: string; at: number };

function call(url: string, method: string, body?: unknown, token?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ kind: 'status', status: res.statusCode ?? 0, at: Date.now() }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'error', code: e.code ?? e.message, at: Date.now() }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'error', code: e.code ?? e.message, at: Date.now() }));
    req.end(payload);
  });
}

describe('graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-shutdown-'));
  const dbName = uniqueName('mcp_shutdown');
  afterAll(async () => {
    await dropDatabase(dbName);
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM under load: /ready turns 503, in-flight requests complete, no connection is reset, exit 0', async () => {
    const password = 'Shutdown-Pass!9';
    const server = await startServe({
      MCP_DATA_DIR: dir,
      MCP_LOG_LEVEL: 'warn',
      MCP_HOST: '127.0.0.1',
      MCP_PORT: '0',
      MCP_DB_URL: `${SERVICES.mysql}/${dbName}`,
      MCP_REDIS_URL: SERVICES.redis,
      MCP_REDIS_KEY_PREFIX: `${dbName}:`,
      MCP_AMQP_URL: SERVICES.amqp,
      MCP_ADMIN_PASSWORD: password,
      MCP_SHUTDOWN_DRAIN: '1',
    });
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };

    let stop = false;
    let removedFromBalancer = false;
    const outcomes: Outcome[] = [];
    const readiness: { status: number; at: number }[] = [];
    const worker = async (i: number) => {
      while (!stop && !removedFromBalancer) {
        const o =
          // a third of the workers sign in: fewer parallel sign-ins of one account than the lockout limit (which would answer 429)
          i % 3 === 0
            ? await call(`${server.url}/api/auth/login`, 'POST', { username: 'admin', password })
            : await call(`${server.url}/api/users/1`, 'GET', undefined, accessToken);
        outcomes.push(o);
        if (o.kind === 'error') await new Promise((r) => setTimeout(r, 20));
      }
    };
    const prober = async () => {
      while (!stop) {
        const o = await call(`${server.url}/ready`, 'GET');
        if (o.kind === 'status') readiness.push({ status: o.status, at: o.at });
        if (o.kind === 'status' && o.status === 503) removedFromBalancer = true;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const workers = [...Array.from({ length: 12 }, (_, i) => worker(i)), prober()];
    await new Promise((r) => setTimeout(r, 1000));
    const sigtermAt = Date.now();
    server.child.kill('SIGTERM');
    const code = await server.exited;
    const exitedAt = Date.now();
    stop = true;
    await Promise.all(workers);

    expect(code, server.output()).toBe(0);
    const answered = outcomes.filter((o): o is Extract<Outcome, { kind: 'status' }> => o.kind === 'status');
    const failed = outcomes.filter((o) => o.kind === 'error');
    // Every request sent got its real answer — none reset, none refused, no 5xx from shutting down.
    expect(failed, JSON.stringify(failed.slice(0, 5))).toEqual([]);
    expect(new Set(answered.map((o) => o.status))).toEqual(new Set([200]));
    expect(answered.filter((o) => o.at > sigtermAt).length).toBeGreaterThan(0); // in flight at SIGTERM, finished after
    // Readiness failed during the drain, before the process went away.
    const drainingReady = readiness.filter((r) => r.at > sigtermAt && r.at < exitedAt);
    expect(drainingReady.some((r) => r.status === 503)).toBe(true);
    expect(readiness.filter((r) => r.at < sigtermAt).every((r) => r.status === 200)).toBe(true);
    expect(server.output()).toContain('已安全停止');
  });
});
