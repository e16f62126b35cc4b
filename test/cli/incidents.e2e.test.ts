import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { createPlatform, prepareSchema, type Platform } from '../../src/app/platform.js';
import { openIncidentFromAlert } from '../../src/ops/incidents/incidents.js';
import { runCli } from '../support/cli.js';

/** `incidents list|show|ack|resolve|postmortem` with the built CLI (run `npm run build` first), audited as cli:<os user>. */
describe('CLI incidents', () => {
  let dir: string;
  let env: Record<string, string>;
  let platform: Platform;
  let id: number;
  const actor = `cli:${userInfo().username}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-incidents-'));
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_ADMIN_PASSWORD: 'Cli-Incident-Pass!1' };
    const config = loadConfig({ ...env, MCP_ENV: 'test' });
    platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, false)) });
    await prepareSchema(platform);
    const opened = await openIncidentFromAlert(
      { database: platform.database, audit: platform.audit, clock: platform.clock },
      { fingerprint: 'fp-db', name: 'MySQLDown', severity: 'critical', summary: '数据库不可用', startsAt: new Date(Date.now() - 60_000) },
    );
    id = opened!.incident.id;
  });
  afterAll(async () => {
    await platform?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists, acknowledges, shows, resolves (with --yes only) and prints the postmortem', async () => {
    const list = await runCli(['incidents', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('共 1 个故障事件');
    expect(list.stdout).toMatch(new RegExp(`#${id} \\[紧急\\] 已发现  MySQLDown`));

    const ack = await runCli(['incidents', 'ack', String(id), '--note', 'looking'], env);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout.trim()).toBe(`已确认故障 #${id}`);
    expect((await runCli(['incidents', 'ack', String(id)], env)).code).toBe(1); // already confirmed: 409 → exit 1

    const show = await runCli(['--lang', 'en', 'incidents', 'show', String(id)], env);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('Checklist:');
    expect(show.stdout).toContain('[ ] check the logs');
    expect(show.stdout).toContain(`${actor} acknowledged → confirmed — looking`);

    const refused = await runCli(['incidents', 'resolve', String(id)], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('请加上 --yes');
    const resolved = await runCli(['incidents', 'resolve', String(id), '--yes'], env);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout.trim()).toBe(`已将故障 #${id} 标记为已恢复`);

    const pm = await runCli(['incidents', 'postmortem', String(id), '--causes', '主库磁盘写满'], env);
    expect(pm.code, pm.stderr).toBe(0);
    expect(pm.stdout).toContain(`# 故障报告 #${id}：MySQLDown`);
    expect(pm.stdout).toContain('## 时间线');
    expect(pm.stdout).toContain(`${actor}: resolved`);
    expect(pm.stdout).toContain('主库磁盘写满');

    const json = await runCli(['--json', 'incidents', 'list'], env);
    const body = JSON.parse(json.stdout);
    expect(body.items[0]).toMatchObject({ id, status: 'postmortem', acknowledgedBy: actor, resolvedBy: actor });
    expect(body.stats.critical.count).toBe(1);
    expect(body.stats.critical.mttaSeconds).toBeGreaterThanOrEqual(60);
    expect(body.stats.critical.mttrSeconds).toBeGreaterThanOrEqual(body.stats.critical.mttaSeconds);

    expect((await runCli(['incidents', 'show', 'abc'], env)).code).toBe(2);
    expect((await runCli(['incidents', 'show', '9999'], env)).code).toBe(1);

    const rows = (await platform.audit.list({ page: 1, pageSize: 100, action: 'ops.incident' })).items.filter((r) => r.actor === actor).map((r) => r.action);
    expect(rows.sort()).toEqual(['ops.incident.ack', 'ops.incident.postmortem', 'ops.incident.resolve']);
  });
});
