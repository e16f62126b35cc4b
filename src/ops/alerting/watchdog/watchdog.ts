import type { Lang } from '../../../i18n/messages.js';
import type { Clock } from '../../../infra/clock.js';
import type { AlertmanagerPayload } from '../../../services/support/contract.js';
import { delivered, EMPTY_STATE, evaluate, type Outgoing, REPEAT_MS, type WatchdogState } from './evaluate.js';
import type { FigureReader } from './figures.js';
import { type Severity, WATCHDOG_RULES, type WatchdogRule } from './rules.js';

/**
 * The embedded watchdog (SPEC ALR-4): each `tick` reads the figures, evaluates the rules and hands
 * what changed to `receive` as an Alertmanager webhook (v4) payload from receiver `watchdog`, so
 * alerts are stored, open incidents and notify exactly as Alertmanager's do. A delivery that fails
 * is tried again on the next tick (the receiver is idempotent by fingerprint + startsAt + status).
 */
export interface WatchdogDeps {
  figures: FigureReader;
  receive(payload: AlertmanagerPayload): Promise<unknown>;
  clock: Clock;
  /** `hostname:port` of this process (the `instance` label). */
  instance: string;
  lang: Lang;
  rules?: readonly WatchdogRule[];
  /** Default: Alertmanager's repeat_interval per severity (REPEAT_MS). */
  repeatMs?: (severity: Severity) => number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export interface TickResult {
  /** Alerts firing now. */
  firing: number;
  /** Alerts whose condition holds but not yet for their `for`. */
  pending: number;
  /** Alerts handed to `receive` and accepted. */
  sent: number;
  /** Alerts whose delivery failed (tried again next tick). */
  unsent: number;
}

export interface Watchdog {
  tick(): Promise<TickResult>;
  state(): WatchdogState;
}

export const WATCHDOG_RECEIVER = 'watchdog';
/** What Alertmanager sends as `endsAt` while an alert fires. */
const NOT_ENDED = '0001-01-01T00:00:00Z';
const MAX_ALERTS_PER_PAYLOAD = 1000;

export function createWatchdog(deps: WatchdogDeps): Watchdog {
  const rules = deps.rules ?? WATCHDOG_RULES;
  const repeatMs = deps.repeatMs ?? ((s: Severity) => REPEAT_MS[s]);
  let state = EMPTY_STATE;
  return {
    state: () => state,
    async tick() {
      const figures = await deps.figures.read();
      const now = deps.clock.now();
      const next = evaluate(rules, figures, state, now, { instance: deps.instance, lang: deps.lang, repeatMs });
      state = next.state;
      let sent = 0;
      for (let i = 0; i < next.send.length; i += MAX_ALERTS_PER_PAYLOAD) {
        const chunk = next.send.slice(i, i + MAX_ALERTS_PER_PAYLOAD);
        try {
          await deps.receive(watchdogPayload(chunk));
          state = delivered(state, chunk, now);
          sent += chunk.length;
          for (const a of chunk) deps.log?.info({ alert: a.labels.alertname, severity: a.labels.severity, status: a.status, fingerprint: a.fingerprint }, 'watchdog alert raised');
        } catch (e) {
          deps.log?.warn({ err: (e as Error).message, alerts: chunk.length }, 'watchdog could not deliver alerts; trying again next round');
        }
      }
      const active = Object.values(state.active);
      const firing = active.filter((a) => a.firingSince !== undefined).length;
      return { firing, pending: active.length - firing, sent, unsent: next.send.length - sent };
    },
  };
}

/** Alertmanager's webhook payload (version 4) for `alerts`, as receiver `watchdog`. */
export function watchdogPayload(alerts: readonly Outgoing[]): AlertmanagerPayload {
  const common = (pick: (a: Outgoing) => Record<string, string>) => {
    const [first, ...rest] = alerts;
    if (!first) return {};
    return Object.fromEntries(Object.entries(pick(first)).filter(([k, v]) => rest.every((a) => pick(a)[k] === v)));
  };
  return {
    version: '4',
    groupKey: '{}:{source="watchdog"}',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: WATCHDOG_RECEIVER,
    groupLabels: { source: 'watchdog' },
    commonLabels: common((a) => a.labels),
    commonAnnotations: common((a) => a.annotations),
    externalURL: '',
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt).toISOString(),
      endsAt: a.endsAt === undefined ? NOT_ENDED : new Date(a.endsAt).toISOString(),
      generatorURL: '',
      fingerprint: a.fingerprint,
    })),
  };
}
