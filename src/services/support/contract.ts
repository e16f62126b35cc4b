import { Type, type Static } from '@fastify/type-provider-typebox';
import type { AlertsTable } from '../../infra/db/schema.js';
import type { ChannelType } from '../../infra/notify/channel.js';

/**
 * The support module's contract (SPEC PLAT-6, port 8005 alone): alerts received from Alertmanager
 * and their route schemas (/api/support, /api/ops/alerts). It owns the tables `alerts` and
 * `alert_events`.
 */
export type AlertSeverity = AlertsTable['severity'];
export type AlertStatus = AlertsTable['status'];

/** One new state of an alert, handed to `onAlert` after it is stored (the incidents module opens or proposes closing one). */
export interface AlertChange {
  status: AlertStatus;
  fingerprint: string;
  name: string;
  severity: AlertSeverity;
  summary?: string;
  /** ISO 8601 */
  startsAt: string;
}

export interface Alert {
  fingerprint: string;
  name: string;
  severity: AlertSeverity;
  status: AlertStatus;
  summary: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string | null;
  /** ISO 8601 */
  startsAt: string;
  /** ISO 8601; null while firing. */
  endsAt: string | null;
  updatedAt: string;
  /** ISO 8601; set once a person acknowledged the current episode (its notifications stop). */
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface ReceiveResult {
  /** Alerts in the payload. */
  received: number;
  /** Notifications not seen before (0 for a repeated delivery). */
  changed: number;
  /** Set when the database was down: the payload waits on local disk and was notified directly. */
  spooled?: true;
}

export interface AlertService {
  /** Stores an Alertmanager webhook (v4) payload; idempotent by fingerprint + startsAt + status. */
  receiveAlertmanager(payload: AlertmanagerPayload, options?: { sentKeys?: readonly string[] }): Promise<ReceiveResult>;
  list(query: { status?: AlertStatus; severity?: AlertSeverity }): Promise<Alert[]>;
}

const Labels = Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 4096 }), { maxProperties: 64 });
const Time = Type.String({ format: 'date-time' });
const Status = Type.Union([Type.Literal('firing'), Type.Literal('resolved')]);

/** Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export const AlertmanagerPayload = Type.Object({
  version: Type.Literal('4'),
  groupKey: Type.String({ maxLength: 4096 }),
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  status: Status,
  receiver: Type.String({ maxLength: 255 }),
  groupLabels: Labels,
  commonLabels: Labels,
  commonAnnotations: Labels,
  externalURL: Type.String({ maxLength: 2048 }),
  alerts: Type.Array(
    Type.Object({
      status: Status,
      labels: Labels,
      annotations: Labels,
      startsAt: Time,
      endsAt: Time,
      generatorURL: Type.String({ maxLength: 2048 }),
      fingerprint: Type.String({ pattern: '^[0-9a-zA-Z]{1,64}$' }),
    }),
    { maxItems: 1000 },
  ),
});
export type AlertmanagerPayload = Static<typeof AlertmanagerPayload>;

/**
 * The receiver's query: deploy/alertmanager/alertmanager.yml names the channels of each severity's
 * receiver (`?channels=phone,sms,email`); accepted and validated here, used once channels exist.
 */
export const AlertmanagerQuery = Type.Object({ channels: Type.Optional(Type.String({ pattern: '^[a-z]{1,32}(,[a-z]{1,32}){0,15}$' })) }, { additionalProperties: false });

export const AlertsQuery = Type.Object(
  {
    status: Type.Optional(Status),
    severity: Type.Optional(Type.Union([Type.Literal('critical'), Type.Literal('major'), Type.Literal('minor')])),
  },
  { additionalProperties: false },
);

