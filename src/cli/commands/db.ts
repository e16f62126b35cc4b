import type { Command } from 'commander';
import { DB_CLI_TEXT } from '../../i18n/cliText.js';
import type { Topology } from '../../ops/ha/topology.js';
import { integerOption, type Cli, UsageError } from '../support.js';
import { alignedTable } from '../table.js';

/** The status table: one line per server, columns aligned by display width (CJK counts 2). */
export function formatTopology(topo: Topology, lang: 'zh-CN' | 'en'): string {
  const t = DB_CLI_TEXT[lang];
  const rows: string[][] = [[...t.header]];
  const notes: string[] = [];
  for (const s of topo.servers) {
    if (!s.reachable) {
      rows.push([s.address, t.configured(s.configuredAs), t.role('unknown'), '-', '-', '-', '-', '-', '-', '-', '-']);
      notes.push(`${s.address}: ${t.unreachable(s.error ?? '')}`);
      continue;
    }
    const r = s.replication;
    const semi = s.semiSync ? (s.role === 'primary' ? t.yesNo(s.semiSync.primary) : t.yesNo(s.semiSync.replica)) : '-';
    rows.push([
      s.address,
      t.configured(s.configuredAs),
      t.role(s.role),
      t.yesNo(s.readOnly),
      r?.source ?? '-',
      r ? t.ioState(r.ioState) || '-' : '-',
      r ? t.yesNo(r.sqlRunning) : '-',
      r?.lagSeconds === null || r?.lagSeconds === undefined ? '-' : String(r.lagSeconds),
      s.gtidBehind === null || s.gtidBehind === undefined ? '-' : String(s.gtidBehind),
      s.errantGtids || '-',
      semi,
    ]);
    if (r?.lastIoError) notes.push(`${s.address} IO: ${r.lastIoError}`);
    if (r?.lastSqlError) notes.push(`${s.address} SQL: ${r.lastSqlError}`);
  }
  const lines = alignedTable(rows);
  return [t.primary(topo.primary), ...(topo.splitBrain ? [t.splitBrain] : []), t.epoch(topo.epoch), ...lines, ...notes].join('\n');
}

/** `db status` and `db switchover --to HOST:PORT` (issue 12; manual §6.3). */
export function registerDb(program: Command, cli: Cli): void {
  const db = program.command('db').description('database primary and replicas (manual §6.3, §6.5)');
  db.command('status')
    .description('replication topology: role, threads, lag (seconds and GTIDs), errant GTIDs, semi-sync of every server')
    .action(async () => {
      const [{ readTopology }, { haConfigFrom }] = await Promise.all([import('../../ops/ha/topology.js'), import('../../ops/ha/servers.js')]);
      const topo = await readTopology({ config: haConfigFrom(cli.config()) });
      if (cli.json()) return cli.print('', topo);
      process.stdout.write(`${formatTopology(topo, cli.lang)}\n`);
    });
  db.command('switchover')
    .description('planned switchover: fence the primary, wait for the target to apply everything, promote it, repoint the others, demote the old primary')
    .requiredOption('--to <host:port>', 'the replica to promote (HOST:PORT)')
    .option('--timeout <seconds>', 'how long the target may take to catch up (abort and restore the old primary after), default 30', integerOption('--timeout', 3600))
    .action(async (o: { to: string; timeout?: number }) => {
      if (!/^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$/.test(o.to)) throw new UsageError(`--to: ${o.to}`);
      if (o.timeout !== undefined && o.timeout < 1) throw new UsageError(`--timeout: ${o.timeout}`);
      const [{ switchover }, { haConfigFrom }, { switchoverAnnouncer }, { createAlerting }, { cliActor }] = await Promise.all([
        import('../../ops/ha/switchover.js'),
        import('../../ops/ha/servers.js'),
        import('../../ops/ha/announce.js'),
        import('../../app/alerting.js'),
        import('../../services/actor.js'),
      ]);
      const res = await cli.withPlatform(
        (p) =>
          switchover(
            {
              config: haConfigFrom(p.config),
              database: p.database,
              audit: p.audit,
              clock: p.clock,
              log: p.log,
              maintenance: p.maintenance,
              announce: switchoverAnnouncer(createAlerting(p).alerts),
            },
            cliActor(),
            { to: o.to, ...(o.timeout !== undefined ? { timeoutSeconds: o.timeout } : {}) },
          ),
        { writes: true },
      );
      if (cli.json()) return cli.print('', res);
      const t = DB_CLI_TEXT[cli.lang];
      const lines = [
        t.switched(res.from, res.to, res.writeUnavailableMs, res.epoch),
        ...res.steps.map((s) => t.step(s.step, s.server ?? '', s.ms, s.ok, s.detail ?? '')),
        ...res.warnings.map((w) => t.warning(w)),
        formatTopology(res.topology, cli.lang),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
