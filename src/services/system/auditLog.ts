import { createHmac } from 'node:crypto';
import type { Clock } from '../../infra/clock.js';
import type { Database } from '../../infra/db/database.js';
import type { AuditEntry, AuditLog, AuditProblem, AuditRecord } from './contract.js';
import type { Transaction } from 'kysely';
import type { AuditLogTable, Schema } from '../../infra/db/schema.js';
import { prefixPattern } from '../../infra/db/like.js';
import { isoTime, toDbTime } from '../../infra/db/time.js';

/**
 * The audit log (SPEC SEC-3, PLAT-5): who did what to which target, when, from where, with what
 * result. Rows form a chain: each row's `hash` is an HMAC-SHA256, under a key kept outside the
 * database, over its own fields and the previous row's hash. `audit_chain` holds the newest
 * sequence number and hash with an HMAC of its own (`head_mac`), so a head rewritten without the
 * key does not verify. A head put back as it was earlier (a replayed backup row) is caught by the
 * anchors outside the database: signed checkpoints of the committed head in audit.log (see
 * createAuditCheckpoints), which `verify` reads back — a table that ends before the newest
 * checkpoint was truncated.
 */

/** The chain's head at one moment, signed with the audit key; kept outside the database. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  mac: string;
}

/** Where checkpoints are kept outside the database (audit.log: observability/logging.ts). */
export interface AuditCheckpointStore {
  write(checkpoint: AuditCheckpoint): void;
  /** Every checkpoint kept so far; `source` says where (file:line). */
  read(): AsyncIterable<AuditCheckpoint & { source: string }>;
}

export interface AuditCheckpoints {
  /** An audit row may have been committed: checkpoint the committed head soon (at most once per `delayMs`). */
  touched(): void;
  /** Writes the pending checkpoint now (before the process closes its database). */
  flush(): Promise<void>;
  read(): AsyncIterable<AuditCheckpoint & { source: string }>;
}

const GENESIS = '0'.repeat(64);
const MAX_PROBLEMS = 100;

const mac = (key: string, kind: 'head' | 'checkpoint', seq: number, hash: string) =>
  createHmac('sha256', key)
    .update(JSON.stringify([`audit-${kind}`, seq, hash]))
    .digest('hex');

/**
 * Checkpoints of the committed head, written outside the database. After audited activity the
 * committed head is read back (so a row of a transaction that later rolled back is never
 * anchored) and written once per burst, at most once per `delayMs`; `flush` writes the pending one
 * at once. A head whose own MAC is wrong is never anchored. Every replica (and CLI run) writes its
 * own; all of them describe the one chain in the shared database.
 */
export function createAuditCheckpoints(deps: { database: Database; key: string; store: AuditCheckpointStore; delayMs?: number; onError?: (e: unknown) => void }): AuditCheckpoints {
  const delay = deps.delayMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let written = 0;
  let running: Promise<void> = Promise.resolve();

  const checkpoint = async () => {
    const head = await deps.database.db.selectFrom('audit_chain').select(['last_seq', 'last_hash', 'head_mac']).where('id', '=', 1).executeTakeFirst();
    if (!head) return;
    const seq = Number(head.last_seq);
    if (seq <= written || head.head_mac !== mac(deps.key, 'head', seq, head.last_hash)) return;
    deps.store.write({ seq, hash: head.last_hash, mac: mac(deps.key, 'checkpoint', seq, head.last_hash) });
    written = seq;
  };
  const run = () => {
    timer = undefined;
    running = running.then(checkpoint).catch((e: unknown) => deps.onError?.(e));
    return running;
  };

  return {
    touched() {
      timer ??= setTimeout(run, delay).unref();
    },
    async flush() {
      if (!timer) return running;
      clearTimeout(timer);
      return run();
    },
    read: () => deps.store.read(),
  };
}

