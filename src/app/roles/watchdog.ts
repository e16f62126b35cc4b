import { hostname } from 'node:os';
import { type Config, redactUrl } from '../../config/config.js';
import { AppError } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import type { ActiveAlert } from '../../ops/alerting/watchdog/evaluate.js';
import { createFigureReader, type FigureSources } from '../../ops/alerting/watchdog/figures.js';
import { createWatchdog, type TickResult, type Watchdog, type WatchdogDeps } from '../../ops/alerting/watchdog/watchdog.js';
import { acquireLease, type Lease } from '../../ops/lease.js';
import type { AlertmanagerPayload } from '../../services/support/contract.js';
import { platformFigureSources } from '../figureSources.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from './role.js';

export const WATCHDOG_LEASE = 'alerting:watchdog';

interface RoleLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WatchdogRoleDeps {
  database: Database;
  clock: Clock;
  log: RoleLog;
  /** MCP_PROMETHEUS_URL: when set, Prometheus evaluates the rules and the role does nothing. */
  prometheusUrl: string | undefined;
  /** Milliseconds between evaluations (MCP_WATCHDOG_INTERVAL_MS). */
  intervalMs: number;
  /** A fresh watchdog each time this process becomes the leader. */
  watchdog: () => Watchdog;
  /** Called once the role has stopped (closes what the figures opened). */
  close?: () => Promise<void>;
}

export interface RunningWatchdog extends RunningRole {
  /** True while this process evaluates (it holds the lease, or held it when the database went away). */
  leading(): boolean;
  /** The last evaluation's outcome. */
  lastTick(): TickResult | undefined;
  /** The pending and firing alerts of this leader (none while standing by). */
  alerts(): readonly ActiveAlert[];
}

/**
 * The watchdog role (SPEC ALR-4): every `intervalMs` the leader evaluates the watchdog rules. One
 * replica leads, holding the lease `alerting:watchdog`; the others wait and retry each interval.
 * The lease lives in the database, so when the database goes away the leader keeps evaluating (it
 * is the one that reports the outage) and retakes the lease once it is back; if another replica
 * took it meanwhile, this one steps down. Off when Prometheus is configured.
 */
export async function startWatchdogRole(deps: WatchdogRoleDeps): Promise<RunningWatchdog> {
  const { database, clock, log } = deps;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  if (deps.prometheusUrl) {
    log.info({ prometheus: redactUrl(deps.prometheusUrl) }, 'watchdog off: Prometheus evaluates the alert rules (MCP_PROMETHEUS_URL is set)');
    let stopping: Promise<void> | undefined;
    return {
      name: 'watchdog',
      leading: () => false,
      lastTick: () => undefined,
      alerts: () => [],
      done,
      stop: () => (stopping ??= (async () => (await deps.close?.(), stopped()))()),
    };
  }

  let lease: Lease | undefined;
  let watchdog: Watchdog | undefined;
  let last: TickResult | undefined;
  let ending = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;

  const lead = async (): Promise<boolean> => {
    if (lease?.held()) return true;
    try {
      lease = await acquireLease(database, clock, WATCHDOG_LEASE, 'the alerting watchdog');
      if (!watchdog) log.info({ lease: WATCHDOG_LEASE }, 'watchdog leading: evaluating the alert rules');
      watchdog ??= deps.watchdog();
      return true;
    } catch (e) {
      if (e instanceof AppError && e.code === 'CONFLICT') {
        if (watchdog) log.info({ lease: WATCHDOG_LEASE }, 'watchdog standing by: another replica evaluates the alert rules');
        watchdog = undefined;
        return false;
      }
      // the database did not answer: the last leader keeps watching, nobody else starts
      return watchdog !== undefined;
    }
  };

  const run = async () => {
    try {
      if (await lead()) last = await watchdog!.tick();
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'watchdog round failed');
    }
  };
  const schedule = () => {
    if (ending) return;
    timer = setTimeout(() => {
      round = run().finally(schedule);
    }, deps.intervalMs);
  };
  round = run().finally(schedule);

  let stopping: Promise<void> | undefined;
  return {
    name: 'watchdog',
    leading: () => watchdog !== undefined,
    lastTick: () => last,
    alerts: () => Object.values(watchdog?.state().active ?? {}),
    done,
    stop: () =>
      (stopping ??= (async () => {
        ending = true;
        clearTimeout(timer);
        await round;
        await lease?.release().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'watchdog could not release its lease; it lapses by itself'));
        await deps.close?.();
        stopped();
      })()),
  };
}

/**
 * The role's dependencies from the wired platform: figures read from its registry, adapters and
 * backup catalog; alerts handed to `receive` (the support module's alert service). `appHealthUrl`:
 * the web role's /health in this process, checked for 应用宕机.
 */
export function watchdogRoleDeps(
  p: Pick<Platform, 'config' | 'database' | 'cache' | 'bus' | 'metrics' | 'clock' | 'log'>,
  o: { receive: (payload: AlertmanagerPayload) => Promise<unknown>; appHealthUrl?: string; overrides?: Partial<FigureSources> },
): WatchdogRoleDeps {
  const { config, database } = p;
  const figureSources = platformFigureSources(p, o.appHealthUrl ? { appHealthUrl: o.appHealthUrl } : {});
  const sources: FigureSources = { ...figureSources.sources, ...o.overrides };
  const watchdogDeps = (): WatchdogDeps => ({
    figures: createFigureReader(sources),
    receive: o.receive,
    clock: p.clock,
    instance: `${hostname()}:${config.port}`,
    lang: config.lang,
    log: p.log,
  });
  return {
    database,
    clock: p.clock,
    log: p.log,
    prometheusUrl: config.prometheusUrl,
    intervalMs: config.watchdog.intervalMs,
    watchdog: () => createWatchdog(watchdogDeps()),
    close: () => figureSources.close(),
  };
}

/** The /health of the web role when this process runs it on a known port (what 应用宕机 checks); undefined otherwise. */
export function localHealthUrl(config: Pick<Config, 'host' | 'port' | 'roles'>): string | undefined {
  if (!config.roles.includes('web') || config.port === 0) return undefined;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}/health`;
}
