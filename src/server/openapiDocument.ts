import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createPlatform } from '../app/platform.js';
import { loadConfig } from '../config/config.js';
import { createLogging, loggingConfigFrom } from '../observability/logging.js';
import { createApp } from './app.js';
import { openApiDocument } from './openapi.js';

/**
 * The same document without a server or a database: the app built over a throwaway embedded
 * platform (in-memory SQLite that is never queried, memory cache, in-process bus, no files), which
 * registers every route exactly as `serve` does. Every key it could generate is given, and its
 * data directory is a temporary one removed afterwards, so nothing is left behind.
 * `mcp-platform openapi` prints it; the console's build generates its client types from it.
 */
export async function buildOpenApiDocument(): Promise<ReturnType<FastifyInstance['swagger']>> {
  const scratch = mkdtempSync(join(tmpdir(), 'mcp-openapi-'));
  const key = () => randomBytes(32).toString('hex');
  const config = loadConfig({
    MCP_DB_URL: 'sqlite::memory:',
    MCP_REDIS_URL: 'memory:',
    MCP_AMQP_URL: 'inprocess:',
    MCP_DATA_DIR: scratch,
    MCP_LOG_DIR: scratch,
    MCP_LOG_LEVEL: 'silent',
    MCP_JWT_SECRET: key(),
    MCP_AUDIT_KEY: key(),
    MCP_NOTIFY_KEY: key(),
    MCP_BACKUP_KEY: key(),
  });
  const platform = createPlatform(config, { logging: createLogging({ ...loggingConfigFrom(config, false), level: 'silent' }) });
  try {
    const app = await createApp(platform);
    try {
      return openApiDocument(app);
    } finally {
      await app.close();
    }
  } finally {
    await platform.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