/** GET /api/support/notify/outbox */
export const OutboxQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(['pending', 'queued', 'sending', 'sent', 'merged', 'cancelled', 'dead'].map((s) => Type.Literal(s)))),
    fingerprint: Type.Optional(Type.String({ pattern: '^[0-9a-zA-Z]{1,64}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export const NotificationId = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) }, { additionalProperties: false });
export const AlertFingerprint = Type.Object({ fingerprint: Type.String({ pattern: '^[0-9a-zA-Z]{1,64}$' }) }, { additionalProperties: false });
// ---- Notification center configuration (issue 11 items 1, 2, 5): channels, contacts, on-call groups, routes, silences ----

/** Shown in place of every secret field's value: a secret is never returned. */
export const SECRET_MASK = '******';
/** Names a stored channel cannot take: the built-in channels (`email` from MCP_SMTP_URL, `log` the app log). */
export const BUILTIN_CHANNELS = ['email', 'log'] as const;
export const CHANNEL_NAME_PATTERN = '^[a-z0-9-]{1,64}$';
export const SEVERITIES = ['critical', 'major', 'minor'] as const;

/** A stored channel as the API shows it: its secret fields masked, `secretsSet` naming those that hold a value. */
export interface ChannelView {
  name: string;
  type: ChannelType;
  enabled: boolean;
  config: Record<string, unknown>;
  secretsSet: string[];
  /** Set when the stored secrets cannot be decrypted (MCP_NOTIFY_KEY changed): enter them again with PATCH. */
  secretsUnreadable?: true;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface ChannelInput {
  name: string;
  type: ChannelType;
  /** Every field, secret ones included; secret ones are encrypted at rest. */
  config: Record<string, unknown>;
  enabled?: boolean;
}

/** PATCH: an omitted field keeps its value (secrets too); a field set to null is cleared; `******` keeps a secret. */
export interface ChannelPatch {
  config?: Record<string, unknown>;
  enabled?: boolean;
}

export interface Contact {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ContactInput {
  name: string;
  email?: string | null;
  phone?: string | null;
}

export interface ContactGroup {
  name: string;
  /** Contact names */
  members: string[];
  createdAt: string;
}

export interface NotifyRouteView {
  severity: AlertSeverity;
  /** `stored`, or `default` (manual §3.1: every enabled channel of `channelTypes`, to every contact). */
  source: 'stored' | 'default';
  channels: string[];
  groups: string[];
  /** Only for the default route: the channel types of manual §3.1. */
  channelTypes?: ChannelType[];
  escalateAfterSeconds: number | null;
  escalateMax: number;
  updatedBy: string | null;
  updatedAt: string | null;
}

export interface NotifyRouteInput {
  channels: string[];
  groups: string[];
  escalateAfterSeconds?: number | null;
  escalateMax?: number;
}

export interface SilenceMatcher {
  /** A label name (`alertname` is the alert's name). */
  name: string;
  value: string;
  /** The value is a regular expression matched against the whole label value. */
  regex?: boolean;
}

export type SilenceKind = 'silence' | 'maintenance';

export interface Silence {
  id: number;
  kind: SilenceKind;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  expiredAt: string | null;
  /** `pending` (starts later), `active`, or `expired` (ended or expired by hand). */
  state: 'pending' | 'active' | 'expired';
}

export interface SilenceInput {
  kind?: SilenceKind;
  matchers: SilenceMatcher[];
  /** ISO 8601; default now. */
  startsAt?: string;
  /** ISO 8601; after startsAt, at most 30 days later (a maintenance window may be longer). */
  endsAt: string;
  comment: string;
}

const lit = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const ChannelTypeSchema = lit(['email', 'sms', 'voice', 'dingtalk', 'wecom', 'feishu', 'webhook', 'log'] as const);
const ChannelConfig = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown(), { maxProperties: 64 });
const SeverityLit = lit(SEVERITIES);

export const ChannelNameParams = Type.Object({ name: Type.String({ pattern: CHANNEL_NAME_PATTERN }) }, { additionalProperties: false });
export const ChannelCreateBody = Type.Object(
  { name: Type.String({ pattern: CHANNEL_NAME_PATTERN }), type: ChannelTypeSchema, config: ChannelConfig, enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const ChannelPatchBody = Type.Object({ config: Type.Optional(ChannelConfig), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
export const ChannelTestBody = Type.Object({ lang: Type.Optional(lit(['zh-CN', 'en'] as const)) }, { additionalProperties: false });

const ContactName = Type.String({ pattern: '^[^\\s].{0,63}$' });
const Email = Type.Union([Type.String({ maxLength: 255 }), Type.Null()]);
const Phone = Type.Union([Type.String({ maxLength: 32 }), Type.Null()]);
export const IdParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$' }) }, { additionalProperties: false });
export const ContactCreateBody = Type.Object({ name: ContactName, email: Type.Optional(Email), phone: Type.Optional(Phone) }, { additionalProperties: false });
export const ContactPatchBody = Type.Object(
  { name: Type.Optional(ContactName), email: Type.Optional(Email), phone: Type.Optional(Phone) },
  { additionalProperties: false, minProperties: 1 },
);

export const GroupNameParams = Type.Object({ name: Type.String({ pattern: CHANNEL_NAME_PATTERN }) }, { additionalProperties: false });
export const GroupCreateBody = Type.Object(
  { name: Type.String({ pattern: CHANNEL_NAME_PATTERN }), members: Type.Optional(Type.Array(ContactName, { maxItems: 500 })) },
  { additionalProperties: false },
);
export const GroupMembersBody = Type.Object({ members: Type.Array(ContactName, { maxItems: 500 }) }, { additionalProperties: false });

export const SeverityParams = Type.Object({ severity: SeverityLit }, { additionalProperties: false });
export const RouteBody = Type.Object(
  {
    channels: Type.Array(Type.String({ pattern: CHANNEL_NAME_PATTERN }), { maxItems: 32 }),
    groups: Type.Array(Type.String({ pattern: CHANNEL_NAME_PATTERN }), { maxItems: 32 }),
    escalateAfterSeconds: Type.Optional(Type.Union([Type.Integer({ minimum: 60, maximum: 86400 }), Type.Null()])),
    escalateMax: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  },
  { additionalProperties: false },
);

const Matcher = Type.Object(
  { name: Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,127}$' }), value: Type.String({ maxLength: 1024 }), regex: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const SilenceCreateBody = Type.Object(
  {
    kind: Type.Optional(lit(['silence', 'maintenance'] as const)),
    matchers: Type.Array(Matcher, { maxItems: 32 }),
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.String({ format: 'date-time' }),
    comment: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);
export const SilencesQuery = Type.Object({ all: Type.Optional(lit(['true', 'false'] as const)) }, { additionalProperties: false });

const StringMap = Type.Object({}, { additionalProperties: Type.String() });

/** One stored alert as listed (GET /api/ops/alerts). */
export const AlertSchema = Type.Object({
  fingerprint: Type.String(),
  name: Type.String(),
  severity: Type.Enum(['critical', 'major', 'minor']),
  status: Type.Enum(['firing', 'resolved']),
  summary: Type.Union([Type.String(), Type.Null()]),
  labels: StringMap,
  annotations: StringMap,
  generatorURL: Type.Union([Type.String(), Type.Null()]),
  startsAt: Type.String({ description: 'ISO 8601' }),
  endsAt: Type.Union([Type.String(), Type.Null()], { description: 'ISO 8601; null while firing' }),
  updatedAt: Type.String(),
  acknowledgedAt: Type.Union([Type.String(), Type.Null()], { description: 'ISO 8601; null until acknowledged' }),
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
});
