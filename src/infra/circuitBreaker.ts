import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { unavailable } from '../errors/appError.js';

/**
 * A circuit breaker around calls to something outside the process (RES-3), on cockatiel: each call
 * has its own timeout; after `failures` consecutive failures the circuit opens and every call fails
 * at once with 503 UNAVAILABLE and a Retry-After, instead of waiting on a dependency that is down;
 * after `openSeconds` one trial call goes through (half-open) and its outcome closes or reopens it.
 * Idempotent calls are retried (jittered exponential backoff) before they count as a failure; a
 * timed-out call is not retried. Every transition is reported to the observer (metrics, log line).
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerObserver {
  transition(target: string, to: BreakerState): void;
}

export interface BreakerOptions {
  /** Bound on one call (ms). */
  timeoutMs: number;
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long the circuit stays open before a trial call (s). */
  openSeconds: number;
  /** Extra attempts of an idempotent call (default 1). */
  retries?: number;
}

export interface Breaker {
  readonly target: string;
  state(): BreakerState;
  /**
   * Runs `fn` under the breaker; `fn` must stop when `signal` aborts (the call's timeout).
   * `unbounded`: no timeout (a transfer whose length depends on its size), still counted.
   */
  call<T>(fn: (signal: AbortSignal) => Promise<T>, o?: { idempotent?: boolean; unbounded?: boolean }): Promise<T>;
  /**
   * Throws the open circuit's 503 now, before a caller does work that would only lead to a call
   * the circuit refuses (e.g. a login's bookkeeping); does nothing while closed or due for a trial.
   */
  rejectIfOpen(): void;
}

const STATE: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

export function createBreaker(target: string, o: BreakerOptions, observer?: BreakerObserver): Breaker {
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: o.openSeconds * 1000, breaker: new ConsecutiveBreaker(o.failures) });
  let openedAt = 0;
  let lastFailure = '';
  breaker.onFailure(({ reason }) => {
    if ('error' in reason) lastFailure = reason.error instanceof TaskCancelledError ? `no answer within ${o.timeoutMs} ms` : reason.error.message;
  });
  breaker.onStateChange((s) => {
    if (s === CircuitState.Open) openedAt = Date.now();
    observer?.transition(target, STATE[s]);
  });
  const perCall = timeout(o.timeoutMs, TimeoutStrategy.Aggressive);
  const retrying = retry(
    handleWhen((e) => !(e instanceof TaskCancelledError) && !(e instanceof BrokenCircuitError)),
    { maxAttempts: o.retries ?? 1, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }) },
  );
  const plain = wrap(breaker, perCall);
  const idempotent = wrap(retrying, breaker, perCall);
  const openError = (cause?: unknown) => {
    const retryAfterSeconds = Math.max(1, Math.ceil((openedAt + o.openSeconds * 1000 - Date.now()) / 1000));
    return unavailable(`${target} is unavailable: the circuit is open after ${o.failures} failed calls in a row (last: ${lastFailure}); retry in ${retryAfterSeconds} s`, cause, {
      retryAfterSeconds,
    });
  };
  return {
    target,
    state: () => STATE[breaker.state],
    rejectIfOpen() {
      // open and not yet due for its trial call (the next call after that moment is the trial)
      if (breaker.state === CircuitState.Open && Date.now() < openedAt + o.openSeconds * 1000) throw openError();
    },
    async call(fn, opts = {}) {
      try {
        return await (opts.unbounded ? breaker : opts.idempotent ? idempotent : plain).execute(({ signal }) => fn(signal));
      } catch (e) {
        if (e instanceof BrokenCircuitError) throw openError(e);
        if (e instanceof TaskCancelledError) throw unavailable(`${target} did not answer within ${o.timeoutMs} ms`, e);
        throw e;
      }
    },
  };
}
