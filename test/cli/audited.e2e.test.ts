import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { createPlatform, type Platform } from '../../src/app/platform.js';
import { runCli } from '../support/cli.js';

/**
 * The CLI face is audited like the API (ops.<kind>, phase started/finished, actor cli:<os user>),
 * and every command that writes refuses to run while a live restore holds maintenance mode.
 */
describe('CLI operations: audited, and refused during maintenance', () => {
  let dir: string;
  let env: Record<string, string>;
  let platform: Platform;
  const actor = `cli:${userInfo().username}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-audited-'));
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_ADMIN_PASSWORD: 'Cli-Audit-Pass!1', MCP_LANG: 'en' };
    expect((await runCli(['admin', 'create', '--username', 'ops1'], env)).code).toBe(0); // verification needs a user row to count
    const config = loadConfig({ ...env, MCP_ENV: 'test' });
    platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, false)) });
  });
  afterAll(async () => {
    await platform?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ops = async () => (await platform.audit.list({ page: 1, pageSize: 200, action: 'ops.' })).items.reverse();
  const backups = async () => (await platform.database.db.selectFrom('backups').select('id').execute()).length;

  it('backup full, verify, rebuild-catalog, prune and restore test each leave started and finished rows under the CLI actor', async () => {
    for (const args of [
      ['backup', 'full'],
      ['backup', 'verify', 'latest'],
      ['backup', 'rebuild-catalog'],
      ['backup', 'prune'],
      ['restore', 'test'],
      ['backup', 'logs'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const failed = await runCli(['backup', 'incremental'], env); // binlogs need MySQL/MariaDB: fails on SQLite
    expect(failed.code).toBe(1);
    const rows = (await ops()).map((r) => ({ action: r.action, actor: r.actor, result: r.result, phase: r.details?.phase, target: r.target }));
    expect(rows).toEqual(
      [
        ['ops.backup.full', 'backup:full'],
        ['ops.backup.verify', 'backup:latest'],
        ['ops.backup.catalog', 'backup:catalog'],
        ['ops.backup.prune', 'backup:prune'],
        ['ops.backup.verify', 'backup:latest'],
        ['ops.backup.logs', 'backup:logs'],
      ]
        .flatMap(([action, target]) => [
          { action, actor, result: 'success', phase: 'started', target },
          { action, actor, result: 'success', phase: 'finished', target },
        ])
        .concat([
          { action: 'ops.backup.incremental', actor, result: 'success', phase: 'started', target: 'backup:incremental' },
          { action: 'ops.backup.incremental', actor, result: 'failure', phase: 'finished', target: 'backup:incremental' },
        ]),
    );
    const full = (await ops()).find((r) => r.action === 'ops.backup.full' && r.details?.phase === 'finished')!;
    expect(full.details).toMatchObject({ backup: expect.stringMatching(/-full$/) });
    const verified = await runCli(['audit', 'verify', '--json'], env);
    expect(verified.code, verified.stdout).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    expect(JSON.parse(verified.stdout).checkpoints).toBeGreaterThan(0);
  });

  it('while a live restore holds maintenance mode, every command that writes exits 1 with one clear line and changes nothing', async () => {
    const before = { backups: await backups(), ops: (await ops()).length, users: (await platform.database.db.selectFrom('users').select('id').execute()).length };
    await platform.maintenance.enter('restore of 20261130T020000000Z-full', { ttlSeconds: 600 }); // outlasts the twelve CLI runs on a loaded machine
    try {
      for (const args of [
        ['backup', 'full'],
        ['backup', 'schema'],
        ['backup', 'logs'],
        ['backup', 'config'],
        ['backup', 'incremental'],
        ['backup', 'verify', 'latest'],
        ['backup', 'prune'],
        ['backup', 'rebuild-catalog'],
        ['restore', 'test'],
        ['admin', 'create', '--username', 'late'],
        ['admin', 'reset-password', '--username', 'admin'],
        ['migrate'],
      ]) {
        const r = await runCli(args, env);
        expect(r.code, `${args.join(' ')}: ${r.stdout} ${r.stderr}`).toBe(1);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/maintenance mode \(restore of 20261130T020000000Z-full, since .+\); writes are refused/);
      }
      // reads go on
      const list = await runCli(['backup', 'list', '--json'], env);
      expect(list.code).toBe(0);
      expect((await runCli(['backup', 'prune', '--dry-run'], env)).code).toBe(0);
    } finally {
      await platform.maintenance.exit();
    }
    expect(await backups()).toBe(before.backups);
    expect((await ops()).length).toBe(before.ops);
    expect((await platform.database.db.selectFrom('users').select('id').execute()).length).toBe(before.users);
    expect((await runCli(['backup', 'schema'], env)).code).toBe(0);
  });
});
