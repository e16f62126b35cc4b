import { invalid, notFound } from '../../errors/appError.js';
import { CHECKLIST_ITEMS, incidentText } from '../../i18n/incidentText.js';
import type { Lang } from '../../i18n/messages.js';
import type { Clock } from '../../infra/clock.js';
import type { Database, Executor } from '../../infra/db/database.js';
import type { IncidentsTable } from '../../infra/db/schema.js';
import { fromDbTime, isoTime, toDbTime } from '../../infra/db/time.js';
import { isUniqueViolation } from '../../infra/db/uniqueViolation.js';
import { type Actor, systemActor } from '../../services/actor.js';
import type { AuditLog } from '../../services/system/contract.js';
import { checkResolve, checkTransition, type IncidentStatus, type IncidentType, isOpen, nextStates, OPEN_STATUSES, SEVERITIES, type Severity } from './lifecycle.js';
import type { IncidentDetail, IncidentStats, IncidentSummary } from './model.js';
import { renderPostmortem } from './postmortem.js';

/**
 * Incident operations (SPEC INC-1…3, manual §4): each a plain function over narrow deps. Every
 * change writes its timeline event and its audit row (`ops.incident.<verb>`) in one transaction.
 */
export interface IncidentDeps {
  database: Database;
  audit: AuditLog;
  clock: Clock;
}

type Row = Omit<IncidentsTable, 'id'> & { id: number };

export type { IncidentDetail, IncidentEvent, IncidentStats, IncidentSummary } from './model.js';

const seconds = (from: string, to: string | null) => (to === null ? null : Math.round((fromDbTime(to).getTime() - fromDbTime(from).getTime()) / 1000));

function summary(r: Row): IncidentSummary {
  return {
    id: r.id,
    title: r.title,
    severity: r.severity as Severity,
    status: r.status as IncidentStatus,
    type: r.type as IncidentType | null,
    source: r.source,
    alertName: r.alert_name,
    summary: r.summary,
    createdBy: r.created_by,
    detectedAt: isoTime(r.detected_at),
    acknowledgedAt: isoTime(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    recoveredAt: isoTime(r.recovered_at),
    resolvedBy: r.resolved_by,
    closeProposedAt: isoTime(r.close_proposed_at),
    postmortemAt: isoTime(r.postmortem_at),
    ttaSeconds: seconds(r.detected_at, r.acknowledged_at),
    ttrSeconds: seconds(r.detected_at, r.recovered_at),
  };
}

async function load(x: Executor, id: number): Promise<Row> {
  const row = await x.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`incident ${id}`);
  return row as Row;
}

interface Change {
  verb: string;
  event: { kind: string; from?: string | null; to?: string | null; message?: string | null };
  set?: Partial<Omit<IncidentsTable, 'id'>>;
  details?: Record<string, unknown>;
  /** Further writes of the change, in its transaction. */
  apply?: (trx: Executor, now: string) => Promise<void>;
}

/** One change of an incident: its row, its timeline event and its audit row, in one transaction. */
async function change(deps: IncidentDeps, actor: Actor, id: number, decide: (row: Row) => Change): Promise<IncidentSummary> {
  const now = toDbTime(deps.clock.now());
  return deps.database.db.transaction().execute(async (trx) => {
    const row = await load(trx, id);
    const c = decide(row);
    await trx
      .updateTable('incidents')
      .set({ ...c.set, updated_at: now })
      .where('id', '=', id)
      .execute();
    await c.apply?.(trx, now);
    await addEvent(trx, id, now, actor, c.event);
    await deps.audit.record({ ...actor, action: `ops.incident.${c.verb}`, target: `incident:${id}`, result: 'success', details: { from: row.status, ...c.details } }, trx);
    return summary(await load(trx, id));
  });
}

async function addEvent(x: Executor, id: number, at: string, actor: Actor, e: Change['event']): Promise<void> {
  await x
    .insertInto('incident_events')
    .values({ incident_id: id, at, kind: e.kind, actor: actor.actor, from_status: e.from ?? null, to_status: e.to ?? null, message: e.message ?? null })
    .execute();
}

export interface OpenInput {
  title: string;
  severity: Severity;
  summary?: string;
  /** Default: now. */
  detectedAt?: Date;
}

