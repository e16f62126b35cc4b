import type { Config } from '../../config/config.js';
import { AVAILABLE_MODULES, MODULES, type ModuleName } from '../../config/modules.js';

/**
 * The health sweep of manual §6.5.1 (RES-4), fixed: every module's URL checked at once, liveness
 * (`/health`) and readiness (`/ready`) each with its own timeout, so one hung module costs the
 * sweep `timeoutMs`, not a minute. A module answering for another (`/health` lists what it serves)
 * counts as down. A module the platform does not have yet (business) is `not-available` unless
 * MCP_SERVICE_URLS names it.
 */
export type ModuleState = 'up' | 'not-ready' | 'down' | 'not-available';

export interface Probe {
  ok: boolean;
  /** HTTP status, when the module answered. */
  status?: number;
  ms: number;
  error?: string;
}

export interface ModuleHealth {
  module: ModuleName;
  url: string;
  state: ModuleState;
  live: Probe | null;
  ready: Probe | null;
}

export interface HealthSweep {
  checkedAt: string;
  /** False when any module is down or not ready. */
  ok: boolean;
  modules: ModuleHealth[];
}

export interface SweepOptions {
  /** Per request (default 2000 ms). */
  timeoutMs?: number;
  /**
   * The modules the asking process serves itself (and MCP_SERVICE_URLS does not place elsewhere):
   * reported from the process — alive since it is answering, ready as its own /ready says — with
   * the URL `in-process`, instead of probing ports nothing listens on (an all-in-one process).
   */
  local?: { modules: readonly ModuleName[]; ready: () => Promise<{ ok: boolean; error?: string }> };
  now?: () => Date;
}

async function probe(url: string, timeoutMs: number, check: (status: number, body: unknown) => string | undefined): Promise<Probe> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => undefined);
    const problem = check(res.status, body);
    return problem ? { ok: false, status: res.status, ms: ms(), error: problem } : { ok: true, status: res.status, ms: ms() };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const error = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message);
    return { ok: false, ms: ms(), error };
  }
}

async function checkModule(module: ModuleName, url: string, timeoutMs: number): Promise<ModuleHealth> {
  const [live, ready] = await Promise.all([
    probe(`${url}/health`, timeoutMs, (status, body) => {
      if (status !== 200) return `HTTP ${status}`;
      const served = (body as { modules?: unknown } | undefined)?.modules;
      if (Array.isArray(served) && !served.includes(module)) return `serves ${served.join(', ') || 'nothing'}, not ${module}`;
      return undefined;
    }),
    probe(`${url}/ready`, timeoutMs, (status, body) =>
      status === 200 ? undefined : `HTTP ${status} ${String((body as { status?: unknown } | undefined)?.status ?? '')}`.trimEnd(),
    ),
  ]);
  const state: ModuleState = !live.ok ? 'down' : ready.ok ? 'up' : 'not-ready';
  return { module, url, state, live, ready };
}

const IN_PROCESS = 'in-process';

async function localReadiness(ready: () => Promise<{ ok: boolean; error?: string }>): Promise<Probe> {
  const started = performance.now();
  const r = await ready().catch((e: unknown) => ({ ok: false, error: (e as Error).message }));
  return { ok: r.ok, ms: Math.round(performance.now() - started), ...(r.error ? { error: r.error } : {}) };
}

export async function sweepModules(services: Config['services'], o: SweepOptions = {}): Promise<HealthSweep> {
  const timeoutMs = o.timeoutMs ?? 2000;
  const local = (o.local?.modules ?? []).filter((m) => !services.named.includes(m));
  const localReady = local.length && o.local ? localReadiness(o.local.ready) : undefined;
  const modules = await Promise.all(
    MODULES.map(async (m): Promise<ModuleHealth> => {
      if (localReady && local.includes(m)) {
        const ready = await localReady;
        return { module: m, url: IN_PROCESS, state: ready.ok ? 'up' : 'not-ready', live: { ok: true, ms: 0 }, ready };
      }
      if (AVAILABLE_MODULES.includes(m) || services.named.includes(m)) return checkModule(m, services.urls[m], timeoutMs);
      return { module: m, url: services.urls[m], state: 'not-available', live: null, ready: null };
    }),
  );
  return { checkedAt: (o.now?.() ?? new Date()).toISOString(), ok: modules.every((m) => m.state === 'up' || m.state === 'not-available'), modules };
}
