import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, redactedConfigYaml } from '../../../src/config/config.js';
import type { Clock } from '../../../src/infra/clock.js';
import type { ChannelType, NotificationChannel } from '../../../src/infra/notify/channel.js';
import { invalid } from '../../../src/errors/appError.js';
import { sendTestNotification } from '../../../src/ops/alerting/notifyTest.js';
import type { Actor } from '../../../src/services/actor.js';
import { createNotifyConfigService, type NotifyConfigService } from '../../../src/services/support/notifyConfig.js';
import { type ChannelFactory, defaultChannelFactory } from '../../../src/services/support/notifyConfigChannels.js';
import { planNotifications, type RoutingEnv } from '../../../src/services/support/routing.js';
import { createSecretBox, notifyKeyOf } from '../../../src/services/support/secretBox.js';
import { startSmtpServer } from '../../support/smtpServer.js';
import { BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

const KEY = 'notify-key-for-tests-0123456789abcdef';
const SMTP_PASS = 'Chan-Smtp-Secret!93';
const TOKEN = 'robot-token-secret-77';
const actor: Actor = { actorId: null, actor: 'tester', ip: null };

/**
 * A small real channel factory: e-mail (a real SMTP server) and log as built, and every other type
 * with `{url, token?}` (token secret) delivered to the log twin, so routes of SMS, voice and robots
 * can be planned.
 */
function testFactory(sent: { type: ChannelType; to: string[] }[]): ChannelFactory {
  const basic = defaultChannelFactory({ warn: () => {} });
  return {
    secretFields: (type) => (type === 'email' || type === 'log' ? basic.secretFields(type) : ['token']),
    validate(type, config) {
      if (type === 'email' || type === 'log') return basic.validate(type, config);
      const c = config as Record<string, unknown>;
      if (typeof c.url !== 'string' || !/^https?:\/\//.test(c.url)) throw invalid('config.url: an http(s) URL is required', { field: 'config.url' });
      return c;
    },
    create(type, config): NotificationChannel {
      if (type === 'email' || type === 'log') return basic.create(type, config);
      return {
        type,
        limits: {},
        async send(m) {
          sent.push({ type, to: m.to });
          return {};
        },
      };
    },
  };
}

describe.each(BACKENDS)('notification configuration and routing on %s backend', (backend) => {
  let tp: TestPlatform;
  let svc: NotifyConfigService;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let env: { smtpUrl: string | undefined; emailTo: string[] };
  const sent: { type: ChannelType; to: string[] }[] = [];
  let current = new Date('2026-11-30T08:00:00.000Z');
  const clock: Clock = { now: () => current };
  const service = (key = KEY) =>
    createNotifyConfigService({ database: tp.platform.database, audit: tp.platform.audit, clock, log: { warn: () => {} }, key, channels: testFactory(sent), env });
  const routingEnv = (): RoutingEnv => ({ emailTo: env.emailTo, smtpConfigured: !!env.smtpUrl });
  const plan = (severity: 'critical' | 'major' | 'minor', labels: Record<string, string> = {}, name = 'DatabaseDown') =>
    planNotifications(tp.platform.database.db, { name, severity, labels }, current, routingEnv());
  const clearAll = async () => {
    const db = tp.platform.database.db;
    for (const t of ['notify_group_members', 'notify_groups', 'notify_contacts', 'notify_routes', 'notify_silences', 'notify_channels'] as const) await db.deleteFrom(t).execute();
  };

  beforeAll(async () => {
    smtp = await startSmtpServer('chan@example.com', SMTP_PASS);
    tp = await startTestPlatform(backend, { clock });
  });
  afterAll(async () => {
    await tp?.close();
    await smtp?.close();
  });
  beforeEach(async () => {
    current = new Date('2026-11-30T08:00:00.000Z');
    env = { smtpUrl: undefined, emailTo: [] };
    svc = service();
    await clearAll();
  });

  const emailChannel = (name = 'ops-mail') =>
    svc.createChannel(actor, { name, type: 'email', config: { host: '127.0.0.1', port: smtp.port, username: 'chan@example.com', password: SMTP_PASS, from: 'chan@example.com' } });

  it('stores secrets encrypted (never the plaintext), shows them masked, and audits without them', async () => {
    const created = await emailChannel();
    expect(created).toMatchObject({ name: 'ops-mail', type: 'email', enabled: true, secretsSet: ['password'], config: { host: '127.0.0.1', password: '******' } });
    const row = await tp.platform.database.db.selectFrom('notify_channels').selectAll().where('name', '=', 'ops-mail').executeTakeFirstOrThrow();
    expect(row.config).not.toContain(SMTP_PASS);
    expect(row.config).not.toContain('password');
    expect(row.secrets).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(row.secrets).not.toContain(SMTP_PASS);
    expect(Buffer.from(row.secrets!.split(':')[3]!, 'base64').toString('utf8')).not.toContain(SMTP_PASS);
    expect(JSON.stringify(await svc.listChannels())).not.toContain(SMTP_PASS);
    expect(JSON.stringify(await svc.getChannel('ops-mail'))).not.toContain(SMTP_PASS);
    const audit = await tp.platform.database.db.selectFrom('audit_log').selectAll().where('action', 'like', 'ops.notify.%').execute();
    expect(audit.map((a) => a.action)).toContain('ops.notify.channel.create');
    expect(JSON.stringify(audit)).not.toContain(SMTP_PASS);
  });

  it('the decrypted secret works: the stored channel sends through the real SMTP server that checks the password', async () => {
    await emailChannel();
    const before = smtp.mails.length;
    await (await svc.loadChannel('ops-mail')).send({ subject: '告警测试', text: '正文', to: ['oncall@example.com'] });
    expect(smtp.mails.length).toBe(before + 1);
    expect(smtp.mails.at(-1)).toMatchObject({ from: 'chan@example.com', to: ['oncall@example.com'], subject: '告警测试' });
  });

  it('a wrong key is a clear error; secrets cannot be moved to another channel', async () => {
    await emailChannel();
    const other = service('another-key-of-at-least-32-characters!!');
    await expect(other.loadChannel('ops-mail')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'cannot decrypt channel secrets of ops-mail: MCP_NOTIFY_KEY changed?' });
    expect(await other.getChannel('ops-mail')).toMatchObject({ secretsUnreadable: true, secretsSet: [] });
    // entering the secret again with the new key repairs it
    await other.updateChannel(actor, 'ops-mail', { config: { password: SMTP_PASS } });
    expect((await other.getChannel('ops-mail')).secretsSet).toEqual(['password']);

    await svc.createChannel(actor, { name: 'robot', type: 'dingtalk', config: { url: 'https://oapi.example.com/robot', token: TOKEN } });
    await emailChannel('second-mail');
    const db = tp.platform.database.db;
    const robot = await db.selectFrom('notify_channels').select('secrets').where('name', '=', 'robot').executeTakeFirstOrThrow();
    await db.updateTable('notify_channels').set({ secrets: robot.secrets }).where('name', '=', 'second-mail').execute();
    await expect(svc.loadChannel('second-mail')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('cannot decrypt channel secrets') });
  });

  it('PATCH keeps an omitted (or masked) secret, changes the rest, and clears a secret set to null', async () => {
    await emailChannel();
    const patched = await svc.updateChannel(actor, 'ops-mail', { config: { from: 'alerts@example.com', password: '******' } });
    expect(patched).toMatchObject({ secretsSet: ['password'], config: { from: 'alerts@example.com', password: '******' } });
    await (await svc.loadChannel('ops-mail')).send({ subject: 'after patch', text: 'x', to: ['a@example.com'] });
    expect(smtp.mails.at(-1)).toMatchObject({ from: 'alerts@example.com', subject: 'after patch' });

    const off = await svc.updateChannel(actor, 'ops-mail', { enabled: false });
    expect(off.enabled).toBe(false);
    expect(off.secretsSet).toEqual(['password']);

    const cleared = await svc.updateChannel(actor, 'ops-mail', { config: { password: null, username: null } });
    expect(cleared.secretsSet).toEqual([]);
    expect(cleared.config).not.toHaveProperty('password');
    const row = await tp.platform.database.db.selectFrom('notify_channels').select('secrets').where('name', '=', 'ops-mail').executeTakeFirstOrThrow();
    expect(row.secrets).toBeNull();
  });

  it('an invalid config is INVALID naming the field and stores nothing', async () => {
    await expect(svc.createChannel(actor, { name: 'bad', type: 'email', config: { host: '127.0.0.1', port: 99999, password: SMTP_PASS } })).rejects.toMatchObject({
      code: 'INVALID',
      message: expect.stringContaining('field "port"'),
    });
    await expect(svc.createChannel(actor, { name: 'email', type: 'email', config: { host: 'h' } })).rejects.toMatchObject({
      code: 'INVALID',
      message: expect.stringContaining('name'),
    });
    await expect(svc.createContact(actor, { name: 'x', email: 'not-an-address' })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('email') });
    await expect(svc.createContact(actor, { name: 'x', phone: '12ab' })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('phone') });
    expect(await svc.listChannels()).toEqual([]);
    expect(await svc.listContacts()).toEqual([]);
  });

  it('nothing configured: every severity goes to the built-in log channel', async () => {
    for (const severity of ['critical', 'major', 'minor'] as const) {
      expect(await plan(severity)).toEqual({ silencedBy: null, deliveries: [{ channel: 'log', type: 'log', to: [] }], skipped: [] });
    }
  });

  it('first set-up: MCP_SMTP_URL + MCP_NOTIFY_EMAIL_TO route every severity’s e-mail to that contact through the built-in email channel', async () => {
    env.smtpUrl = `smtp://chan%40example.com:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${smtp.port}`;
    env.emailTo = ['ops@example.com'];
    for (const severity of ['critical', 'major', 'minor'] as const) {
      expect((await plan(severity)).deliveries).toEqual([{ channel: 'email', type: 'email', to: ['ops@example.com'] }]);
    }
    // a stored e-mail channel replaces the built-in one; MCP_NOTIFY_EMAIL_TO still receives, with the contacts
    await emailChannel();
    await svc.createContact(actor, { name: '张三', email: 'zhangsan@example.com', phone: '+8613800138000' });
    expect((await plan('minor')).deliveries).toEqual([{ channel: 'ops-mail', type: 'email', to: ['zhangsan@example.com', 'ops@example.com'] }]);
  });

  it('default routes by severity (manual §3.1): critical → voice, SMS, e-mail; major → SMS, e-mail; minor → e-mail', async () => {
    await svc.createChannel(actor, { name: 'aliyun-voice', type: 'voice', config: { url: 'https://dyvms.example.com', token: TOKEN } });
    await svc.createChannel(actor, { name: 'aliyun-sms', type: 'sms', config: { url: 'https://dysms.example.com', token: TOKEN } });
    await svc.createChannel(actor, { name: 'ding', type: 'dingtalk', config: { url: 'https://oapi.example.com', token: TOKEN } });
    await emailChannel();
    await svc.createContact(actor, { name: 'li', email: 'li@example.com', phone: '+8613900139000' });
    const channelsOf = async (s: 'critical' | 'major' | 'minor') => (await plan(s)).deliveries.map((d) => d.channel);
    expect(await channelsOf('critical')).toEqual(['aliyun-voice', 'aliyun-sms', 'ops-mail']);
    expect(await channelsOf('major')).toEqual(['aliyun-sms', 'ops-mail']);
    expect(await channelsOf('minor')).toEqual(['ops-mail']);
    const critical = await plan('critical');
    expect(critical.deliveries.find((d) => d.type === 'voice')!.to).toEqual(['+8613900139000']);
    expect(critical.deliveries.find((d) => d.type === 'email')!.to).toEqual(['li@example.com']);
    // a disabled channel is not used by the default route
    await svc.updateChannel(actor, 'aliyun-sms', { enabled: false });
    expect(await channelsOf('major')).toEqual(['ops-mail']);
  });

  it('a stored route sends to its channels and its groups’ contacts; a channel without a needed recipient is skipped with the reason', async () => {
    await svc.createChannel(actor, { name: 'aliyun-sms', type: 'sms', config: { url: 'https://dysms.example.com', token: TOKEN } });
    await svc.createChannel(actor, { name: 'ding', type: 'dingtalk', config: { url: 'https://oapi.example.com', token: TOKEN } });
    await emailChannel();
    await svc.createContact(actor, { name: 'wang', email: 'wang@example.com' });
    await svc.createContact(actor, { name: 'zhao', email: 'zhao@example.com', phone: '13700137000' });
    await svc.createGroup(actor, { name: 'dba', members: ['wang'] });
    await svc.setRoute(actor, 'major', { channels: ['aliyun-sms', 'ding', 'ops-mail'], groups: ['dba'] });
    expect(await plan('major')).toEqual({
      silencedBy: null,
      deliveries: [
        { channel: 'ding', type: 'dingtalk', to: [] },
        { channel: 'ops-mail', type: 'email', to: ['wang@example.com'] },
      ],
      skipped: [{ channel: 'aliyun-sms', reason: expect.stringContaining('no phone recipient') }],
    });
    await svc.setGroupMembers(actor, 'dba', ['wang', 'zhao']);
    expect((await plan('major')).deliveries.map((d) => [d.channel, d.to])).toEqual([
      ['aliyun-sms', ['13700137000']],
      ['ding', ['13700137000']],
      ['ops-mail', ['wang@example.com', 'zhao@example.com']],
    ]);
    // minor keeps the default; unknown names are refused and change nothing
    expect((await svc.listRoutes()).map((r) => [r.severity, r.source])).toEqual([
      ['critical', 'default'],
      ['major', 'stored'],
      ['minor', 'default'],
    ]);
    await expect(svc.setRoute(actor, 'major', { channels: ['nope'], groups: [] })).rejects.toMatchObject({ code: 'INVALID', message: 'channels: no such channel: nope' });
    await expect(svc.setRoute(actor, 'major', { channels: ['ding'], groups: ['ghosts'] })).rejects.toMatchObject({ code: 'INVALID', message: 'groups: no such group: ghosts' });
    expect((await svc.listRoutes())[1]!.channels).toEqual(['aliyun-sms', 'ding', 'ops-mail']);
    await expect(svc.deleteChannel(actor, 'ding')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('silences: a matching active silence silences, a non-matching or expired one does not; a maintenance window silences everything', async () => {
    const s = await svc.createSilence(actor, {
      matchers: [
        { name: 'alertname', value: 'DatabaseDown' },
        { name: 'instance', value: 'db-[0-9]+', regex: true },
      ],
      endsAt: new Date(current.getTime() + 2 * 3600_000).toISOString(),
      comment: '换主库中',
    });
    expect(s.state).toBe('active');
    expect(await plan('critical', { instance: 'db-1' })).toEqual({ silencedBy: { id: s.id, kind: 'silence' }, deliveries: [], skipped: [] });
    expect((await plan('critical', { instance: 'web-1' })).silencedBy).toBeNull();
    expect((await plan('critical', { instance: 'db-1' }, 'AppDown')).silencedBy).toBeNull();
    // after its end
    current = new Date(current.getTime() + 3 * 3600_000);
    expect((await plan('critical', { instance: 'db-1' })).silencedBy).toBeNull();
    current = new Date('2026-11-30T08:00:00.000Z');
    await svc.expireSilence(actor, s.id);
    expect((await plan('critical', { instance: 'db-1' })).silencedBy).toBeNull();
    expect(await svc.listSilences()).toEqual([]);
    expect((await svc.listSilences({ all: true }))[0]).toMatchObject({ id: s.id, state: 'expired' });

    const m = await svc.createSilence(actor, { kind: 'maintenance', matchers: [], endsAt: new Date(current.getTime() + 40 * 86400_000).toISOString(), comment: '机房迁移' });
    expect((await plan('minor', {}, 'HighCpu')).silencedBy).toEqual({ id: m.id, kind: 'maintenance' });
    expect((await plan('critical', { instance: 'x' })).silencedBy).toEqual({ id: m.id, kind: 'maintenance' });
  });

  it('silence input is checked: an end, at most 30 days, at least one matcher, valid regex', async () => {
    const in2h = new Date(current.getTime() + 2 * 3600_000).toISOString();
    await expect(svc.createSilence(actor, { matchers: [], endsAt: in2h, comment: 'x' })).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('matchers') });
    await expect(
      svc.createSilence(actor, { matchers: [{ name: 'a', value: 'b' }], endsAt: new Date(current.getTime() + 31 * 86400_000).toISOString(), comment: 'x' }),
    ).rejects.toMatchObject({ code: 'INVALID', message: expect.stringContaining('30 days') });
    await expect(svc.createSilence(actor, { matchers: [{ name: 'a', value: 'b' }], startsAt: in2h, endsAt: in2h, comment: 'x' })).rejects.toMatchObject({
      message: 'endsAt: must be after startsAt',
    });
    await expect(svc.createSilence(actor, { matchers: [{ name: 'a', value: '(', regex: true }], endsAt: in2h, comment: 'x' })).rejects.toMatchObject({
      message: 'matchers[0].value: not a regular expression',
    });
    expect(await svc.listSilences({ all: true })).toEqual([]);
  });

  it('notify test through a stored channel reaches its route recipients over real SMTP, audited', async () => {
    await emailChannel();
    await svc.createContact(actor, { name: 'qian', email: 'qian@example.com' });
    await svc.createGroup(actor, { name: 'oncall', members: ['qian'] });
    await svc.setRoute(actor, 'critical', { channels: ['ops-mail'], groups: ['oncall'] });
    const res = await sendTestNotification(
      { audit: tp.platform.audit, log: tp.platform.log, notify: { smtpUrl: undefined, emailTo: [], key: undefined, lang: 'zh-CN', relayIntervalMs: 250 }, notifyConfig: svc },
      { channel: 'ops-mail', actor },
    );
    expect(res).toMatchObject({ channel: 'ops-mail', to: ['qian@example.com'], subject: 'mcp-platform 测试通知' });
    expect(smtp.mails.at(-1)).toMatchObject({ to: ['qian@example.com'], subject: 'mcp-platform 测试通知' });
    const rows = await tp.platform.database.db.selectFrom('audit_log').select(['target', 'details']).where('action', '=', 'ops.notify.test').execute();
    expect(rows.at(-1)!.target).toBe('notify:ops-mail');
    expect(JSON.stringify(rows)).not.toContain(SMTP_PASS);
    await expect(
      sendTestNotification(
        { audit: tp.platform.audit, log: tp.platform.log, notify: { smtpUrl: undefined, emailTo: [], key: undefined, lang: 'zh-CN', relayIntervalMs: 250 }, notifyConfig: svc },
        { channel: 'nope', actor },
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('MCP_NOTIFY_KEY', () => {
  it('comes from the variable or its _FILE, must be 32+ characters, and is redacted from the config archive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-notify-key-'));
    try {
      expect(loadConfig({ MCP_NOTIFY_KEY: KEY }).notify.key).toBe(KEY);
      expect(redactedConfigYaml(loadConfig({ MCP_NOTIFY_KEY: KEY }))).not.toContain(KEY);
      expect(() => loadConfig({ MCP_NOTIFY_KEY: 'short' })).toThrow(/MCP_NOTIFY_KEY/);
      const file = join(dir, 'key');
      writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
      expect(loadConfig({ MCP_NOTIFY_KEY_FILE: file }).notify.key).toBe(KEY);
      expect(notifyKeyOf(loadConfig({ MCP_NOTIFY_KEY: KEY, MCP_DATA_DIR: dir }))).toBe(KEY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when unset, one key is generated into the data dir (mode 0600) and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-notify-key-'));
    try {
      const config = loadConfig({ MCP_DATA_DIR: dir });
      expect(config.notify.key).toBeUndefined();
      const first = notifyKeyOf(config);
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(statSync(join(dir, 'secrets', 'notify-key')).mode & 0o777).toBe(0o600);
      expect(notifyKeyOf(config)).toBe(first);
      const sealed = createSecretBox(first).seal({ token: TOKEN }, 'robot');
      expect(createSecretBox(notifyKeyOf(loadConfig({ MCP_DATA_DIR: dir }))).open(sealed, 'robot')).toEqual({ token: TOKEN });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
