import type { Command } from 'commander';
import type { ChannelName } from '../../ops/alerting/notifyTest.js';
import { type Cli, UsageError } from '../support.js';

const TEXT = {
  'zh-CN': { sent: (channel: string, to: string) => `测试通知已通过 ${channel} 发送给 ${to}` },
  en: { sent: (channel: string, to: string) => `test notification sent by ${channel} to ${to}` },
} as const;

/** `notify test --channel email|log` (manual §3): the same core function as `POST /api/ops/notify/test`, as `cliActor()`. */
export function registerNotify(program: Command, cli: Cli): void {
  const notify = program.command('notify').description('notification channels (manual §3)');
  notify
    .command('test')
    .description('send a test notification to MCP_NOTIFY_EMAIL_TO')
    .requiredOption('--channel <channel>', 'email (MCP_SMTP_URL) or log (the app log)')
    .action(async (o: { channel: string }) => {
      if (o.channel !== 'email' && o.channel !== 'log') throw new UsageError(`--channel: ${o.channel}`);
      const [{ sendTestNotification }, { cliActor }] = await Promise.all([import('../../ops/alerting/notifyTest.js'), import('../../services/actor.js')]);
      const res = await cli.withPlatform((p) =>
        sendTestNotification({ audit: p.audit, log: p.log, notify: p.config.notify }, { channel: o.channel as ChannelName, actor: cliActor(), lang: cli.lang }),
      );
      cli.print(TEXT[cli.lang].sent(res.channel, res.to.join(', ')), res);
    });
}