/** Opens an incident by hand (source `manual`), in state `detected`. */
export async function openIncident(deps: IncidentDeps, actor: Actor, input: OpenInput): Promise<IncidentSummary> {
  return deps.database.db.transaction().execute((trx) => insertIncident(deps, trx, actor, { ...input, source: 'manual' }));
}

async function insertIncident(
  deps: IncidentDeps,
  trx: Executor,
  actor: Actor,
  input: OpenInput & { source: 'manual' | 'alert'; alertName?: string; fingerprint?: string },
): Promise<IncidentSummary> {
  if (!SEVERITIES.includes(input.severity)) throw invalid(`severity must be one of ${SEVERITIES.join(', ')}`);
  const now = toDbTime(deps.clock.now());
  const detected = input.detectedAt ? toDbTime(input.detectedAt) : now;
  const res = await trx
    .insertInto('incidents')
    .values({
      title: input.title,
      severity: input.severity,
      status: 'detected',
      type: null,
      source: input.source,
      alert_name: input.alertName ?? null,
      open_group: input.alertName ?? null,
      summary: input.summary ?? null,
      created_by: actor.actor,
      detected_at: detected,
      acknowledged_at: null,
      acknowledged_by: null,
      recovered_at: null,
      resolved_by: null,
      close_proposed_at: null,
      impact: null,
      causes: null,
      actions: null,
      postmortem_at: null,
      updated_at: now,
    })
    .executeTakeFirstOrThrow();
  const id = Number(res.insertId);
  if (input.fingerprint) await trx.insertInto('incident_alerts').values({ incident_id: id, fingerprint: input.fingerprint, added_at: now }).execute();
  await addEvent(trx, id, detected, actor, { kind: 'detected', to: 'detected', message: input.summary ?? input.title });
  await deps.audit.record(
    {
      ...actor,
      action: 'ops.incident.open',
      target: `incident:${id}`,
      result: 'success',
      details: { severity: input.severity, source: input.source, alert: input.alertName, fingerprint: input.fingerprint },
    },
    trx,
  );
  return summary(await load(trx, id));
}

/** Acknowledge: a person confirms the fault (→ `confirmed`); MTTA ends here. */
export function acknowledgeIncident(deps: IncidentDeps, actor: Actor, id: number, note?: string): Promise<IncidentSummary> {
  return change(deps, actor, id, (row) => {
    checkTransition(row.status as IncidentStatus, 'confirmed');
    const at = toDbTime(deps.clock.now());
    return {
      verb: 'ack',
      event: { kind: 'acknowledged', from: row.status, to: 'confirmed', message: note },
      set: { status: 'confirmed', acknowledged_at: at, acknowledged_by: actor.actor },
      details: { to: 'confirmed' },
      // its alerts are acknowledged with it: no more notifications or escalations for them
      apply: async (trx) => {
        const fps = await trx.selectFrom('incident_alerts').select('fingerprint').where('incident_id', '=', id).execute();
        if (fps.length)
          await trx
            .updateTable('alerts')
            .set({ acknowledged_at: at, acknowledged_by: actor.actor })
            .where(
              'fingerprint',
              'in',
              fps.map((f) => f.fingerprint),
            )
            .where('status', '=', 'firing')
            .where('acknowledged_at', 'is', null)
            .execute();
      },
    };
  });
}

/** Classify the fault (application | database | network | other) → `classified`. */
export function classifyIncident(deps: IncidentDeps, actor: Actor, id: number, type: IncidentType, note?: string): Promise<IncidentSummary> {
  return change(deps, actor, id, (row) => {
    checkTransition(row.status as IncidentStatus, 'classified');
    return {
      verb: 'classify',
      event: { kind: 'classified', from: row.status, to: 'classified', message: note ? `${type}: ${note}` : type },
      set: { status: 'classified', type },
      details: { to: 'classified', type },
    };
  });
}

/**
 * Any other step of the table: notified, remediating, verifying, recovered. An illegal step is a 409
 * naming the allowed ones; a legal step to `confirmed`, `classified` or `postmortem` is a 400 pointing
 * to the ack, classify or postmortem action, which record who and what.
 */
