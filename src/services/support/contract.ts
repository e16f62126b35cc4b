import { Type, type Static } from '@fastify/type-provider-typebox';
import type { AlertsTable } from '../../infra/db/schema.js';

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
}

export interface ReceiveResult {
  /** Alerts in the payload. */
  received: number;
  /** Notifications not seen before (0 for a repeated delivery). */
  changed: number;
}

export interface AlertService {
  /** Stores an Alertmanager webhook (v4) payload; idempotent by fingerprint + startsAt + status. */
  receiveAlertmanager(payload: AlertmanagerPayload): Promise<ReceiveResult>;
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
