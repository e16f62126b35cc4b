import { Counter, Gauge, type Registry } from 'prom-client';
import type { BreakerObserver, BreakerState } from '../infra/circuitBreaker.js';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

/**
 * Circuit breakers as metrics and log lines: `mcp_circuit_breaker_state{target}` (0 closed, 1 open,
 * 2 half-open), `mcp_circuit_breaker_transitions_total{target,to}`, and one log line per transition
 * (warn when it opens).
 */
export function breakerObserver(
  registry: Registry,
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
): BreakerObserver & { track(target: string): void } {
  const state = new Gauge({
    name: 'mcp_circuit_breaker_state',
    help: 'Circuit breaker state per target: 0 closed, 1 open, 2 half-open',
    labelNames: ['target'],
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'mcp_circuit_breaker_transitions_total',
    help: 'Circuit breaker transitions per target and new state',
    labelNames: ['target', 'to'],
    registers: [registry],
  });
  return {
    /** A breaker that exists shows as closed before its first transition. */
    track(target) {
      state.set({ target }, 0);
    },
    transition(target, to) {
      state.set({ target }, STATE_VALUE[to]);
      transitions.inc({ target, to });
      if (to === 'open') log.warn({ target, breaker: to }, `circuit breaker for ${target} opened: calls fail at once until a trial call succeeds`);
      else log.info({ target, breaker: to }, `circuit breaker for ${target} is ${to}`);
    },
  };
}
