import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import type { AuditLogTable, Schema } from '../../infra/db/schema.js';
import { prefixPattern } from '../../infra/db/like.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';

/**
 * The audit log (SPEC SEC-3, PLAT-5): who did what to which target, when, from where, with what
 * result. Rows form a chain: each row's `hash` is an HMAC-SHA256, under a key kept outside the
 * database, over its own fields and the previous row's hash. `audit_chain` holds the newest
 * sequence number and hash, so a deleted tail is detected as well as an edited or deleted row.
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
  problem: 'edited' | 'missing' | 'broken-link' | 'head-mismatch';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  lastSeq: number;
  problems: AuditProblem[];
}

type Executor = Kysely<Schema> | Transaction<Schema>;

export interface AuditLog {
  /** Appends one entry; pass the caller's transaction so the write and its audit row commit together. */
  record(entry: AuditEntry, trx?: Executor): Promise<void>;
  list(query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }>;
  verify(): Promise<AuditVerification>;
}

const GENESIS = '0'.repeat(64);
const MAX_PROBLEMS = 100;

export function createAuditLog(deps: { database: Database; key: string; clock: Clock; onRecord?: (r: AuditRecord) => void }): AuditLog {
  const { database, key, clock } = deps;
  const { db } = database;

  const digest = (row: Omit<AuditLogTable, 'hash'>): string =>
    createHmac('sha256', key)
      .update(
        JSON.stringify([row.seq, row.ts, row.actor_id, row.actor, row.action, row.target, row.ip, row.result, row.details, row.prev_hash]),
      )
      .digest('hex');

  async function append(trx: Transaction<Schema>, entry: AuditEntry): Promise<AuditRecord> {
    let head = trx.selectFrom('audit_chain').select(['last_seq', 'last_hash']).where('id', '=', 1);
    if (database.dialect === 'mysql') head = head.forUpdate();
    const chain = await head.executeTakeFirstOrThrow();
    const row: Omit<AuditLogTable, 'hash'> = {
      seq: Number(chain.last_seq) + 1,
      ts: toDbTime(clock.now()),
      actor_id: entry.actorId,
      actor: entry.actor.slice(0, 64),
      action: entry.action,
      target: entry.target?.slice(0, 255) ?? null,
      ip: entry.ip?.slice(0, 64) ?? null,
      result: entry.result,
      details: entry.details ? JSON.stringify(entry.details) : null,
      prev_hash: chain.last_hash,
    };
    const hash = digest(row);
    await trx.insertInto('audit_log').values({ ...row, hash }).execute();
    await trx.updateTable('audit_chain').set({ last_seq: row.seq, last_hash: hash }).where('id', '=', 1).execute();
    return toRecord({ ...row, hash });
  }

  return {
    async record(entry, trx) {
      const rec =
        trx && trx.isTransaction ? await append(trx as Transaction<Schema>, entry) : await db.transaction().execute((t) => append(t, entry));
      deps.onRecord?.(rec);
    },

    async list(q) {
      let base = db.selectFrom('audit_log');
      if (q.actor) base = base.where('actor', '=', q.actor);
      if (q.action) base = base.where('action', 'like', prefixPattern(q.action));
      if (q.result) base = base.where('result', '=', q.result);
      if (q.from) base = base.where('ts', '>=', q.from);
      if (q.to) base = base.where('ts', '<=', q.to);
      const [{ total }] = (await base.select((eb) => eb.fn.countAll<number>().as('total')).execute()) as [{ total: number }];
      const rows = await base
        .selectAll()
        .orderBy('seq', 'desc')
        .limit(q.pageSize)
        .offset((q.page - 1) * q.pageSize)
        .execute();
      return { items: rows.map(toRecord), total: Number(total) };
    },

    async verify() {
      const problems: AuditProblem[] = [];
      const note = (p: AuditProblem) => {
        if (problems.length < MAX_PROBLEMS) problems.push(p);
      };
      let expectedSeq = 1;
      let prevHash = GENESIS;
      let checked = 0;
      const batch = 1000;
      let after = 0;
      for (;;) {
        const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(batch).execute();
        for (const r of rows) {
          const seq = Number(r.seq);
          if (seq !== expectedSeq) {
            note({ seq: expectedSeq, problem: 'missing', message: `rows ${expectedSeq}..${seq - 1} are missing (deleted)` });
            prevHash = '';
          }
          const { hash, ...fields } = r;
          if (digest({ ...fields, seq }) !== hash) {
            note({ seq, problem: 'edited', message: `row ${seq} does not match its hash (edited)` });
          } else if (prevHash !== '' && r.prev_hash !== prevHash) {
            note({ seq, problem: 'broken-link', message: `row ${seq} does not follow row ${seq - 1}` });
          }
          prevHash = hash;
          expectedSeq = seq + 1;
          after = seq;
          checked++;
        }
        if (rows.length < batch) break;
      }
      const head = await db.selectFrom('audit_chain').select(['last_seq', 'last_hash']).where('id', '=', 1).executeTakeFirst();
      const lastSeq = expectedSeq - 1;
      if (!head || Number(head.last_seq) !== lastSeq || (lastSeq > 0 && head.last_hash !== prevHash)) {
        note({
          seq: Number(head?.last_seq ?? 0),
          problem: 'head-mismatch',
          message: `the chain head says row ${head?.last_seq ?? '?'} is the newest, the table ends at ${lastSeq} (rows deleted or head edited)`,
        });
      }
      return { ok: problems.length === 0, checked, lastSeq, problems };
    },
  };
}

function toRecord(r: AuditLogTable): AuditRecord {
  return {
    seq: Number(r.seq),
    ts: isoTime(r.ts),
    actorId: r.actor_id,
    actor: r.actor,
    action: r.action,
    target: r.target,
    ip: r.ip,
    result: r.result,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
  };
}