export function transitionIncident(deps: IncidentDeps, actor: Actor, id: number, to: IncidentStatus, note?: string): Promise<IncidentSummary> {
  return change(deps, actor, id, (row) => {
    checkTransition(row.status as IncidentStatus, to);
    const action = ({ confirmed: 'ack', classified: 'classify', postmortem: 'postmortem' } as Record<string, string>)[to];
    if (action) throw invalid(`use the ${action} action to move to ${to}`, { action });
    const at = toDbTime(deps.clock.now());
    return {
      verb: 'transition',
      event: { kind: 'transition', from: row.status, to, message: note },
      set: { status: to, ...(to === 'recovered' ? { recovered_at: at, resolved_by: actor.actor, open_group: null } : {}) },
      details: { to },
    };
  });
}

/** A person ends the fault from any open state (→ `recovered`); `confirm` must be true. */
export function resolveIncident(deps: IncidentDeps, actor: Actor, id: number, o: { confirm: boolean; note?: string }): Promise<IncidentSummary> {
  if (o.confirm !== true) throw invalid('resolving an incident needs confirm: true');
  return change(deps, actor, id, (row) => {
    checkResolve(row.status as IncidentStatus);
    const at = toDbTime(deps.clock.now());
    return {
      verb: 'resolve',
      event: { kind: 'resolved', from: row.status, to: 'recovered', message: o.note },
      set: {
        status: 'recovered',
        recovered_at: at,
        resolved_by: actor.actor,
        open_group: null,
        acknowledged_at: row.acknowledged_at ?? at,
        acknowledged_by: row.acknowledged_by ?? actor.actor,
      },
      details: { to: 'recovered' },
    };
  });
}

/** Ticks (or unticks) one §4.2 checklist item. */
export function tickChecklist(deps: IncidentDeps, actor: Actor, id: number, item: string, done: boolean): Promise<IncidentSummary> {
  if (!(CHECKLIST_ITEMS as readonly string[]).includes(item)) throw invalid(`unknown checklist item ${item}`, { allowed: [...CHECKLIST_ITEMS] });
  return change(deps, actor, id, () => ({
    verb: 'checklist',
    event: { kind: done ? 'checklist-done' : 'checklist-undone', message: item },
    details: { item, done },
    async apply(trx, now) {
      await trx.deleteFrom('incident_checklist').where('incident_id', '=', id).where('item', '=', item).execute();
      if (done) await trx.insertInto('incident_checklist').values({ incident_id: id, item, done_by: actor.actor, done_at: now }).execute();
    },
  }));
}

/**
 * Writes the postmortem (impact, contributing causes, actions) of a recovered incident and moves it
 * to `postmortem`; a written postmortem may be edited again (without changes it is only read).
 * Returns the Markdown report.
 */
export async function writePostmortem(
  deps: IncidentDeps,
  actor: Actor,
  id: number,
  input: { impact?: string; causes?: string; actions?: string },
  lang: Lang = 'zh-CN',
): Promise<{ incident: IncidentSummary; markdown: string }> {
  // a written postmortem asked for again without changes: read, nothing recorded
  if (input.impact === undefined && input.causes === undefined && input.actions === undefined) {
    const row = await load(deps.database.db, id);
    if (row.status === 'postmortem') return { incident: summary(row), markdown: await postmortemMarkdown(deps.database, id, lang) };
  }
  const incident = await change(deps, actor, id, (row) => {
    if (row.status !== 'postmortem') checkTransition(row.status as IncidentStatus, 'postmortem');
    return {
      verb: 'postmortem',
      event: { kind: 'postmortem', from: row.status, to: 'postmortem' },
      set: {
        status: 'postmortem',
        postmortem_at: toDbTime(deps.clock.now()),
        ...(input.impact !== undefined ? { impact: input.impact } : {}),
        ...(input.causes !== undefined ? { causes: input.causes } : {}),
        ...(input.actions !== undefined ? { actions: input.actions } : {}),
      },
      details: { to: 'postmortem' },
    };
  });
  return { incident, markdown: await postmortemMarkdown(deps.database, id, lang) };
}

/** The Markdown report of an incident as it stands (headings in `lang`). */
export async function postmortemMarkdown(database: Database, id: number, lang: Lang = 'zh-CN'): Promise<string> {
  return renderPostmortem(await getIncident(database, id, lang), lang);
}

