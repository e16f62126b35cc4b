import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl } from '../../src/config/config.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mcp-cfg-'));
  dirs.push(d);
  return d;
};

describe('configuration', () => {
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  it('defaults to the embedded platform with the manual’s pool settings (§7.2)', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8000);
    expect(c.dbUrl).toBe('sqlite:./data/mcp_platform.db');
    expect(c.redisUrl).toBe('memory:');
    expect(c.amqpUrl).toBe('inprocess:');
    expect(c.backupDir).toBe('./data/backups');
    expect(c.pool).toEqual({ size: 10, overflow: 20, timeoutSeconds: 30, recycleSeconds: 3600 });
    expect(c.adminPassword).toBeUndefined();
    expect(c.tracesPerSecond).toBe(10);
  });

  it('new settings of issue 9: AMQP name prefix, JSON depth, metrics token (also from a 0600 file)', () => {
    const c = loadConfig({});
    expect(c.amqpPrefix).toBe('mcp.');
    expect(c.http.maxJsonDepth).toBe(32);
    expect(c.http.metricsToken).toBeUndefined();
    const dir = tempDir();
    writeFileSync(join(dir, 'metrics'), 'a-metrics-token-of-32-characters\n', { mode: 0o600 });
    const set = loadConfig({ MCP_AMQP_PREFIX: 'staging.', MCP_HTTP_JSON_DEPTH: '64', MCP_METRICS_TOKEN_FILE: join(dir, 'metrics') });
    expect([set.amqpPrefix, set.http.maxJsonDepth, set.http.metricsToken]).toEqual(['staging.', 64, 'a-metrics-token-of-32-characters']);
    expect(() => loadConfig({ MCP_AMQP_PREFIX: 'bad prefix' })).toThrow(/MCP_AMQP_PREFIX/);
    expect(() => loadConfig({ MCP_METRICS_TOKEN: 'short' })).toThrow(/MCP_METRICS_TOKEN: must be at least 16/);
  });

  it('reads the real components from the environment', () => {
    const c = loadConfig({
      MCP_DB_URL: 'mysql://app:pw@db1:3306/mcp_platform',
      MCP_DB_REPLICA_URLS: 'mysql://app:pw@db2:3306/mcp_platform, mysql://app:pw@db3:3306/mcp_platform',
      MCP_REDIS_URL: 'redis-sentinel://s1:26379,s2:26379/mymaster',
      MCP_AMQP_URL: 'amqp://guest:guest@mq:5672',
      MCP_DB_POOL_SIZE: '20',
    });
    expect(c.dbReplicaUrls).toHaveLength(2);
    expect(c.pool.size).toBe(20);
  });

  it.each([
    [{ MCP_PORT: '80a' }, 'MCP_PORT'],
    [{ MCP_PORT: '70000' }, 'MCP_PORT'],
    [{ MCP_DB_URL: 'mysql://h:3306/' }, 'MCP_DB_URL'],
    [{ MCP_DB_URL: 'oracle://h/db' }, 'MCP_DB_URL'],
    [{ MCP_REDIS_URL: 'memcached://h' }, 'MCP_REDIS_URL'],
    [{ MCP_AMQP_URL: 'kafka://h' }, 'MCP_AMQP_URL'],
    [{ MCP_DB_REPLICA_URLS: 'mysql://h/db' }, 'MCP_DB_REPLICA_URLS'],
    [{ MCP_ADMIN_PASSWORD: 'short' }, 'MCP_ADMIN_PASSWORD'],
    [{ MCP_JWT_SECRET: 'too-short' }, 'MCP_JWT_SECRET'],
    [{ MCP_TRUST_PROXY: 'maybe' }, 'MCP_TRUST_PROXY'],
    [{ MCP_LOG_LEVEL: 'verbose' }, 'MCP_LOG_LEVEL'],
    [{ MCP_READY_REQUIRES: 'db,disk' }, 'MCP_READY_REQUIRES'],
    [{ MCP_TRACES_PER_SECOND: '-1' }, 'MCP_TRACES_PER_SECOND'],
    [{ MCP_TRACES_PER_SECOND: 'lots' }, 'MCP_TRACES_PER_SECOND'],
  ])('rejects %o naming %s', (env, variable) => {
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variable).toBe(variable);
    }
  });

  it('never echoes a URL password in an error', () => {
    expect(() => loadConfig({ MCP_DB_URL: 'postgres://u:hunter2@h/db' })).toThrow(/u:\*\*\*@h/);
    expect(redactUrl('amqp://guest:guest@mq:5672')).toBe('amqp://guest:***@mq:5672');
    expect(redactUrl('amqp://mq:p1@mq1:5672,amqp://mq2:5672,amqp://mq:p3@mq3:5672')).toBe('amqp://mq:***@mq1:5672,amqp://mq2:5672,amqp://mq:***@mq3:5672');
  });

  it('takes secrets from 0600 files and refuses readable ones', () => {
    const dir = tempDir();
    const file = join(dir, 'db_url');
    writeFileSync(file, 'mysql://app:s3cret@db:3306/mcp_platform\n', { mode: 0o600 });
    expect(loadConfig({ MCP_DB_URL_FILE: file }).dbUrl).toBe('mysql://app:s3cret@db:3306/mcp_platform');
    chmodSync(file, 0o644);
    expect(() => loadConfig({ MCP_DB_URL_FILE: file })).toThrow(/chmod 600/);
    expect(() => loadConfig({ MCP_DB_URL_FILE: join(dir, 'missing') })).toThrow(/does not exist/);
  });

  it('reads MCP_CONFIG YAML, with the environment taking precedence', () => {
    const dir = tempDir();
    const file = join(dir, 'mcp.yaml');
    writeFileSync(file, 'MCP_PORT: 9000\nMCP_DB_POOL_SIZE: 15\n');
    const c = loadConfig({ MCP_CONFIG: file, MCP_PORT: '9100' });
    expect(c.port).toBe(9100);
    expect(c.pool.size).toBe(15);
    writeFileSync(file, 'port: 9000\n');
    expect(() => loadConfig({ MCP_CONFIG: file })).toThrow(/unknown key "port"/);
  });
});

