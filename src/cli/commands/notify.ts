import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { Platform } from '../../app/platform.js';
import { NOTIFY_CLI_TEXT } from '../../i18n/cliText.js';
import { CHANNEL_TYPES, type ChannelType } from '../../infra/notify/channel.js';
import type { NotifyConfigService } from '../../services/support/notifyConfig.js';
import { type Cli, UsageError } from '../support.js';
import { parseDuration, registerSilences } from './silences.js';

const TEXT = {
  'zh-CN': { sent: (channel: string, to: string) => `测试通知已通过 ${channel} 发送给 ${to || '应用日志'}` },
  en: { sent: (channel: string, to: string) => `test notification sent by ${channel} to ${to || 'the app log'}` },
} as const;

const NAME = /^[a-z0-9-]{1,64}$/;
const SEVERITIES = ['critical', 'major', 'minor'];

/** The notification configuration over a platform (the same service as the API's /api/support/notify routes). */
export async function notifyConfigFor(p: Platform): Promise<NotifyConfigService> {
  const { notifyConfigOf } = await import('../../services/support/notifyConfigFactory.js');
  return notifyConfigOf(p);
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * `notify test --channel NAME` (manual §3) and the notification center's configuration (issue 11):
 * `notify channels|routes|contacts|groups`, plus `alerts silence` (silences.ts). Each calls the
 * same core functions as the API, audited as `cliActor()`. Channel secrets come from a file, never
 * from argv, and are never printed.
 */
export function registerNotify(program: Command, cli: Cli): void {
  const text = () => NOTIFY_CLI_TEXT[cli.lang];
  const actor = async () => (await import('../../services/actor.js')).cliActor();
  const notify = program.command('notify').description('notification channels (manual §3)');
  notify
    .command('test')
    .description('send a test notification')
    .requiredOption('--channel <channel>', 'email (MCP_SMTP_URL), log (the app log), or a stored channel')
    .action(async (o: { channel: string }) => {
      if (!NAME.test(o.channel)) throw new UsageError(`--channel: ${o.channel}`);
      const [{ sendTestNotification }, who] = await Promise.all([import('../../ops/alerting/notifyTest.js'), actor()]);
      const res = await cli.withPlatform(async (p) =>
        sendTestNotification({ audit: p.audit, log: p.log, notify: p.config.notify, notifyConfig: await notifyConfigFor(p) }, { channel: o.channel, actor: who, lang: cli.lang }),
      );
      cli.print(TEXT[cli.lang].sent(res.channel, res.to.join(', ')), res);
    });

  // ---- channels ----
  const channels = notify.command('channels').description('stored notification channels');
  channels
    .command('list')
    .description('stored channels (secrets never shown)')
    .action(async () => {
      const items = await cli.withPlatform(async (p) => (await notifyConfigFor(p)).listChannels());
      if (cli.json()) return cli.print('', { items });
      if (!items.length) return cli.print(text().noChannels, []);
      const lines = items.map((c) =>
        [c.name, c.type, text().enabled(c.enabled), c.secretsUnreadable ? text().unreadable : text().secrets(c.secretsSet), JSON.stringify(c.config)].join('  '),
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  channels
    .command('add')
    .description('add a channel; its config (secrets included) is read from a JSON file, never from the command line')
    .argument('<name>', 'channel name (a-z, 0-9, -)')
    .addOption(new Option('--type <type>', 'channel type').choices([...CHANNEL_TYPES]).makeOptionMandatory())
    .requiredOption('--config-file <file>', 'JSON config file (secrets included)')
    .option('--disabled', 'add it disabled')
    .action(async (name: string, o: { type: ChannelType; configFile: string; disabled?: boolean }) => {
      if (!NAME.test(name)) throw new UsageError(`channel name: ${name}`);
      let config: unknown;
      try {
        config = JSON.parse(readFileSync(o.configFile, 'utf8'));
      } catch (e) {
        // the file's content is never echoed: it holds secrets
        throw new UsageError(`--config-file: ${o.configFile}: ${(e as NodeJS.ErrnoException).code ?? 'not valid JSON'}`);
      }
      if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`--config-file: ${o.configFile}: not a JSON object`);
      const who = await actor();
      const view = await cli.withPlatform(
        async (p) => (await notifyConfigFor(p)).createChannel(who, { name, type: o.type, config: config as Record<string, unknown>, enabled: !o.disabled }),
        { writes: true },
      );
      cli.print(text().channelAdded(view.name, view.type), view);
    });
  channels
    .command('remove')
    .description('remove a channel')
    .argument('<name>', 'channel name')
    .action(async (name: string) => {
      if (!NAME.test(name)) throw new UsageError(`channel name: ${name}`);
      const who = await actor();
      await cli.withPlatform(async (p) => (await notifyConfigFor(p)).deleteChannel(who, name), { writes: true });
      cli.print(text().channelRemoved(name), { name, removed: true });
    });

  // ---- routes ----
  const routes = notify.command('routes').description('routing by severity');
  routes
    .command('list')
    .description('the route of each severity (manual §3.1 default when none is set)')
    .action(async () => {
      const items = await cli.withPlatform(async (p) => (await notifyConfigFor(p)).listRoutes());
      if (cli.json()) return cli.print('', { items });
      process.stdout.write(`${items.map((r) => text().route(r.severity, r.source, r.channels.join(','), r.groups.join(','))).join('\n')}\n`);
    });
  routes
    .command('set')
    .description("set a severity's route")
    .argument('<severity>', 'critical, major or minor')
    .requiredOption('--channels <names>', 'channel names, comma-separated')
    .option('--groups <names>', 'group names, comma-separated')
    .option('--escalate-after <duration>', 'wait before notifying again while unacknowledged (e.g. 10m)')
    .option('--escalate-max <n>', 'times to notify again')
    .action(async (severity: string, o: { channels: string; groups?: string; escalateAfter?: string; escalateMax?: string }) => {
      if (!SEVERITIES.includes(severity)) throw new UsageError(`severity: ${severity}`);
      if (o.escalateMax !== undefined && !/^\d{1,2}$/.test(o.escalateMax)) throw new UsageError(`--escalate-max: ${o.escalateMax}`);
      const escalateAfterSeconds = o.escalateAfter === undefined ? null : Math.round(parseDuration('--escalate-after', o.escalateAfter) / 1000);
      const who = await actor();
      const route = await cli.withPlatform(
        async (p) =>
          (await notifyConfigFor(p)).setRoute(who, severity as 'critical', {
            channels: list(o.channels),
            groups: list(o.groups ?? ''),
            escalateAfterSeconds,
            escalateMax: o.escalateMax === undefined ? 0 : Number(o.escalateMax),
          }),
        { writes: true },
      );
      cli.print(text().routeSet(severity), route);
    });

  // ---- contacts ----
  const contacts = notify.command('contacts').description('contacts');
  contacts
    .command('list')
    .description('contacts')
    .action(async () => {
      const items = await cli.withPlatform(async (p) => (await notifyConfigFor(p)).listContacts());
      if (cli.json()) return cli.print('', { items });
      if (!items.length) return cli.print(text().noContacts, []);
      process.stdout.write(`${items.map((c) => `#${c.id}  ${c.name}  ${c.email ?? '-'}  ${c.phone ?? '-'}`).join('\n')}\n`);
    });
  contacts
    .command('add')
    .description('add a contact (e-mail and/or phone)')
    .argument('<name>', 'contact name')
    .option('--email <address>', 'e-mail address')
    .option('--phone <number>', 'phone number (e.g. +8613800138000)')
    .action(async (name: string, o: { email?: string; phone?: string }) => {
      const who = await actor();
      const c = await cli.withPlatform(async (p) => (await notifyConfigFor(p)).createContact(who, { name, email: o.email ?? null, phone: o.phone ?? null }), { writes: true });
      cli.print(text().contactAdded(c.name, c.id), c);
    });

  // ---- groups ----
  const groups = notify.command('groups').description('on-call groups');
  groups
    .command('list')
    .description('groups and their members')
    .action(async () => {
      const items = await cli.withPlatform(async (p) => (await notifyConfigFor(p)).listGroups());
      if (cli.json()) return cli.print('', { items });
      if (!items.length) return cli.print(text().noGroups, []);
      process.stdout.write(`${items.map((g) => `${g.name}  ${g.members.join(', ') || '-'}`).join('\n')}\n`);
    });
  groups
    .command('add')
    .description('add a group')
    .argument('<name>', 'group name (a-z, 0-9, -)')
    .option('--members <names>', 'contact names, comma-separated')
    .action(async (name: string, o: { members?: string }) => {
      if (!NAME.test(name)) throw new UsageError(`group name: ${name}`);
      const who = await actor();
      const g = await cli.withPlatform(async (p) => (await notifyConfigFor(p)).createGroup(who, { name, members: list(o.members ?? '') }), { writes: true });
      cli.print(text().groupAdded(g.name), g);
    });

  registerSilences(program, cli);
}
