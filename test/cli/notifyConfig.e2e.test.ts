import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatform } from '../../src/app/platform.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { runCli } from '../support/cli.js';
import { startSmtpServer } from '../support/smtpServer.js';

const SECRET = 'Cli-Chan-Secret!314';

/**
 * `notify channels|routes|contacts|groups` and `alerts silence` with the built CLI (`npm run build`
 * first), embedded backend, the stored channel sending through a real SMTP server.
 */
describe('CLI: notification configuration', () => {
  let dir: string;
  let env: Record<string, string>;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let configFile: string;
  const outputs: string[] = [];
  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await runCli(args, { ...env, ...extra });
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-cli-notifycfg-'));
    smtp = await startSmtpServer('cli-chan@example.com', SECRET);
    env = { MCP_DATA_DIR: join(dir, 'data'), MCP_LOG_DIR: join(dir, 'logs'), MCP_LOG_LEVEL: 'warn', MCP_ADMIN_PASSWORD: 'Cli-Notify-Pass!2' };
    configFile = join(dir, 'mail.json');
    writeFileSync(configFile, JSON.stringify({ host: '127.0.0.1', port: smtp.port, username: 'cli-chan@example.com', password: SECRET, from: 'cli-chan@example.com' }), {
      mode: 0o600,
    });
  });
  afterAll(async () => {
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a channel from --config-file and lists it masked; the secret is never printed and is encrypted in the database', async () => {
    const add = await cli(['notify', 'channels', 'add', 'ops-mail', '--type', 'email', '--config-file', configFile]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe('已添加通知渠道 ops-mail（类型：email）\n');
    const list = await cli(['notify', 'channels', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('ops-mail  email  启用  密钥已设置：password');
    expect(list.stdout).toContain('"password":"******"');
    const json = await cli(['--json', 'notify', 'channels', 'list']);
    expect(JSON.parse(json.stdout).items[0]).toMatchObject({ name: 'ops-mail', type: 'email', secretsSet: ['password'], config: { password: '******' } });
    const dup = await cli(['--lang', 'en', 'notify', 'channels', 'add', 'ops-mail', '--type', 'email', '--config-file', configFile]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe('error: channel ops-mail already exists\n');

    const config = loadConfig({ ...env, MCP_ENV: 'test' });
    const platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, false)) });
    try {
      const row = await platform.database.db.selectFrom('notify_channels').selectAll().executeTakeFirstOrThrow();
      expect(row.secrets).toMatch(/^v1:/);
      expect(JSON.stringify(row)).not.toContain(SECRET);
      const audit = await platform.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'ops.notify.channel.create').execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toMatch(/^cli:/);
      expect(JSON.stringify(audit)).not.toContain(SECRET);
    } finally {
      await platform.close();
    }
  });

  it('a bad config file is one line naming the field, and nothing is stored', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ host: '127.0.0.1', port: 'x', password: SECRET }));
    const r = await cli(['--lang', 'en', 'notify', 'channels', 'add', 'bad-mail', '--type', 'email', '--config-file', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: email channel: field "port" [^\n]*\n$/);
    expect(r.stderr).not.toContain(SECRET);
    const missing = await cli(['notify', 'channels', 'add', 'x', '--type', 'email', '--config-file', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    const list = await cli(['--json', 'notify', 'channels', 'list']);
    expect(JSON.parse(list.stdout).items.map((c: { name: string }) => c.name)).toEqual(['ops-mail']);
  });

  it('contacts, groups and a route; notify test through the stored channel reaches the route’s contacts', async () => {
    expect((await cli(['notify', 'contacts', 'add', 'zhang', '--email', 'zhang@example.com', '--phone', '+8613800138000'])).code).toBe(0);
    const contacts = await cli(['--json', 'notify', 'contacts', 'list']);
    expect(JSON.parse(contacts.stdout).items).toMatchObject([{ name: 'zhang', email: 'zhang@example.com' }]);
    expect((await cli(['notify', 'groups', 'add', 'dba', '--members', 'zhang'])).code).toBe(0);
    const set = await cli(['notify', 'routes', 'set', 'critical', '--channels', 'ops-mail', '--groups', 'dba', '--escalate-after', '10m', '--escalate-max', '2']);
    expect(set.code, set.stderr).toBe(0);
    const routes = await cli(['--json', 'notify', 'routes', 'list']);
    expect(JSON.parse(routes.stdout).items[0]).toMatchObject({
      severity: 'critical',
      source: 'stored',
      channels: ['ops-mail'],
      groups: ['dba'],
      escalateAfterSeconds: 600,
      escalateMax: 2,
    });
    const text = await cli(['--lang', 'en', 'notify', 'routes', 'list']);
    expect(text.stdout.split('\n')[0]).toBe('critical  stored  channels: ops-mail  groups: dba');

    const before = smtp.mails.length;
    const sent = await cli(['notify', 'test', '--channel', 'ops-mail']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe('测试通知已通过 ops-mail 发送给 zhang@example.com\n');
    expect(smtp.mails.length).toBe(before + 1);
    expect(smtp.mails.at(-1)).toMatchObject({ from: 'cli-chan@example.com', to: ['zhang@example.com'], subject: 'mcp-platform 测试通知' });
    const bad = await cli(['notify', 'routes', 'set', 'critical', '--channels', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('nope');
  });

  it('alerts silence add, list and expire', async () => {
    const add = await cli(['--json', 'alerts', 'silence', 'add', '--match', 'alertname=数据库不可用', '--match', 'instance=~db-.*', '--duration', '2h', '--comment', '主库维护']);
    expect(add.code, add.stderr).toBe(0);
    const s = JSON.parse(add.stdout);
    expect(s).toMatchObject({
      kind: 'silence',
      state: 'active',
      matchers: [
        { name: 'alertname', value: '数据库不可用' },
        { name: 'instance', value: 'db-.*', regex: true },
      ],
    });
    expect(new Date(s.endsAt).getTime() - new Date(s.startsAt).getTime()).toBe(2 * 3600_000);
    const list = await cli(['alerts', 'silence', 'list']);
    expect(list.stdout).toContain(`#${s.id}  静默  生效中`);
    expect(list.stdout).toContain('alertname=数据库不可用,instance=~db-.*');
    const tooLong = await cli(['--lang', 'en', 'alerts', 'silence', 'add', '--match', 'a=b', '--duration', '31d', '--comment', 'x']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('at most 30 days');
    const badDuration = await cli(['alerts', 'silence', 'add', '--match', 'a=b', '--duration', 'soon', '--comment', 'x']);
    expect(badDuration.code).toBe(2);
    const exp = await cli(['alerts', 'silence', 'expire', String(s.id)]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toBe(`已结束静默 #${s.id}\n`);
    expect((await cli(['alerts', 'silence', 'list'])).stdout).toBe('暂无静默\n');
    const all = await cli(['--json', 'alerts', 'silence', 'list', '--all']);
    expect(JSON.parse(all.stdout).items[0]).toMatchObject({ id: s.id, state: 'expired' });
  });

  it('removes a channel once no route uses it; no output of any command held the secret', async () => {
    const used = await cli(['notify', 'channels', 'remove', 'ops-mail']);
    expect(used.code).toBe(1);
    expect((await cli(['notify', 'routes', 'set', 'critical', '--channels', 'log'])).code).toBe(0);
    const rm = await cli(['notify', 'channels', 'remove', 'ops-mail']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toBe('已删除通知渠道 ops-mail\n');
    expect((await cli(['notify', 'channels', 'list'])).stdout).toBe('暂无已保存的通知渠道\n');
    expect(outputs.join('\n')).not.toContain(SECRET);
  });
});
