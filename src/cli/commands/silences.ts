import type { Command } from 'commander';
import type { Platform } from '../../app/platform.js';
import { NOTIFY_CLI_TEXT } from '../../i18n/cliText.js';
import type { SilenceMatcher } from '../../services/support/contract.js';
import { type Cli, UsageError } from '../support.js';

/** `2h`, `30m`, `1d12h`, `90s` → milliseconds; bad usage otherwise. */
export function parseDuration(flag: string, v: string): number {
  const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (!/^(\d+[smhd])+$/.test(v)) throw new UsageError(`${flag}: ${v}`);
  let ms = 0;
  for (const [, n, u] of v.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * units[u!]!;
  if (ms <= 0) throw new UsageError(`${flag}: ${v}`);
  return ms;
}

/** `name=value` or `name=~regex`. */
function parseMatcher(v: string): SilenceMatcher {
  const m = /^([a-zA-Z_][a-zA-Z0-9_]*)(=~|=)(.*)$/.exec(v);
  if (!m) throw new UsageError(`--match: ${v} (name=value or name=~regex)`);
  return { name: m[1]!, value: m[3]!, ...(m[2] === '=~' ? { regex: true } : {}) };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * `alerts silence add|list|expire` (issue 11 item 2): silences by label matchers and maintenance
 * windows, the same service as `/api/support/alerts/silences`. Adds to the `alerts` command when
 * it is registered already.
 */
export function registerSilences(program: Command, cli: Cli): void {
  const text = () => NOTIFY_CLI_TEXT[cli.lang];
  const service = async (p: Platform) => (await import('../../services/support/notifyConfigFactory.js')).notifyConfigOf(p);
  const actor = async () => (await import('../../services/actor.js')).cliActor();
  const alerts = program.commands.find((c) => c.name() === 'alerts') ?? program.command('alerts').description('alerts (manual §3; pushed by Alertmanager)');
  const silence = alerts.command('silence').description('silences and maintenance windows');

  silence
    .command('add')
    .description('add a silence (label matchers) or a maintenance window (--maintenance, may match every alert)')
    .option('--match <matcher>', 'label matcher name=value or name=~regex; repeatable', collect)
    .requiredOption('--duration <duration>', 'how long (e.g. 2h, 30m, 1d; a silence lasts at most 30 days)')
    .option('--starts-at <time>', 'start (ISO 8601; default now)')
    .requiredOption('--comment <text>', 'why (who is working on what)')
    .option('--maintenance', 'a maintenance window: without --match it silences every alert')
    .action(async (o: { match?: string[]; duration: string; startsAt?: string; comment: string; maintenance?: boolean }) => {
      const matchers = (o.match ?? []).map(parseMatcher);
      const ms = parseDuration('--duration', o.duration);
      const starts = o.startsAt ? new Date(o.startsAt) : new Date();
      if (Number.isNaN(starts.getTime())) throw new UsageError(`--starts-at: ${o.startsAt}`);
      const who = await actor();
      const s = await cli.withPlatform(
        async (p) =>
          (await service(p)).createSilence(who, {
            kind: o.maintenance ? 'maintenance' : 'silence',
            matchers,
            startsAt: starts.toISOString(),
            endsAt: new Date(starts.getTime() + ms).toISOString(),
            comment: o.comment,
          }),
        { writes: true },
      );
      cli.print(text().silenceAdded(s.id, s.endsAt), s);
    });

  silence
    .command('list')
    .description('silences and maintenance windows not yet ended')
    .option('--all', 'include those that ended')
    .action(async (o: { all?: boolean }) => {
      const items = await cli.withPlatform(async (p) => (await service(p)).listSilences({ all: !!o.all }));
      if (cli.json()) return cli.print('', { items });
      if (!items.length) return cli.print(text().noSilences, []);
      const t = text();
      const lines = items.map((s) =>
        [
          `#${s.id}`,
          t.kind(s.kind),
          t.state(s.state),
          `${s.startsAt} → ${s.endsAt}`,
          s.matchers.length ? s.matchers.map((m) => `${m.name}${m.regex ? '=~' : '='}${m.value}`).join(',') : t.everything,
          s.createdBy,
          s.comment,
        ].join('  '),
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  silence
    .command('expire')
    .description('end a silence now')
    .argument('<id>', 'silence id')
    .action(async (id: string) => {
      if (!/^[1-9][0-9]{0,9}$/.test(id)) throw new UsageError(`silence id: ${id}`);
      const who = await actor();
      const s = await cli.withPlatform(async (p) => (await service(p)).expireSilence(who, Number(id)), { writes: true });
      cli.print(text().silenceExpired(s.id), s);
    });
}
