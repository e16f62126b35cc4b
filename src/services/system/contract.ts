import { Type } from '@fastify/type-provider-typebox';
import type { Executor } from '../../infra/db/database.js';
import type { AuditLogTable } from '../../infra/db/schema.js';
import { TIME_PARAM_PATTERN } from '../../infra/db/time.js';
import type { Actor } from '../actor.js';
import { SETTING_NAME } from './settingNames.js';

/**
 * The system module's contract: the audit log and the settings, and their route schemas
 * (/api/system). It owns the tables `audit_log`, `audit_chain` and `settings`. `AuditLog.record`
 * runs in the caller's process and joins its transaction (`trx`), so a change and its audit row
 * commit together — for every module, never over the network.
 *
 * The audit log (SPEC SEC-3, PLAT-5): who did what to which target, when, from where, with what
 * result; a hash chain anchored outside the database (auditLog.ts).
 */
export interface AuditEntry {
  actorId: number | null;
  /** Username, or `system` / `anonymous`. */
  actor: string;
  /** Dotted verb, e.g. `user.create`, `auth.login`. */
  action: string;
  target?: string | null;
  ip?: string | null;
  result: AuditLogTable['result'];
  details?: Record<string, unknown> | null;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'details'>> {
  seq: number;
  ts: string;
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  page: number;
  pageSize: number;
  actor?: string;
  action?: string;
  result?: AuditLogTable['result'];
  from?: string;
  to?: string;
}

export interface AuditProblem {
  seq: number;
  problem: 'edited' | 'missing' | 'broken-link' | 'head-mismatch' | 'head-forged' | 'truncated' | 'checkpoint-mismatch' | 'checkpoint-forged';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  lastSeq: number;
  /** Checkpoints read from outside the database (audit.log and its rotated files) and compared with the table. */
  checkpoints: number;
  problems: AuditProblem[];
}

export interface AuditLog {
  /** Appends one entry; pass the caller's transaction so the write and its audit row commit together. */
  record(entry: AuditEntry, trx?: Executor): Promise<void>;
  list(query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }>;
  verify(): Promise<AuditVerification>;
  /** Keys a head that has no MAC yet (once, when migration 006 adds the column); true when it did. */
  keyHead(): Promise<boolean>;
}

/** Platform settings (SPEC PLAT-5): named JSON values, every change audited with old and new value. */
export interface Setting {
  name: string;
  value: unknown;
  updatedAt: string;
  updatedBy: string | null;
}

export interface SettingsService {
  list(): Promise<Setting[]>;
  get(name: string): Promise<Setting>;
  set(actor: Actor, name: string, value: unknown): Promise<Setting>;
  remove(actor: Actor, name: string): Promise<void>;
}

export const SettingName = Type.Object({ name: Type.String({ pattern: SETTING_NAME.source }) }, { additionalProperties: false });
const DbTime = Type.String({ pattern: TIME_PARAM_PATTERN });

export const AuditLogQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    actor: Type.Optional(Type.String({ maxLength: 64 })),
    action: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' })),
    result: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')])),
    from: Type.Optional(DbTime),
    to: Type.Optional(DbTime),
  },
  { additionalProperties: false },
);

export const SettingBody = Type.Object({ value: Type.Unknown() }, { additionalProperties: false, required: ['value'] });

const AuditRecordSchema = Type.Object({
  seq: Type.Integer(),
  ts: Type.String({ description: 'ISO 8601' }),
  actorId: Type.Union([Type.Integer(), Type.Null()]),
  actor: Type.String(),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  result: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')]),
  details: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
});

export const AuditLogListSchema = Type.Object({ items: Type.Array(AuditRecordSchema), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });

export const AuditVerificationSchema = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  lastSeq: Type.Integer(),
  checkpoints: Type.Integer(),
  problems: Type.Array(Type.Object({ seq: Type.Integer(), problem: Type.String(), message: Type.String() })),
});

export const SettingSchema = Type.Object({
  name: Type.String(),
  value: Type.Unknown(),
  updatedAt: Type.String(),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
});
