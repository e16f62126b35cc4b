import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CHECKLIST_ITEMS } from '../../i18n/incidentText.js';
import type { Lang } from '../../i18n/messages.js';
import type { AuditLog } from '../../services/system/contract.js';
import type { Clock } from '../../infra/clock.js';
import '../../services/requestState.js';
import {
  acknowledgeIncident,
  classifyIncident,
  getIncident,
  type IncidentDeps,
  listIncidents,
  openIncident,
  resolveIncident,
  tickChecklist,
  transitionIncident,
  writePostmortem,
} from './incidents.js';
import { INCIDENT_TYPES, SEVERITIES, STATUSES, type IncidentStatus } from './lifecycle.js';

const lit = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const Id = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) }, { additionalProperties: false });
const Note = Type.Optional(Type.String({ maxLength: 2000 }));
const LangQuery = Type.Object({ lang: Type.Optional(lit(['zh-CN', 'en'])) }, { additionalProperties: false });
const NullableString = Type.Union([Type.String(), Type.Null()]);

/** An incident as listed (model.ts IncidentSummary; times ISO 8601). */
const IncidentSummarySchema = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  severity: Type.Enum([...SEVERITIES]),
  status: Type.Enum([...STATUSES]),
  type: Type.Union([Type.Enum([...INCIDENT_TYPES]), Type.Null()]),
  source: Type.String(),
  alertName: NullableString,
  summary: NullableString,
  createdBy: Type.String(),
  detectedAt: Type.String(),
  acknowledgedAt: NullableString,
  acknowledgedBy: NullableString,
  recoveredAt: NullableString,
  resolvedBy: NullableString,
  closeProposedAt: NullableString,
  postmortemAt: NullableString,
  ttaSeconds: Type.Union([Type.Number(), Type.Null()]),
  ttrSeconds: Type.Union([Type.Number(), Type.Null()]),
});
const SeverityStats = Type.Object({
  count: Type.Integer(),
  open: Type.Integer(),
  mttaSeconds: Type.Union([Type.Number(), Type.Null()]),
  mttrSeconds: Type.Union([Type.Number(), Type.Null()]),
});
const IncidentListSchema = Type.Object({
  items: Type.Array(IncidentSummarySchema),
  stats: Type.Object(Object.fromEntries(SEVERITIES.map((s) => [s, SeverityStats])) as Record<(typeof SEVERITIES)[number], typeof SeverityStats>),
});
/** One incident with its timeline, checklist and runbook (model.ts IncidentDetail). */
const IncidentDetailSchema = Type.Object({
  ...IncidentSummarySchema.properties,
  impact: NullableString,
  causes: NullableString,
  actions: NullableString,
  allowedNext: Type.Array(Type.Enum([...STATUSES])),
  canResolve: Type.Boolean(),
  timeline: Type.Array(Type.Object({ at: Type.String(), kind: Type.String(), actor: Type.String(), from: NullableString, to: NullableString, message: NullableString })),
  checklist: Type.Array(Type.Object({ item: Type.String(), label: Type.String(), done: Type.Boolean(), doneBy: NullableString, doneAt: NullableString })),
  suggestions: Type.Array(Type.Object({ command: Type.Optional(Type.String()), text: Type.String() })),
});

/**
 * /api/ops/incidents — the incident lifecycle over HTTP (SPEC INC-1…3): reads need `ops:read`,
 * every action `ops:incidents`; each action is audited in its transaction by the core function.
 */
export const incidentRoutes =
  (deps: { audit: AuditLog; clock: Clock }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const ctx = (req: FastifyRequest): IncidentDeps => ({ database: req.services.database, audit: deps.audit, clock: deps.clock });
    const langOf = (req: FastifyRequest): Lang => ((req.query as { lang?: Lang } | undefined)?.lang === 'en' ? 'en' : 'zh-CN');

    r.get(
      '/incidents',
      {
        config: { permission: 'ops:read' },
        schema: {
          querystring: Type.Object({ status: Type.Optional(lit([...STATUSES, 'open'])), severity: Type.Optional(lit(SEVERITIES)) }, { additionalProperties: false }),
          response: { 200: IncidentListSchema },
        },
      },
      async (req) => listIncidents(req.services.database, req.query as never),
    );
    r.get('/incidents/:id', { config: { permission: 'ops:read' }, schema: { params: Id, querystring: LangQuery, response: { 200: IncidentDetailSchema } } }, async (req) =>
      getIncident(req.services.database, Number(req.params.id), langOf(req)),
    );

    r.post(
      '/incidents',
      {
        config: { permission: 'ops:incidents' },
        schema: {
          body: Type.Object(
            { title: Type.String({ minLength: 1, maxLength: 255 }), severity: lit(SEVERITIES), summary: Type.Optional(Type.String({ maxLength: 4000 })) },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => reply.status(201).send(await openIncident(ctx(req), req.actor, req.body as never)),
    );
    const NoteBody = Type.Object({ note: Note }, { additionalProperties: false });
    r.post('/incidents/:id/ack', { config: { permission: 'ops:incidents' }, schema: { params: Id, body: Type.Optional(NoteBody) } }, async (req) =>
      acknowledgeIncident(ctx(req), req.actor, Number(req.params.id), req.body?.note),
    );
    r.post(
      '/incidents/:id/classify',
      { config: { permission: 'ops:incidents' }, schema: { params: Id, body: Type.Object({ type: lit(INCIDENT_TYPES), note: Note }, { additionalProperties: false }) } },
      async (req) => classifyIncident(ctx(req), req.actor, Number(req.params.id), req.body.type as never, req.body.note),
    );
    r.post(
      '/incidents/:id/transition',
      { config: { permission: 'ops:incidents' }, schema: { params: Id, body: Type.Object({ to: lit(STATUSES), note: Note }, { additionalProperties: false }) } },
      async (req) => transitionIncident(ctx(req), req.actor, Number(req.params.id), req.body.to as IncidentStatus, req.body.note),
    );
    r.post(
      '/incidents/:id/resolve',
      { config: { permission: 'ops:incidents' }, schema: { params: Id, body: Type.Object({ confirm: Type.Boolean(), note: Note }, { additionalProperties: false }) } },
      async (req) => resolveIncident(ctx(req), req.actor, Number(req.params.id), req.body),
    );
    r.post(
      '/incidents/:id/checklist',
      {
        config: { permission: 'ops:incidents' },
        schema: { params: Id, body: Type.Object({ item: lit(CHECKLIST_ITEMS), done: Type.Boolean() }, { additionalProperties: false }) },
      },
      async (req) => tickChecklist(ctx(req), req.actor, Number(req.params.id), req.body.item, req.body.done),
    );
    r.post(
      '/incidents/:id/postmortem',
      {
        config: { permission: 'ops:incidents' },
        schema: {
          params: Id,
          body: Type.Object(
            {
              impact: Type.Optional(Type.String({ maxLength: 20000 })),
              causes: Type.Optional(Type.String({ maxLength: 20000 })),
              actions: Type.Optional(Type.String({ maxLength: 20000 })),
              lang: Type.Optional(lit(['zh-CN', 'en'])),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => {
        const { lang, ...input } = req.body;
        return writePostmortem(ctx(req), req.actor, Number(req.params.id), input, (lang as Lang | undefined) ?? 'zh-CN');
      },
    );
  };