describe('redactedConfigYaml (the config backup’s effective configuration)', () => {
  it('removes passwords, keys, tokens and URL credentials, keeps everything else', async () => {
    const { redactedConfigYaml } = await import('../../src/config/config.js');
    const { parse } = await import('yaml');
    const c = loadConfig({
      MCP_DB_URL: 'mysql://app:db-pass-1@db1:3306/mcp_platform?ssl=true&password=q-secret-2',
      MCP_DB_REPLICA_URLS: 'mysql://rep:replica-pass-3@db2:3306/mcp_platform',
      MCP_REDIS_URL: 'redis-sentinel://:redis-pass-4@s1:26379,s2:26379/mymaster',
      MCP_AMQP_URL: 'amqp://mq:amqp-pass-5@mq1:5672,amqp://mq:amqp-pass-13@mq2:5672',
      MCP_ADMIN_PASSWORD: 'admin-pass-6-long',
      MCP_JWT_SECRET: 'jwt-secret-7-jwt-secret-7-jwt-secret-7',
      MCP_AUDIT_KEY: 'audit-key-8-audit-key-8-audit-key-8-x',
      MCP_BACKUP_KEY: 'backup-key-9-backup-key-9-backup-key-9',
      MCP_BACKUP_S3_BUCKET: 'bucket',
      MCP_BACKUP_S3_ACCESS_KEY_ID: 'AKIA-access-10',
      MCP_BACKUP_S3_SECRET_ACCESS_KEY: 's3-secret-11',
      MCP_METRICS_TOKEN: 'metrics-token-12-metrics',
    });
    const text = redactedConfigYaml(c);
    for (const s of [
      'db-pass-1',
      'q-secret-2',
      'replica-pass-3',
      'redis-pass-4',
      'amqp-pass-5',
      'admin-pass-6',
      'jwt-secret-7',
      'audit-key-8',
      'backup-key-9',
      'AKIA-access-10',
      's3-secret-11',
      'metrics-token-12',
      'amqp-pass-13',
    ]) {
      expect(text).not.toContain(s);
    }
    const doc = parse(text);
    expect(doc.dbUrl).toBe('mysql://[redacted]@db1:3306/mcp_platform?ssl=[redacted]&password=[redacted]');
    expect(doc.redisUrl).toBe('redis-sentinel://[redacted]@s1:26379,s2:26379/mymaster');
    expect(doc.amqpUrl).toBe('amqp://[redacted]@mq1:5672,amqp://[redacted]@mq2:5672');
    expect(doc.backup.s3).toMatchObject({ bucket: 'bucket', accessKeyId: '[redacted]', secretAccessKey: '[redacted]' });
    expect(doc.redisKeyPrefix).toBe('mcp:');
    expect(doc.pool).toEqual(c.pool);
    expect(doc.log.retentionDays).toEqual({ app: 30, access: 30, error: 90, audit: 180 });
    expect(parse(redactedConfigYaml(loadConfig({}))).jwtSecret).toBeNull();
  });
});
