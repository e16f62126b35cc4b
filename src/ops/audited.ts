import type { Logger } from 'pino';
import { AppError } from '../errors/appError.js';
import type { Actor } from '../services/actor.js';
import type { AuditLog } from '../services/system/contract.js';
import type { Maintenance, MaintenanceState } from './maintenance.js';

/**
 * One operation run under the audit log, the same way whatever face starts it (SPEC PLAT-5,
 * SEC-3): the CLI (actor `cliActor()`), the scheduler (`schedulerActor`) and the API's jobs record
 * `ops.<kind>` when it starts (`details.phase: 'started'`) and when it ends (`'finished'`, result
 * success or failure with the error). The start row is written before the work begins, so an
 * operation that cannot be audited does not run. With `maintenance`, the operation is refused
 * (MAINTENANCE, audited as `denied`) while a live restore holds the platform in maintenance mode.
 */
export interface AuditedOperation<T> {
  /** `backup.full`, `backup.verify`, `restore`, … — recorded as `ops.<kind>`. */
  kind: string;
  actor: Actor;
  /** `backup:full`, `backup:<id>`, … */
  target: string;
  /** Extra details on every row (e.g. the API's job id). */
  details?: Record<string, unknown>;
  /** Details of the outcome for the finished row (e.g. the backup id written). */
  outcome?: (result: T) => Record<string, unknown>;
}

export interface AuditedDeps {
  audit: AuditLog;
  maintenance?: Maintenance;
  log?: Logger;
}

export function maintenanceRefusal(m: MaintenanceState): AppError {
  return new AppError('MAINTENANCE', `the platform is in maintenance mode (${m.reason}, since ${m.since}); writes are refused until it ends`, {
    reason: m.reason,
    since: m.since,
    retryAfterSeconds: 30,
  });
}

export async function runAudited<T>(deps: AuditedDeps, op: AuditedOperation<T>, run: () => Promise<T>): Promise<T> {
  const action = `ops.${op.kind}`;
  const base = { ...op.actor, action, target: op.target };
  const m = deps.maintenance ? await deps.maintenance.current() : undefined;
  if (m) {
    await deps.audit.record({ ...base, result: 'denied', details: { ...op.details, phase: 'refused', maintenance: m.reason } });
    deps.log?.warn({ operation: action, actor: op.actor.actor, maintenance: m.reason }, 'operation refused: maintenance mode');
    throw maintenanceRefusal(m);
  }
  await deps.audit.record({ ...base, result: 'success', details: { ...op.details, phase: 'started' } });
  let result: T;
  try {
    result = await run();
  } catch (e) {
    await deps.audit
      .record({ ...base, result: 'failure', details: { ...op.details, phase: 'finished', error: (e as Error)?.message ?? String(e) } })
      .catch((err: unknown) => deps.log?.error({ operation: action, err: (err as Error).message }, 'could not audit a failed operation'));
    throw e;
  }
  await deps.audit.record({ ...base, result: 'success', details: { ...op.details, phase: 'finished', ...op.outcome?.(result) } });
  return result;
}