export async function getIncident(database: Database, id: number, lang: Lang = 'zh-CN'): Promise<IncidentDetail> {
  const db = database.db;
  const row = await load(db, id);
  const events = await db.selectFrom('incident_events').selectAll().where('incident_id', '=', id).orderBy('id').execute();
  const ticked = await db.selectFrom('incident_checklist').selectAll().where('incident_id', '=', id).execute();
  const t = incidentText(lang);
  const status = row.status as IncidentStatus;
  return {
    ...summary(row),
    impact: row.impact,
    causes: row.causes,
    actions: row.actions,
    allowedNext: [...nextStates(status)],
    canResolve: isOpen(status),
    timeline: events.map((e) => ({ at: isoTime(e.at), kind: e.kind, actor: e.actor, from: e.from_status, to: e.to_status, message: e.message })),
    checklist: CHECKLIST_ITEMS.map((item) => {
      const d = ticked.find((x) => x.item === item);
      return { item, label: t.checklist[item], done: d !== undefined, doneBy: d?.done_by ?? null, doneAt: d ? isoTime(d.done_at) : null };
    }),
    suggestions: t.runbooks[(row.type as IncidentType | null) ?? 'unclassified'],
  };
}

export async function listIncidents(
  database: Database,
  q: { status?: IncidentStatus | 'open'; severity?: Severity } = {},
): Promise<{ items: IncidentSummary[]; stats: IncidentStats }> {
  let query = database.db.selectFrom('incidents').selectAll().orderBy('id', 'desc');
  if (q.status === 'open') query = query.where('status', 'in', [...OPEN_STATUSES]);
  else if (q.status) query = query.where('status', '=', q.status);
  if (q.severity) query = query.where('severity', '=', q.severity);
  const items = ((await query.execute()) as Row[]).map(summary);
  return { items, stats: await incidentStats(database) };
}

/** MTTA (detected → acknowledged) and MTTR (detected → recovered) per severity, over every incident. */
export async function incidentStats(database: Database): Promise<IncidentStats> {
  const rows = await database.db.selectFrom('incidents').select(['severity', 'status', 'detected_at', 'acknowledged_at', 'recovered_at']).execute();
  const mean = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.round(v.reduce((a, b) => a + b, 0) / v.length) : null;
  };
  const out = {} as IncidentStats;
  for (const sev of SEVERITIES) {
    const of = rows.filter((r) => r.severity === sev);
    out[sev] = {
      count: of.length,
      open: of.filter((r) => isOpen(r.status as IncidentStatus)).length,
      mttaSeconds: mean(of.map((r) => seconds(r.detected_at, r.acknowledged_at))),
      mttrSeconds: mean(of.map((r) => seconds(r.detected_at, r.recovered_at))),
    };
  }
  return out;
}

export interface AlertForIncident {
  fingerprint: string;
  name: string;
  severity: 'critical' | 'major' | 'minor';
  summary?: string;
  startsAt: Date | string;
}

/**
 * SPEC INC-3: a critical or major alert opens an incident (actor `system`); an alert — or another
 * alert of the same name — already tied to an open incident adds a timeline event to it instead.
 * Minor alerts open nothing (undefined).
 */
export async function openIncidentFromAlert(deps: IncidentDeps, alert: AlertForIncident): Promise<{ incident: IncidentSummary; opened: boolean } | undefined> {
  if (alert.severity !== 'critical' && alert.severity !== 'major') return undefined;
  const startsAt = new Date(alert.startsAt);
  if (Number.isNaN(startsAt.getTime())) throw invalid(`alert ${alert.fingerprint}: startsAt is not a time`);
  try {
    return await groupOrOpen(deps, alert, startsAt);
  } catch (e) {
    // a concurrent alert of the same name opened the incident first (unique open_group): join it
    if (isUniqueViolation(e)) return groupOrOpen(deps, alert, startsAt);
    throw e;
  }
}

