import type { Command } from 'commander';
import { type Cli, UsageError } from '../support.js';

const STATUSES = ['pending', 'queued', 'sending', 'sent', 'merged', 'cancelled', 'dead'];

const TEXT = {
  'zh-CN': {
    none: '没有符合条件的通知',
    status: (s: string) => ({ pending: '待发送', queued: '已排队', sending: '发送中', sent: '已发送', merged: '已合并', cancelled: '已取消', dead: '投递失败' })[s] ?? s,
    retried: (id: number) => `通知 #${id} 已重新排队发送`,
    acked: (fp: string, by: string) => `告警 ${fp} 已由 ${by} 确认，不再发送其通知与升级`,
    attempt: (n: number, outcome: string, code: string | null, error: string | null) => `  第${n}次  ${outcome}${code ? `  提供方代码 ${code}` : ''}${error ? `  ${error}` : ''}`,
  },
  en: {
    none: 'no notification matches',
    status: (s: string) => s,
    retried: (id: number) => `notification #${id} queued again`,
    acked: (fp: string, by: string) => `alert ${fp} acknowledged by ${by}: no more notifications or escalations for it`,
    attempt: (n: number, outcome: string, code: string | null, error: string | null) => `  #${n}  ${outcome}${code ? `  provider code ${code}` : ''}${error ? `  ${error}` : ''}`,
  },
} as const;

function positiveId(v: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(v)) throw new UsageError(`id: ${v}`);
  return Number(v);
}

function fingerprint(v: string): string {
  if (!/^[0-9a-zA-Z]{1,64}$/.test(v)) throw new UsageError(`fingerprint: ${v}`);
  return v;
}

/**
 * `notify outbox|show|retry` (the delivery record: every notification, its attempts, the dead
 * letters) and `alerts ack`: the same core functions as the API, audited as `cliActor()`.
 */
export function registerNotifyOutbox(program: Command, cli: Cli): void {
  const t = () => TEXT[cli.lang];
  const ops = () => import('../../services/support/notifications.js');
  const actor = async () => (await import('../../services/actor.js')).cliActor();
  const notify = program.commands.find((c) => c.name() === 'notify') ?? program.command('notify');
  const alerts = program.commands.find((c) => c.name() === 'alerts') ?? program.command('alerts');

  notify
    .command('outbox')
    .description('notifications, newest first: status, channel, attempts (--status dead: the dead letters)')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many (1-1000, default 100)')
    .action(async (o: { status?: string; limit?: string }) => {
      if (o.status && !STATUSES.includes(o.status)) throw new UsageError(`--status: ${o.status}`);
      if (o.limit !== undefined && (!/^[0-9]{1,4}$/.test(o.limit) || Number(o.limit) < 1 || Number(o.limit) > 1000)) throw new UsageError(`--limit: ${o.limit}`);
      const { listNotifications } = await ops();
      const items = await cli.withPlatform((p) => listNotifications(p.database, { status: o.status as never, limit: o.limit ? Number(o.limit) : undefined }));
      if (cli.json()) return cli.print('', { items });
      if (!items.length) return cli.print(t().none, []);
      const lines = items.map((n) =>
        [`#${n.id}`, n.createdAt.slice(0, 19).replace('T', ' '), t().status(n.status), n.channel, `x${n.attempts}`, n.alerts.map((a) => a.name).join(', '), n.lastError ?? '']
          .join('  ')
          .trimEnd(),
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  notify
    .command('show')
    .description('one notification and each delivery attempt')
    .argument('<id>', 'notification id', positiveId)
    .action(async (id: number) => {
      const { getNotification } = await ops();
      const n = await cli.withPlatform((p) => getNotification(p.database, id));
      if (cli.json()) return cli.print('', n);
      const lines = [
        `#${n.id}  ${t().status(n.status)}  ${n.channel} (${n.channelType})  → ${n.recipients.join(', ') || '-'}`,
        `  ${n.alerts.map((a) => `${a.name} [${a.fingerprint}] ${a.status}`).join('; ')}`,
        ...n.attemptLog.map((a) => t().attempt(a.attempt, a.outcome, a.providerCode, a.error)),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  notify
    .command('retry')
    .description('send a dead notification again (after fixing its channel)')
    .argument('<id>', 'notification id', positiveId)
    .action(async (id: number) => {
      const [{ retryNotification }, who] = await Promise.all([ops(), actor()]);
      const n = await cli.withPlatform((p) => retryNotification({ database: p.database, audit: p.audit, clock: p.clock }, who, id));
      cli.print(t().retried(n.id), n);
    });

  alerts
    .command('ack')
    .description('acknowledge an alert: no more notifications or escalations for its current episode')
    .argument('<fingerprint>', 'the alert fingerprint (alerts list --json)', fingerprint)
    .action(async (fp: string) => {
      const [{ acknowledgeAlert }, who] = await Promise.all([ops(), actor()]);
      const res = await cli.withPlatform((p) => acknowledgeAlert({ database: p.database, audit: p.audit, clock: p.clock }, who, fp));
      cli.print(t().acked(res.fingerprint, res.acknowledgedBy), res);
    });
}
