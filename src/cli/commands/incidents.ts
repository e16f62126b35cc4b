import type { Command } from 'commander';
import { incidentText } from '../../i18n/incidentText.js';
import type { IncidentDeps, IncidentStats } from '../../ops/incidents/incidents.js';
import type { Platform } from '../../app/platform.js';
import { type Cli, UsageError } from '../support.js';

const STATUS_CHOICES = ['open', 'detected', 'notified', 'confirmed', 'classified', 'remediating', 'verifying', 'recovered', 'postmortem'];

/** An incident id argument: a positive integer, else bad usage. */
function incidentId(v: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(v)) throw new UsageError(`incident id: ${v}`);
  return Number(v);
}

/** `incidents list|show|ack|resolve|postmortem` (manual §4): the same core functions as the API, as `cliActor()`. */
export function registerIncidents(program: Command, cli: Cli): void {
  const { withPlatform } = cli;
  const text = () => incidentText(cli.lang);
  const deps = (p: Platform): IncidentDeps => ({ database: p.database, audit: p.audit, clock: p.clock });
  const ops = () => import('../../ops/incidents/incidents.js');
  const actor = async () => (await import('../../services/actor.js')).cliActor();
  const secs = (n: number | null) => (n === null ? text().cli.none : text().postmortem.seconds(n));
  const statsLines = (stats: IncidentStats) =>
    Object.entries(stats).map(([sev, s]) => text().cli.stats(text().severity[sev] ?? sev, s.count, secs(s.mttaSeconds), secs(s.mttrSeconds)));

  const incidents = program.command('incidents').description('incidents (manual §4)');
  incidents
    .command('list')
    .description('incidents, newest first, with MTTA and MTTR per severity')
    .option('--status <status>', `only this state (${STATUS_CHOICES.join(', ')})`)
    .option('--severity <severity>', 'only this severity (critical, major, minor)')
    .action(async (o: { status?: string; severity?: string }) => {
      if (o.status && !STATUS_CHOICES.includes(o.status)) throw new UsageError(`--status: ${o.status}`);
      if (o.severity && !['critical', 'major', 'minor'].includes(o.severity)) throw new UsageError(`--severity: ${o.severity}`);
      const { listIncidents } = await ops();
      const res = await withPlatform((p) => listIncidents(p.database, o as never));
      if (cli.json()) return cli.print('', res);
      const t = text();
      const lines = [t.cli.list(res.items.length)];
      for (const i of res.items) lines.push(`  #${i.id} [${t.severity[i.severity]}] ${t.status[i.status]}  ${i.title}  ${i.detectedAt}`);
      process.stdout.write(`${[...lines, ...statsLines(res.stats)].join('\n')}\n`);
    });

  incidents
    .command('show')
    .description('one incident: state, timeline, checklist and suggested commands')
    .argument('<id>', 'incident id', incidentId)
    .action(async (id: number) => {
      const { getIncident } = await ops();
      const i = await withPlatform((p) => getIncident(p.database, id, cli.lang));
      if (cli.json()) return cli.print('', i);
      const t = text();
      const lines = [
        `#${i.id} ${i.title}`,
        `  ${t.postmortem.severity}: ${t.severity[i.severity]}  ${t.postmortem.type}: ${i.type ? t.type[i.type] : t.postmortem.unknown}  ${t.status[i.status]}`,
        `  ${t.postmortem.mtta}: ${secs(i.ttaSeconds)}  ${t.postmortem.mttr}: ${secs(i.ttrSeconds)}`,
        t.cli.suggestions,
        ...i.suggestions.map((s) => `  - ${s.text}${s.command ? `: ${s.command}` : ''}`),
        t.cli.checklist,
        ...i.checklist.map((c) => `  [${c.done ? 'x' : ' '}] ${c.label}`),
        t.cli.timeline,
        ...i.timeline.map((e) => `  ${e.at} ${e.actor} ${e.kind}${e.to ? ` → ${t.status[e.to] ?? e.to}` : ''}${e.message ? ` — ${e.message}` : ''}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  incidents
    .command('ack')
    .description('acknowledge an incident (confirmed)')
    .argument('<id>', 'incident id', incidentId)
    .option('--note <text>', 'a note for the timeline')
    .action(async (id: number, o: { note?: string }) => {
      const { acknowledgeIncident } = await ops();
      const who = await actor();
      const i = await withPlatform((p) => acknowledgeIncident(deps(p), who, id, o.note), { writes: true });
      cli.print(text().cli.acked(i.id), i);
    });

  incidents
    .command('resolve')
    .description('mark an incident recovered, from any open state (needs --yes)')
    .argument('<id>', 'incident id', incidentId)
    .option('--yes', 'confirm that the fault is over')
    .option('--note <text>', 'a note for the timeline')
    .action(async (id: number, o: { yes?: boolean; note?: string }) => {
      if (!o.yes) throw new UsageError(text().cli.needConfirm);
      const { resolveIncident } = await ops();
      const who = await actor();
      const i = await withPlatform((p) => resolveIncident(deps(p), who, id, { confirm: true, note: o.note }), { writes: true });
      cli.print(text().cli.resolved(i.id), i);
    });

  incidents
    .command('postmortem')
    .description('write (or print) the postmortem of a recovered incident, in Markdown')
    .argument('<id>', 'incident id', incidentId)
    .option('--impact <text>', 'impact')
    .option('--causes <text>', 'contributing causes')
    .option('--actions <text>', 'actions')
    .action(async (id: number, o: { impact?: string; causes?: string; actions?: string }) => {
      const { writePostmortem } = await ops();
      const who = await actor();
      const r = await withPlatform((p) => writePostmortem(deps(p), who, id, o, cli.lang), { writes: true });
      if (cli.json()) cli.print('', r);
      else process.stdout.write(r.markdown);
    });
}