async function groupOrOpen(deps: IncidentDeps, alert: AlertForIncident, startsAt: Date): Promise<{ incident: IncidentSummary; opened: boolean }> {
  const actor = systemActor;
  return deps.database.db.transaction().execute(async (trx) => {
    const byFingerprint = await trx
      .selectFrom('incident_alerts')
      .innerJoin('incidents', 'incidents.id', 'incident_alerts.incident_id')
      .select('incidents.id')
      .where('incident_alerts.fingerprint', '=', alert.fingerprint)
      .where('incidents.status', 'in', [...OPEN_STATUSES])
      .orderBy('incidents.id', 'desc')
      .executeTakeFirst();
    const byName = byFingerprint ?? (await trx.selectFrom('incidents').select('id').where('open_group', '=', alert.name).orderBy('id', 'desc').executeTakeFirst());
    if (!byName) {
      const incident = await insertIncident(deps, trx, actor, {
        title: alert.name,
        severity: alert.severity,
        summary: alert.summary,
        detectedAt: startsAt,
        source: 'alert',
        alertName: alert.name,
        fingerprint: alert.fingerprint,
      });
      return { incident, opened: true };
    }
    const id = byName.id;
    const now = toDbTime(deps.clock.now());
    const known = await trx.selectFrom('incident_alerts').select('fingerprint').where('incident_id', '=', id).where('fingerprint', '=', alert.fingerprint).executeTakeFirst();
    if (!known) await trx.insertInto('incident_alerts').values({ incident_id: id, fingerprint: alert.fingerprint, added_at: now }).execute();
    // a firing alert withdraws an earlier proposal to close
    await trx.updateTable('incidents').set({ close_proposed_at: null, updated_at: now }).where('id', '=', id).execute();
    await addEvent(trx, id, now, actor, { kind: 'alert-firing', message: `${alert.name} [${alert.fingerprint}]${alert.summary ? `: ${alert.summary}` : ''}` });
    await deps.audit.record(
      { ...actor, action: 'ops.incident.alert', target: `incident:${id}`, result: 'success', details: { fingerprint: alert.fingerprint, alert: alert.name, firing: true } },
      trx,
    );
    return { incident: summary(await load(trx, id)), opened: false };
  });
}

/**
 * SPEC INC-3: a resolved alert proposes closing the open incidents it is tied to (a timeline event
 * and `closeProposedAt`); it never closes them — a person resolves. Returns the incident ids.
 */
export async function alertResolved(deps: IncidentDeps, fingerprint: string): Promise<number[]> {
  const actor = systemActor;
  return deps.database.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('incident_alerts')
      .innerJoin('incidents', 'incidents.id', 'incident_alerts.incident_id')
      .select('incidents.id')
      .where('incident_alerts.fingerprint', '=', fingerprint)
      .where('incidents.status', 'in', [...OPEN_STATUSES])
      .execute();
    const now = toDbTime(deps.clock.now());
    for (const { id } of rows) {
      await trx.updateTable('incidents').set({ close_proposed_at: now, updated_at: now }).where('id', '=', id).execute();
      await addEvent(trx, id, now, actor, { kind: 'close-proposed', message: `alert resolved [${fingerprint}]` });
      await deps.audit.record({ ...actor, action: 'ops.incident.propose-close', target: `incident:${id}`, result: 'success', details: { fingerprint } }, trx);
    }
    return rows.map((r) => r.id);
  });
}

/**
 * §4.1 发现 → 通知: once a notification about one of its alerts went out, an incident still in
 * `detected` moves to `notified` (timeline event naming the channel). Returns the incident ids.
 */
export async function incidentsNotified(deps: IncidentDeps, fingerprints: readonly string[], channel: string): Promise<number[]> {
  if (fingerprints.length === 0) return [];
  const actor = systemActor;
  return deps.database.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('incident_alerts')
      .innerJoin('incidents', 'incidents.id', 'incident_alerts.incident_id')
      .select('incidents.id')
      .distinct()
      .where('incident_alerts.fingerprint', 'in', [...fingerprints])
      .where('incidents.status', '=', 'detected')
      .execute();
    const now = toDbTime(deps.clock.now());
    const moved: number[] = [];
    for (const { id } of rows) {
      const took = await trx.updateTable('incidents').set({ status: 'notified', updated_at: now }).where('id', '=', id).where('status', '=', 'detected').executeTakeFirst();
      if (Number(took.numUpdatedRows) !== 1) continue;
      await addEvent(trx, id, now, actor, { kind: 'notified', from: 'detected', to: 'notified', message: `channel: ${channel}` });
      await deps.audit.record({ ...actor, action: 'ops.incident.notified', target: `incident:${id}`, result: 'success', details: { channel } }, trx);
      moved.push(id);
    }
    return moved;
  });
}
