import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import amqp from 'amqplib';
import { createConnection } from 'mysql2/promise';
import { loadConfig, type Config } from '../../src/config/config.js';
import { systemClock, type Clock } from '../../src/infra/clock.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import type { Tracing } from '../../src/observability/tracing.js';
import { createApp } from '../../src/server/app.js';
import { createPlatform, prepareSchema, type Platform } from '../../src/app/platform.js';
import { ensureFirstAdmin } from '../../src/services/user/adminAccounts.js';
import { SERVICES, uniqueName } from './services.js';

/**
 * A platform for API tests: `embedded` (SQLite file, memory cache, in-process bus) or `real`
 * (a fresh MariaDB database, Redis and RabbitMQ on this machine), with `admin` created.
 */
export type Backend = 'embedded' | 'real';
export const BACKENDS: Backend[] = ['embedded', 'real'];
export const ADMIN_PASSWORD = 'Sup3r-Secret!2026';

export interface TestPlatform {
  backend: Backend;
  config: Config;
  platform: Platform;
  app: FastifyInstance;
  dataDir: string;
  /** MariaDB database name (real backend). */
  dbName?: string;
  request(opts: {
    method: InjectOptions['method'];
    url: string;
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
  }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  login(username: string, password: string): Promise<{ accessToken: string; refreshToken: string; passwordChangeRequired: boolean }>;
  close(): Promise<void>;
}

type ServiceUrls = { mysqlBase?: string; redis?: string; amqp?: string };

/** A test platform's environment: its own data directory, and on `real` its own database, key prefix and queues. */
export function testEnvironment(
  backend: Backend,
  opts: { env?: Record<string, string>; urls?: ServiceUrls } = {},
): { env: Record<string, string>; dataDir: string; dbName?: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'mcp-test-'));
  const dbName = backend === 'real' ? uniqueName('mcp_test') : undefined;
  const env: Record<string, string> = {
    MCP_ENV: 'test',
    MCP_DATA_DIR: dataDir,
    MCP_LOG_DIR: join(dataDir, 'logs'),
    MCP_LOG_LEVEL: 'silent',
    MCP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...(backend === 'real'
      ? {
          MCP_DB_URL: `${opts.urls?.mysqlBase ?? SERVICES.mysql}/${dbName}`,
          MCP_REDIS_URL: opts.urls?.redis ?? SERVICES.redis,
          MCP_REDIS_KEY_PREFIX: `${dbName}:`,
          MCP_AMQP_URL: opts.urls?.amqp ?? SERVICES.amqp,
          // queues of their own: tests running at once never take each other's messages
          MCP_AMQP_PREFIX: `${dbName}.`,
        }
      : {}),
    ...opts.env,
  };
  return { env, dataDir, dbName };
}

/** What an API suite needs of a platform: in-process (TestPlatform) or split behind the gateway (splitPlatform.ts). */
export type ApiPlatform = Omit<TestPlatform, 'app'>;

export async function startTestPlatform(
  backend: Backend,
  opts: { env?: Record<string, string>; clock?: Clock; tracing?: Tracing; urls?: ServiceUrls } = {},
): Promise<TestPlatform> {
  const { env, dataDir, dbName } = testEnvironment(backend, opts);
  const config = loadConfig(env);
  const platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, true)), clock: opts.clock ?? systemClock, tracing: opts.tracing });
  await prepareSchema(platform);
  await ensureFirstAdmin(platform, ADMIN_PASSWORD);
  const app = await createApp(platform);

  const request: TestPlatform['request'] = async ({ method, url, token, body, headers }) => {
    const raw = typeof body === 'string';
    const res = await app.inject({
      method,
      url,
      headers: { ...(raw ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined ? {} : { payload: raw ? body : (body as object) }),
    });
    let parsed: unknown;
    if (res.body) {
      try {
        parsed = JSON.parse(res.body);
      } catch {
        parsed = res.body;
      }
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };

  return {
    backend,
    config,
    platform,
    app,
    dataDir,
    dbName,
    request,
    async login(username, password) {
      const res = await request({ method: 'POST', url: '/api/auth/login', body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async close() {
      await app.close();
      await platform.close();
      if (dbName) await dropDatabase(dbName, opts.urls?.mysqlBase);
      if (dbName) await dropBrokerObjects(`${dbName}.`, opts.urls?.amqp);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The durable queues and exchanges a real-backend test platform declared under its own prefix on the shared broker. */
export async function dropBrokerObjects(prefix: string, url = SERVICES.amqp): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const q of ['notify.delivery', 'notify.delivery.dead']) await ch.deleteQueue(`${prefix}${q}`);
    for (const x of ['events', 'events.dlx']) await ch.deleteExchange(`${prefix}${x}`);
    await ch.close();
  } finally {
    await conn.close();
  }
}

export async function dropDatabase(name: string, base = SERVICES.mysql): Promise<void> {
  const u = new URL(base);
  const conn = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username) || 'root', password: decodeURIComponent(u.password) });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}