export function createAuditLog(deps: { database: Database; key: string; clock: Clock; onRecord?: (r: AuditRecord) => void; checkpoints?: AuditCheckpoints }): AuditLog {
  const { database, key, clock } = deps;
  const { db } = database;

  const digest = (row: Omit<AuditLogTable, 'hash'>): string =>
    createHmac('sha256', key)
      .update(JSON.stringify([row.seq, row.ts, row.actor_id, row.actor, row.action, row.target, row.ip, row.result, row.details, row.prev_hash]))
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
    await trx
      .insertInto('audit_log')
      .values({ ...row, hash })
      .execute();
    await trx
      .updateTable('audit_chain')
      .set({ last_seq: row.seq, last_hash: hash, head_mac: mac(key, 'head', row.seq, hash) })
      .where('id', '=', 1)
      .execute();
    return toRecord({ ...row, hash });
  }

  return {
    async record(entry, trx) {
      const rec = trx?.isTransaction ? await append(trx as Transaction<Schema>, entry) : await db.transaction().execute((t) => append(t, entry));
      deps.onRecord?.(rec);
      deps.checkpoints?.touched();
    },

    async keyHead() {
      return db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('audit_chain').select(['last_seq', 'last_hash', 'head_mac']).where('id', '=', 1);
        if (database.dialect === 'mysql') q = q.forUpdate();
        const head = await q.executeTakeFirst();
        if (!head || head.head_mac !== null) return false;
        await trx
          .updateTable('audit_chain')
          .set({ head_mac: mac(key, 'head', Number(head.last_seq), head.last_hash) })
          .where('id', '=', 1)
          .execute();
        return true;
      });
    },

    async list(q) {
      // searching the audit log tolerates replication lag: a replica may answer (SPEC HA-4)
      return deps.database.readLagTolerant(async (reader) => {
        let base = reader.selectFrom('audit_log');
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
      });
    },

    async verify() {
      const problems: AuditProblem[] = [];
      const note = (p: AuditProblem) => {
        if (problems.length < MAX_PROBLEMS) problems.push(p);
      };
      // The anchors first: each signed checkpoint names a row the table must still hold, unchanged.
      const anchored = new Map<number, { hash: string; source: string }>();
      let newest: { seq: number; source: string } | undefined;
      let checkpoints = 0;
      if (deps.checkpoints) {
        for await (const c of deps.checkpoints.read()) {
          if (c.mac !== mac(key, 'checkpoint', c.seq, c.hash)) {
            note({ seq: c.seq, problem: 'checkpoint-forged', message: `checkpoint ${c.source} for row ${c.seq} has no valid MAC (forged, or written under another audit key)` });
            continue;
          }
          checkpoints++;
          anchored.set(c.seq, { hash: c.hash, source: c.source });
          if (!newest || c.seq > newest.seq) newest = { seq: c.seq, source: c.source };
        }
      }
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
          const anchor = anchored.get(seq);
          if (anchor && anchor.hash !== hash) {
            note({ seq, problem: 'checkpoint-mismatch', message: `row ${seq} is not the row checkpoint ${anchor.source} signed (replaced)` });
          }
          prevHash = hash;
          expectedSeq = seq + 1;
          after = seq;
          checked++;
        }
        if (rows.length < batch) break;
      }
      const head = await db.selectFrom('audit_chain').select(['last_seq', 'last_hash', 'head_mac']).where('id', '=', 1).executeTakeFirst();
      const lastSeq = expectedSeq - 1;
      if (!head || Number(head.last_seq) !== lastSeq || (lastSeq > 0 && head.last_hash !== prevHash)) {
        note({
          seq: Number(head?.last_seq ?? 0),
          problem: 'head-mismatch',
          message: `the chain head says row ${head?.last_seq ?? '?'} is the newest, the table ends at ${lastSeq} (rows deleted or head edited)`,
        });
      }
      const genesis = head && Number(head.last_seq) === 0 && head.last_hash === GENESIS && head.head_mac === null;
      if (head && !genesis && head.head_mac !== mac(key, 'head', Number(head.last_seq), head.last_hash)) {
        note({
          seq: Number(head.last_seq),
          problem: 'head-forged',
          message: `the chain head (row ${head.last_seq}) does not carry its key MAC: it was rewritten without the audit key`,
        });
      }
      if (newest && newest.seq > lastSeq) {
        note({
          seq: newest.seq,
          problem: 'truncated',
          message: `checkpoint ${newest.source} signed row ${newest.seq}, the table ends at ${lastSeq}: rows ${lastSeq + 1}..${newest.seq} were deleted`,
        });
      }
      return { ok: problems.length === 0, checked, lastSeq, checkpoints, problems };
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
