// What a benchmark reads from its environment, and the error that ends it with a plain message.

/** A problem the operator can fix (bad setting, missing build, unreachable service): printed without a stack. */
export class BenchError extends Error {}

/** A whole-number BENCH_* setting between `min` and `max`; `def` when unset. */
export function intEnv(name, def, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw.trim())) throw new BenchError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new BenchError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A URL with its password replaced by `***`, for printing. */
export const redact = (url) => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):([^@/]*)@/i, '$1$2:***@');
