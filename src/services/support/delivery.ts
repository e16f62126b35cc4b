import { AppError } from '../../errors/appError.js';
import type { Clock } from '../../infra/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import type { NotifyOutboxTable } from '../../infra/db/schema.js';
import type { Updateable } from 'kysely';
import { toDbTime } from '../../infra/db/time.js';
import { isUniqueViolation } from '../../infra/db/uniqueViolation.js';
import type { ChannelType, NotificationChannel, ProviderLimits } from '../../infra/notify/channel.js';
import { alertMessage, digestMessage } from '../../i18n/notifyText.js';
import type { Lang } from '../../i18n/messages.js';
import type { NotifiedAlert } from './outbox.js';

/**
 * Delivers one outbox notification (issue 11 item 3). Called for each bus message the relay
 * published; safe to call twice for the same id (the second finds it claimed or done and does
 * nothing), so a redelivered message never sends twice.
 *
 * Steps: claim the row (pending/queued → sending, one winner); drop the alerts acknowledged or
 * silenced since it was written (all dropped → cancelled, nothing sent); take the channel's pacing
 * slot (robots: DingTalk/WeCom 20 a minute, Feishu 100 a minute and 5 a second — without a slot the
 * row waits for it); merge the channel's other waiting notifications into one digest; send; record
 * the attempt with the provider's code; then sent, or back to pending after an exponential
 * backoff, or dead (the dead-letter state) when the error is permanent or the attempts are spent.
 */
