import { Option, type Command } from 'commander';
import type { Cli } from '../support.js';

/** `alerts list`: the alerts received from Alertmanager, newest first. */
export function registerAlerts(program: Command, cli: Cli): void {
  const { t } = cli;
  program
    .command('alerts')
    .description('alerts (manual §3; pushed by Alertmanager)')
    .command('list')
    .description('list alerts: current state, severity, start and end times')
    .addOption(new Option('--status <status>', 'only alerts in this state').choices(['firing', 'resolved']))
    .addOption(new Option('--severity <severity>', 'only alerts of this severity').choices(['critical', 'major', 'minor']))
    .action(async (o: { status?: 'firing' | 'resolved'; severity?: 'critical' | 'major' | 'minor' }) => {
      const { createAlertService } = await import('../../services/support/alertService.js');
      const items = await cli.withPlatform((p) => createAlertService({ database: p.database, audit: p.audit, clock: p.clock }).list(o));
      if (cli.json()) return cli.print('', { items });
      if (!items.length) return cli.print(t()['alerts.none'], []);
      const lines = items.map((a) =>
        [
          a.startsAt.slice(0, 19).replace('T', ' '),
          t()['alerts.severity'](a.severity),
          t()['alerts.status'](a.status),
          a.endsAt ? a.endsAt.slice(0, 19).replace('T', ' ') : '-',
          a.name,
          a.summary ?? '',
        ]
          .join('  ')
          .trimEnd(),
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
