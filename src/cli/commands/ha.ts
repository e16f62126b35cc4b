import type { Command } from 'commander';
import type { Platform } from '../../app/platform.js';
import { HA_CLI_TEXT } from '../../i18n/cliText.js';
import { type Cli, UsageError } from '../support.js';

/**
 * A platform without preparing its schema: `db failover` and `ha monitor` run while the primary
 * (where the schema lives) is dead.
 */
async function withBarePlatform<T>(cli: Cli, fn: (p: Platform) => Promise<T>, consoleLog = false): Promise<T> {
  const c = cli.config();
  const [{ createPlatform }, { createLogging, loggingConfigFrom }] = await Promise.all([import('../../app/platform.js'), import('../../observability/logging.js')]);
  const p = createPlatform(c, {
    logging: createLogging(consoleLog ? { ...loggingConfigFrom(c, true), console: 'plain' } : { ...loggingConfigFrom(c, 'audit'), level: 'warn', console: 'plain' }),
  });
  try {
    return await fn(p);
  } finally {
    await p.close();
  }
}

/**
 * `ha monitor` (the monitor role alone, in the foreground), `ha status`, `ha ack`; and
 * `db failover [--to HOST:PORT] --confirm` on the `db` command (issue 12 item 4; manual §6.5.2).
 */
export function registerHa(program: Command, cli: Cli): void {
  const text = () => HA_CLI_TEXT[cli.lang];
  const ha = program.command('ha').description('high availability: the failover monitor (manual §6.5.2)');
  ha.command('monitor')
    .description('run the HA monitor in the foreground: check the primary, fail over after MCP_HA_FAILURES failed checks the replicas agree with')
    .action(async () => {
      // the monitor role alone, whatever MCP_ROLES says: this command names its role
      const [{ monitorRoleDeps, startMonitorRole }] = await Promise.all([import('../../app/roles/monitor.js')]);
      await withBarePlatform(
        cli,
        async (p) => {
          let last = '';
          const monitor = await startMonitorRole(
            monitorRoleDeps(p, {
              onTick: (s) => {
                const line = JSON.stringify({
                  leader: s.leader,
                  primary: s.primary,
                  primaryReachable: s.primaryReachable,
                  decision: s.lastDecision,
                  blockedSince: s.blockedSince,
                  pendingFence: s.pendingFence,
                  semiSync: s.semiSync,
                  lastError: s.lastError,
                });
                if (line !== last) process.stdout.write(`${line}\n`);
                last = line;
              },
            }),
          );
          for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void monitor.stop());
          await monitor.done;
        },
        true,
      );
    });
  ha.command('status')
    .description('the monitor (lease holder), the anti-flapping block, the last failover, semi-sync state of the primary')
    .action(async () => {
      const [{ monitorState }, { haConfigFrom }] = await Promise.all([import('../../ops/ha/monitor.js'), import('../../ops/ha/servers.js')]);
      const st = await withBarePlatform(cli, (p) => monitorState(p.database, p.clock, { config: haConfigFrom(p.config) }));
      if (cli.json()) return cli.print('', st);
      const t = text();
      process.stdout.write(
        `${[t.monitor(st.monitor), t.primary(st.primary, st.epoch), t.blocked(st.blockedSince), t.lastFailover(st.lastFailover), t.semiSync(st.semiSync)].join('\n')}\n`,
      );
    });
  ha.command('ack')
    .description('acknowledge the last failover: the monitor may fail over again (anti-flapping block lifted)')
    .action(async () => {
      const [{ ackFailover }, { cliActor }, { configuredServers, haConfigFrom }] = await Promise.all([
        import('../../ops/ha/monitor.js'),
        import('../../services/actor.js'),
        import('../../ops/ha/servers.js'),
      ]);
      const res = await cli.withPlatform((p) => (configuredServers(haConfigFrom(p.config)), ackFailover({ database: p.database, audit: p.audit }, cliActor())), { writes: true });
      cli.print(text().acked(res.acknowledged), res);
    });

  const db = program.commands.find((c) => c.name() === 'db') ?? program.command('db').description('database primary and replicas (manual §6.3, §6.5)');
  db.command('failover')
    .description('failover by hand when the primary is dead: promote a replica (default the most advanced clean one), repoint the others, fence the old primary')
    .option('--to <host:port>', 'the replica to promote (HOST:PORT)')
    .option('--confirm', 'required: a failover promotes a replica without the old primary')
    .action(async (o: { to?: string; confirm?: boolean }) => {
      if (o.to !== undefined && !/^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$/.test(o.to)) throw new UsageError(`--to: ${o.to}`);
      if (!o.confirm) throw new UsageError(text().needConfirm);
      const [{ failover, FAILOVER_ALERT }, { haAlerter }, { haConfigFrom }, { createAlerting }, { cliActor }] = await Promise.all([
        import('../../ops/ha/failover.js'),
        import('../../ops/ha/announce.js'),
        import('../../ops/ha/servers.js'),
        import('../../app/alerting.js'),
        import('../../services/actor.js'),
      ]);
      const res = await withBarePlatform(cli, (p) =>
        failover(
          {
            config: haConfigFrom(p.config),
            audit: p.audit,
            clock: p.clock,
            log: p.log,
            announce: (summary) => haAlerter(createAlerting(p).alerts)(FAILOVER_ALERT, 'critical', 'firing', summary),
          },
          cliActor(),
          { ...(o.to ? { to: o.to } : {}), reason: 'by hand (db failover)' },
        ),
      );
      if (cli.json()) return cli.print('', res);
      const t = text();
      const lines = [
        t.failedOver(res.from, res.to, res.epoch, res.fenced),
        ...res.steps.map((s) => t.step(s.step, s.server ?? '', s.ms, s.ok, s.detail ?? '')),
        ...res.warnings.map((w) => t.warning(w)),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