export interface DeliveryPolicy {
  /** Attempts before a notification is dead (retries after transient errors). Default 8. */
  maxAttempts: number;
  /** First retry delay; doubled each attempt, with ±20 % jitter, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a claim lasts: a worker that died mid-send releases its notification after this. */
  claimMs: number;
  /** Waiting notifications of one rate-limited channel merged into one message at most. */
  maxMerge: number;
  lang: Lang;
  /** Where the full alert can be read (appended when a message is truncated). */
  link?: (alert: NotifiedAlert) => string | undefined;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { maxAttempts: 8, baseDelayMs: 5_000, maxDelayMs: 10 * 60_000, claimMs: 120_000, maxMerge: 50, lang: 'zh-CN' };

export interface DeliveryDeps {
  database: Database;
  clock: Clock;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** The channel a notification names (stored channels decrypted, or the built-ins). */
  channel(name: string, type: ChannelType): Promise<NotificationChannel>;
  /** True when a silence or maintenance window covers an alert with these labels now. */
  silenced(x: Executor, alert: NotifiedAlert, now: Date): Promise<boolean>;
  /** After a notification went out: the incidents of these alerts move to `notified`. */
  delivered?(fingerprints: string[], channel: string): Promise<void>;
  policy?: Partial<DeliveryPolicy>;
}

export type DeliveryOutcome = 'sent' | 'retry' | 'rate_limited' | 'dead' | 'paced' | 'cancelled' | 'skipped';

type Row = Omit<NotifyOutboxTable, 'id' | 'attempts' | 'escalation'> & { id: number; attempts: number; escalation: number };

const PACING_MARGIN_MS = 50;

/** The shortest gap between two messages that keeps within every one of a provider's limits. */
export function pacingInterval(limits: ProviderLimits): number {
  const gaps = [limits.perMinute ? 60_000 / limits.perMinute : 0, limits.perSecond ? 1_000 / limits.perSecond : 0];
  const gap = Math.max(...gaps);
  return gap > 0 ? Math.ceil(gap) + PACING_MARGIN_MS : 0;
}

/** Delay before attempt `attempts + 1`: base·2^(attempts−1), capped, ±20 % jitter. */
export function backoffMs(policy: Pick<DeliveryPolicy, 'baseDelayMs' | 'maxDelayMs'>, attempts: number, random = Math.random): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

export async function deliverNotification(deps: DeliveryDeps, id: number): Promise<DeliveryOutcome> {
  const policy = { ...DEFAULT_DELIVERY_POLICY, ...deps.policy };
  const db = deps.database.db;
  const now = deps.clock.now();
  const at = toDbTime(now);

  // 1. claim: one caller wins; a duplicate bus message finds nothing to do
  const claimed = await db
    .updateTable('notify_outbox')
    .set((eb) => ({ status: 'sending', claimed_until: toDbTime(new Date(now.getTime() + policy.claimMs)), attempts: eb('attempts', '+', 1), updated_at: at }))
    .where('id', '=', id)
    .where('status', 'in', ['pending', 'queued'])
    .where('next_attempt_at', '<=', at)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return 'skipped';
  const row = (await db.selectFrom('notify_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as Row;

  // 2. nothing for an alert acknowledged or silenced since
  const alerts = await stillToAnnounce(deps, row, now);
  if (alerts.length === 0) {
    await finish(db, id, { status: 'cancelled', last_error: 'acknowledged or silenced before delivery', updated_at: at, claimed_until: null });
    return 'cancelled';
  }

  let channel: NotificationChannel;
  try {
    channel = await deps.channel(row.channel, row.channel_type as ChannelType);
  } catch (e) {
    return failed(deps, policy, row, [], e, now, 0);
  }

  // 3. pacing: a rate-limited channel sends at most one message per interval
  const gap = pacingInterval(channel.limits);
  if (gap > 0) {
    const next = await takeSlot(db, row.channel, now, gap);
    if (next) {
      await finish(db, id, { status: 'pending', attempts: row.attempts - 1, next_attempt_at: next, claimed_until: null, updated_at: at });
      return 'paced';
    }
  }

  // 4. merge the channel's waiting notifications to the same people into this one
  const merged = gap > 0 ? await mergeWaiting(deps, row, now, policy.maxMerge) : [];
  const all = [...alerts, ...merged.flatMap((m) => m.alerts)];

  // 5. send
  const one = all.length === 1 ? all[0] : undefined;
  const link = policy.link?.(all[0]!);
  const msg = one
    ? alertMessage(one, { lang: policy.lang, link, escalation: row.escalation || undefined })
    : digestMessage(all, { lang: policy.lang, link, escalation: row.escalation || undefined });
  const started = Date.now();
  try {
    const sent = await channel.send({ subject: msg.subject, text: msg.text, fields: msg.fields, to: JSON.parse(row.recipients) as string[], link, idempotencyKey: row.idem_key });
    const done = toDbTime(deps.clock.now());
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('notify_attempts')
        .values({
          outbox_id: id,
          channel: row.channel,
          attempt: row.attempts,
          started_at: at,
          duration_ms: Date.now() - started,
          outcome: 'sent',
          provider_code: sent.providerCode ?? null,
          error: null,
          message_id: sent.id?.slice(0, 255) ?? null,
          merged: merged.length,
        })
        .execute();
      await finish(trx, id, {
        status: 'sent',
        sent_at: done,
        updated_at: done,
        claimed_until: null,
        provider_code: sent.providerCode ?? null,
        message_id: sent.id?.slice(0, 255) ?? null,
        last_error: null,
      });
      if (merged.length)
        await trx
          .updateTable('notify_outbox')
          .set({ sent_at: done, updated_at: done })
          .where(
            'id',
            'in',
            merged.map((m) => m.id),
          )
          .execute();
    });
    try {
      await deps.delivered?.([...new Set(all.map((a) => a.fingerprint))], row.channel);
    } catch (e) {
      deps.log.error({ err: e, outbox: id }, 'marking incidents notified failed');
    }
    return 'sent';
  } catch (e) {
    return failed(
      deps,
      policy,
      row,
      merged.map((m) => m.id),
      e,
      now,
      Date.now() - started,
    );
  }
}

/** The row's alerts minus those acknowledged (this episode) or silenced since it was written. */
async function stillToAnnounce(deps: DeliveryDeps, row: Row, now: Date): Promise<NotifiedAlert[]> {
  const alerts = JSON.parse(row.alerts) as NotifiedAlert[];
  const fps = [...new Set(alerts.map((a) => a.fingerprint))];
  const current = await deps.database.db.selectFrom('alerts').select(['fingerprint', 'starts_at', 'status', 'acknowledged_at']).where('fingerprint', 'in', fps).execute();
  const byFp = new Map(current.map((c) => [c.fingerprint, c]));
  const out: NotifiedAlert[] = [];
  for (const a of alerts) {
    const c = byFp.get(a.fingerprint);
    const sameEpisode = c && c.starts_at === toDbTime(new Date(a.startsAt));
    if (sameEpisode && c.acknowledged_at !== null) continue;
    // an escalation is for an alert still firing
    if (row.kind === 'escalation' && (!sameEpisode || c.status !== 'firing')) continue;
    if (await deps.silenced(deps.database.db, a, now)) continue;
    out.push(a);
  }
  return out;
}

/** Takes the channel's next sending slot; returns undefined when taken, else when the next slot frees (stored time). */
async function takeSlot(db: Executor, channel: string, now: Date, gapMs: number): Promise<string | undefined> {
  const at = toDbTime(now);
  try {
    await db
      .insertInto('notify_pacing')
      .values({ channel, next_at: toDbTime(new Date(0)) })
      .execute();
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
  }
  const took = await db
    .updateTable('notify_pacing')
    .set({ next_at: toDbTime(new Date(now.getTime() + gapMs)) })
    .where('channel', '=', channel)
    .where('next_at', '<=', at)
    .executeTakeFirst();
  if (Number(took.numUpdatedRows) === 1) return undefined;
  const row = await db.selectFrom('notify_pacing').select('next_at').where('channel', '=', channel).executeTakeFirst();
  return row?.next_at ?? at;
}

/** Pushes the channel's next slot to at least `until` (a provider that said it throttles us). */
async function holdChannel(db: Executor, channel: string, until: Date): Promise<void> {
  await db
    .updateTable('notify_pacing')
    .set({ next_at: toDbTime(until) })
    .where('channel', '=', channel)
    .where('next_at', '<', toDbTime(until))
    .execute();
}

/** Claims the channel's other waiting notifications to the same recipients (status `merged` into `row`). */
async function mergeWaiting(deps: DeliveryDeps, row: Row, now: Date, max: number): Promise<{ id: number; alerts: NotifiedAlert[] }[]> {
  const db = deps.database.db;
  const at = toDbTime(now);
  const waiting = await db
    .selectFrom('notify_outbox')
    .select(['id'])
    .where('channel', '=', row.channel)
    .where('recipients', '=', row.recipients)
    .where('status', 'in', ['pending', 'queued'])
    .where('id', '!=', row.id)
    .orderBy('id')
    .limit(max - 1)
    .execute();
  if (waiting.length === 0) return [];
  await db
    .updateTable('notify_outbox')
    .set({ status: 'merged', merged_into: row.id, updated_at: at })
    .where(
      'id',
      'in',
      waiting.map((w) => w.id),
    )
    .where('status', 'in', ['pending', 'queued'])
    .execute();
  const mine = (await db.selectFrom('notify_outbox').selectAll().where('merged_into', '=', row.id).where('status', '=', 'merged').execute()) as Row[];
  const out: { id: number; alerts: NotifiedAlert[] }[] = [];
  for (const m of mine) {
    const alerts = await stillToAnnounce(deps, m, now);
    if (alerts.length === 0) await finish(db, m.id, { status: 'cancelled', merged_into: null, last_error: 'acknowledged or silenced before delivery', updated_at: at });
    else out.push({ id: m.id, alerts });
  }
  return out;
}

/** Records a failed attempt and decides: retry after a backoff, wait out a rate limit, or dead. */
async function failed(deps: DeliveryDeps, policy: DeliveryPolicy, row: Row, merged: number[], e: unknown, now: Date, durationMs: number): Promise<DeliveryOutcome> {
  const db = deps.database.db;
  const at = toDbTime(deps.clock.now());
  const err = e instanceof AppError ? e : undefined;
  const details = (err?.details ?? {}) as { providerCode?: unknown; retryAfterMs?: unknown; delivered?: unknown };
  const providerCode = details.providerCode === undefined ? null : String(details.providerCode).slice(0, 64);
  const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
  let outcome: DeliveryOutcome;
  let set: Updateable<NotifyOutboxTable>;
  if (err?.code === 'RATE_LIMITED') {
    const wait = typeof details.retryAfterMs === 'number' && details.retryAfterMs > 0 ? details.retryAfterMs : 60_000;
    const until = new Date(now.getTime() + wait);
    await holdChannel(db, row.channel, until);
    // a provider's throttling is not the notification's fault: it does not spend an attempt
    outcome = 'rate_limited';
    set = { status: 'pending', attempts: row.attempts - 1, next_attempt_at: toDbTime(until) };
  } else if (err?.code === 'INVALID' || row.attempts >= policy.maxAttempts) {
    outcome = 'dead';
    set = { status: 'dead' };
  } else {
    outcome = 'retry';
    set = { status: 'pending', next_attempt_at: toDbTime(new Date(now.getTime() + backoffMs(policy, row.attempts))) };
  }
  // some recipients were reached (voice calls one number at a time): the retry goes to the others only
  if (outcome !== 'dead' && Array.isArray(details.delivered) && details.delivered.length) {
    const reached = new Set(details.delivered.map(String));
    const rest = (JSON.parse(row.recipients) as string[]).filter((r) => !reached.has(r));
    if (rest.length) set = { ...set, recipients: JSON.stringify(rest) };
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('notify_attempts')
      .values({
        outbox_id: row.id,
        channel: row.channel,
        attempt: row.attempts,
        started_at: toDbTime(now),
        duration_ms: durationMs,
        outcome: outcome === 'dead' ? 'failed' : outcome === 'rate_limited' ? 'rate_limited' : 'retry',
        provider_code: providerCode,
        error: message,
        message_id: null,
        merged: merged.length,
      })
      .execute();
    await finish(trx, row.id, { ...set, claimed_until: null, last_error: message, provider_code: providerCode, updated_at: at });
    // what was merged into it waits for the next attempt on its own
    if (merged.length)
      await trx
        .updateTable('notify_outbox')
        .set({ status: 'pending', merged_into: null, next_attempt_at: set.next_attempt_at ?? at, updated_at: at })
        .where('id', 'in', merged)
        .where('status', '=', 'merged')
        .execute();
  });
  const log = outcome === 'dead' ? deps.log.error.bind(deps.log) : deps.log.warn.bind(deps.log);
  log(
    { outbox: row.id, channel: row.channel, attempt: row.attempts, outcome, providerCode, error: message },
    outcome === 'dead' ? 'notification failed for good (dead letter)' : 'notification attempt failed',
  );
  return outcome;
}

async function finish(x: Executor, id: number, set: Updateable<NotifyOutboxTable>): Promise<void> {
  await x.updateTable('notify_outbox').set(set).where('id', '=', id).execute();
}
