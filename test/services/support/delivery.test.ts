import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors/appError.js';
import type { Clock } from '../../../src/infra/clock.js';
import type { NotificationChannel, NotifyMessage, ProviderLimits } from '../../../src/infra/notify/channel.js';
import { createEmailChannel } from '../../../src/infra/notify/emailChannel.js';
import { acknowledgeIncident, getIncident, openIncidentFromAlert } from '../../../src/ops/incidents/incidents.js';
import { systemActor } from '../../../src/services/actor.js';
import { createAlertService } from '../../../src/services/support/alertService.js';
import type { AlertService } from '../../../src/services/support/contract.js';
import { backoffMs, type DeliveryDeps, deliverNotification, pacingInterval } from '../../../src/services/support/delivery.js';
import type { NotificationPlan, Planner } from '../../../src/services/support/outbox.js';
import { escalateDue, relayDue } from '../../../src/services/support/relay.js';
import { alertmanagerPayload } from '../../support/alertmanagerPayload.js';
import { startSmtpServer } from '../../support/smtpServer.js';
import { BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** A clock the test moves. */
function manualClock(start = Date.parse('2026-11-30T02:00:00.000Z')): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

/** A channel that records what it would send and answers as told (a provider's behaviour, for pacing and error mapping). */
function recordingChannel(limits: ProviderLimits = {}, answer: (m: NotifyMessage, n: number) => void = () => undefined) {
  const sent: NotifyMessage[] = [];
  let calls = 0;
  const channel: NotificationChannel = {
    type: 'dingtalk',
    limits,
    async send(m) {
      answer(m, ++calls);
      sent.push(m);
      return { id: `msg-${calls}`, providerCode: '0' };
    },
  };
  return { channel, sent, calls: () => calls };
}

const route =
  (deliveries: NotificationPlan['deliveries'], silenced = false): Planner =>
  async () => ({ silencedBy: silenced ? { id: 1, kind: 'silence' } : null, deliveries });

const firing = (fingerprint: string, severity = '紧急', startsAt = '2026-11-30T01:00:00.000Z', alertname = '数据库不可用') =>
  alertmanagerPayload('firing', { fingerprint, severity, startsAt, alertname });

describe('delivery arithmetic', () => {
  it('paces within every published limit: DingTalk/WeCom 20 a minute, Feishu 100 a minute and 5 a second', () => {
    for (const [perMinute, perSecond] of [
      [20, 1000],
      [100, 5],
    ] as const) {
      const gap = pacingInterval({ perMinute, perSecond });
      // the most messages any 60 s (and 1 s) window can hold at that gap
      expect(Math.floor(60_000 / gap) + 1).toBeLessThanOrEqual(perMinute);
      expect(Math.floor(1_000 / gap) + 1).toBeLessThanOrEqual(perSecond);
    }
    expect(pacingInterval({})).toBe(0);
  });
  it('backs off exponentially, capped', () => {
    const p = { baseDelayMs: 1000, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffMs(p, n, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

describe.each(BACKENDS)('notification delivery (%s)', (backend) => {
  let tp: TestPlatform;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  beforeAll(async () => {
    tp = await startTestPlatform(backend);
    smtp = await startSmtpServer('alerts', 'smtp-pass-1');
  });
  afterAll(async () => {
    await smtp?.close();
    await tp?.close();
  });
  afterEach(async () => {
    const db = tp.platform.database.db;
    for (const t of [
      'notify_outbox',
      'notify_outbox_alerts',
      'notify_attempts',
      'notify_pacing',
      'alerts',
      'alert_events',
      'incident_alerts',
      'incident_events',
      'incidents',
    ] as const)
      await db.deleteFrom(t).execute();
    smtp.mails.length = 0;
  });

  const db = () => tp.platform.database.db;
  const outbox = () => db().selectFrom('notify_outbox').selectAll().orderBy('id').execute();
  const alertsWith = (plan: Planner, clock: Clock = tp.platform.clock): AlertService =>
    createAlertService({ database: tp.platform.database, audit: tp.platform.audit, clock, notify: { plan } });
  const deps = (channel: NotificationChannel, clock: Clock = tp.platform.clock, over: Partial<DeliveryDeps> = {}): DeliveryDeps => ({
    database: tp.platform.database,
    clock,
    log: { warn: () => undefined, error: () => undefined },
    channel: async () => channel,
    silenced: async () => false,
    policy: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 },
    ...over,
  });
  /** Delivers every due notification once (what the relay + workers do), returns the outcomes. */
  const drain = async (d: DeliveryDeps) => {
    const due = await db().selectFrom('notify_outbox').select('id').where('status', 'in', ['pending', 'queued']).orderBy('id').execute();
    const out = [];
    for (const { id } of due) out.push(await deliverNotification(d, id));
    return out;
  };
  const email = () => createEmailChannel({ url: `smtp://alerts:smtp-pass-1@127.0.0.1:${smtp.port}`, timeoutMs: 3000 });

  it('an alert writes its notification in the same transaction; delivered once by e-mail with the Chinese alert name, attempt recorded', async () => {
    const alerts = alertsWith(route([{ channel: 'email', type: 'email', to: ['oncall@example.com'] }]));
    await alerts.receiveAlertmanager(firing('fp0001'));
    const [row] = await outbox();
    expect(row).toMatchObject({ status: 'pending', channel: 'email', kind: 'firing', severity: 'critical' });
    const d = deps(email());
    expect(await deliverNotification(d, row!.id)).toBe('sent');
    // the same message delivered again (the bus redelivers) sends nothing
    expect(await deliverNotification(d, row!.id)).toBe('skipped');
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toContain('数据库不可用');
    expect(smtp.mails[0]!.subject).toContain('紧急');
    expect(smtp.mails[0]!.to).toEqual(['oncall@example.com']);
    const attempts = await db().selectFrom('notify_attempts').selectAll().execute();
    expect(attempts).toMatchObject([{ outbox_id: row!.id, outcome: 'sent', attempt: 1 }]);
    expect((await outbox())[0]).toMatchObject({ status: 'sent' });
  });

  it('the same Alertmanager payload twice writes one notification; concurrent deliveries of one row send once', async () => {
    const alerts = alertsWith(route([{ channel: 'email', type: 'email', to: ['oncall@example.com'] }]));
    await alerts.receiveAlertmanager(firing('fp0002'));
    await alerts.receiveAlertmanager(firing('fp0002'));
    const rows = await outbox();
    expect(rows).toHaveLength(1);
    const d = deps(email());
    const results = await Promise.all([deliverNotification(d, rows[0]!.id), deliverNotification(d, rows[0]!.id), deliverNotification(d, rows[0]!.id)]);
    expect(results.filter((r) => r === 'sent')).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
  });

  it('SMTP down during an alert storm: every notification is retried and delivered once it returns, none twice', async () => {
    const alerts = alertsWith(route([{ channel: 'email', type: 'email', to: ['oncall@example.com'] }]));
    for (let i = 0; i < 12; i++) await alerts.receiveAlertmanager(firing(`storm${i}`, '一般', '2026-11-30T01:00:00.000Z', `告警${i}`));
    const dead = createEmailChannel({ url: 'smtp://alerts:smtp-pass-1@127.0.0.1:1', timeoutMs: 500 });
    const d = deps(dead, tp.platform.clock, { policy: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 10 } });
    expect(new Set(await drain(d))).toEqual(new Set(['retry']));
    const waiting = await outbox();
    expect(waiting.every((r) => r.status === 'pending' && r.attempts === 1 && r.last_error?.includes('SMTP server 127.0.0.1:1'))).toBe(true);
    expect(smtp.mails).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 20));
    // SMTP is back
    expect(new Set(await drain(deps(email())))).toEqual(new Set(['sent']));
    await drain(deps(email()));
    const subjects = smtp.mails.map((m) => m.subject).sort();
    expect(subjects).toHaveLength(12);
    expect(new Set(subjects).size).toBe(12);
    const attempts = await db().selectFrom('notify_attempts').select(['outcome']).execute();
    expect(attempts.filter((a) => a.outcome === 'retry')).toHaveLength(12);
    expect(attempts.filter((a) => a.outcome === 'sent')).toHaveLength(12);
  });

  it('a permanent error (INVALID) goes to the dead letters at once; transient errors after maxAttempts; the provider code is recorded', async () => {
    const alerts = alertsWith(route([{ channel: 'robot', type: 'dingtalk', to: [] }]));
    await alerts.receiveAlertmanager(firing('fp0003'));
    const bad = recordingChannel({}, () => {
      throw new AppError('INVALID', 'DingTalk refused: keywords not in content', { providerCode: '310000' });
    });
    expect(await drain(deps(bad.channel))).toEqual(['dead']);
    const [row] = await outbox();
    expect(row).toMatchObject({ status: 'dead', provider_code: '310000' });
    expect(await db().selectFrom('notify_attempts').select(['outcome', 'provider_code']).execute()).toEqual([{ outcome: 'failed', provider_code: '310000' }]);

    await alerts.receiveAlertmanager(firing('fp0004'));
    const down = recordingChannel({}, () => {
      throw new AppError('UNAVAILABLE', 'robot answered 502', { providerCode: 'http-502' });
    });
    const d = deps(down.channel, tp.platform.clock, { policy: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 5));
      outcomes.push(...(await drain(d)));
    }
    expect(outcomes).toEqual(['retry', 'retry', 'dead']);
  });

  it('a robot is paced to its limit, the backlog is merged into one digest, and a throttled robot is held (its code recorded)', async () => {
    const clock = manualClock();
    const alerts = alertsWith(route([{ channel: 'dingtalk-ops', type: 'dingtalk', to: [] }]), clock);
    for (let i = 0; i < 30; i++) await alerts.receiveAlertmanager(firing(`dt${i}`, '重要', '2026-11-30T01:00:00.000Z', `接口告警${i}`));
    const robot = recordingChannel({ perMinute: 20 });
    const d = deps(robot.channel, clock);
    const first = await drain(d);
    // the first gets the slot and carries everything waiting with it: one message, 30 alerts
    expect(first.filter((o) => o === 'sent')).toHaveLength(1);
    expect(robot.sent).toHaveLength(1);
    expect(robot.sent[0]!.subject).toContain('30');
    const rows = await outbox();
    expect(rows.filter((r) => r.status === 'merged')).toHaveLength(29);
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(1);
    const [attempt] = await db().selectFrom('notify_attempts').selectAll().execute();
    expect(attempt!.merged).toBe(29);

    // a second wave inside the same slot waits for it (paced), then goes out merged
    for (let i = 30; i < 35; i++) await alerts.receiveAlertmanager(firing(`dt${i}`, '重要', '2026-11-30T01:00:00.000Z', `接口告警${i}`));
    expect(new Set(await drain(d))).toEqual(new Set(['paced']));
    expect(robot.sent).toHaveLength(1);
    clock.advance(pacingInterval({ perMinute: 20 }));
    await drain(d);
    expect(robot.sent).toHaveLength(2);

    // the provider says "too fast" (DingTalk 130101): the attempt is recorded, the robot held for the time it asked
    await alerts.receiveAlertmanager(firing('dt99', '重要', '2026-11-30T01:00:00.000Z', '接口告警99'));
    clock.advance(60_000);
    const throttled = recordingChannel({ perMinute: 20 }, () => {
      throw new AppError('RATE_LIMITED', 'send too fast', { providerCode: '130101', retryAfterMs: 600_000 });
    });
    expect(await drain(deps(throttled.channel, clock))).toEqual(['rate_limited']);
    const held = (await outbox()).at(-1)!;
    expect(held).toMatchObject({ status: 'pending', attempts: 0, provider_code: '130101' });
    clock.advance(60_000);
    expect(await drain(deps(robot.channel, clock))).toEqual(['skipped']); // not due yet: held for 10 minutes
    clock.advance(600_000);
    expect(await drain(deps(robot.channel, clock))).toEqual(['sent']);
  });

  it('a voice call that reached some numbers retries only the others', async () => {
    const alerts = alertsWith(route([{ channel: 'voice', type: 'voice', to: ['+8613800000001', '+8613800000002', '+8613800000003'] }]));
    await alerts.receiveAlertmanager(firing('fp0012'));
    const called: string[][] = [];
    const voice = recordingChannel({}, (m, n) => {
      called.push(m.to);
      if (n === 1) throw new AppError('UNAVAILABLE', 'call to +8613800000002 failed', { delivered: ['+8613800000001', '+8613800000003'], failed: ['+8613800000002'] });
    });
    expect(await drain(deps(voice.channel))).toEqual(['retry']);
    await new Promise((r) => setTimeout(r, 10));
    expect(await drain(deps(voice.channel))).toEqual(['sent']);
    expect(called).toEqual([['+8613800000001', '+8613800000002', '+8613800000003'], ['+8613800000002']]);
  });

  it('nothing is sent for an alert acknowledged or silenced after its notification was written', async () => {
    const alerts = alertsWith(route([{ channel: 'email', type: 'email', to: ['oncall@example.com'] }]));
    await alerts.receiveAlertmanager(firing('fp0005'));
    const incidents = { database: tp.platform.database, audit: tp.platform.audit, clock: tp.platform.clock };
    const opened = await openIncidentFromAlert(incidents, { fingerprint: 'fp0005', name: '数据库不可用', severity: 'critical', startsAt: '2026-11-30T01:00:00.000Z' });
    await acknowledgeIncident(incidents, systemActor, opened!.incident.id);
    expect(await drain(deps(email()))).toEqual(['cancelled']);
    // the resolved notification of the acknowledged episode is not written either
    await alerts.receiveAlertmanager(alertmanagerPayload('resolved', { fingerprint: 'fp0005' }));
    expect((await outbox()).filter((r) => r.status !== 'cancelled')).toHaveLength(0);

    await alerts.receiveAlertmanager(firing('fp0006'));
    expect(await drain(deps(email(), tp.platform.clock, { silenced: async () => true }))).toEqual(['cancelled']);
    // silenced when received: nothing written at all
    await alertsWith(route([{ channel: 'email', type: 'email', to: ['oncall@example.com'] }], true)).receiveAlertmanager(firing('fp0007'));
    expect((await outbox()).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(smtp.mails).toHaveLength(0);
  });

  it('an incident moves to notified once a notification about its alert went out', async () => {
    const alerts = alertsWith(route([{ channel: 'email', type: 'email', to: ['oncall@example.com'] }]));
    await alerts.receiveAlertmanager(firing('fp0008'));
    const incidents = { database: tp.platform.database, audit: tp.platform.audit, clock: tp.platform.clock };
    const opened = await openIncidentFromAlert(incidents, { fingerprint: 'fp0008', name: '数据库不可用', severity: 'critical', startsAt: '2026-11-30T01:00:00.000Z' });
    const { incidentsNotified } = await import('../../../src/ops/incidents/incidents.js');
    await drain(deps(email(), tp.platform.clock, { delivered: async (fps, channel) => void (await incidentsNotified(incidents, fps, channel)) }));
    const detail = await getIncident(tp.platform.database, opened!.incident.id);
    expect(detail.status).toBe('notified');
    expect(detail.timeline.map((e) => e.kind)).toEqual(['detected', 'notified']);
  });

  it('an unacknowledged critical alert is escalated after the wait, up to N times; acknowledging stops it', async () => {
    const clock = manualClock();
    const plan = route([{ channel: 'voice', type: 'voice', to: ['+8613800000000'] }]);
    const alerts = alertsWith(plan, clock);
    await alerts.receiveAlertmanager(firing('fp0009'));
    const esc = { database: tp.platform.database, clock, plan, policy: async () => ({ afterSeconds: 600, max: 2 }) };
    expect(await escalateDue(esc)).toEqual([]);
    clock.advance(600_000);
    expect(await escalateDue(esc)).toEqual(['fp0009']);
    expect(await escalateDue(esc)).toEqual([]); // once per level
    clock.advance(600_000);
    expect(await escalateDue(esc)).toEqual(['fp0009']);
    clock.advance(600_000);
    expect(await escalateDue(esc)).toEqual([]); // max reached
    const rows = await outbox();
    expect(rows.map((r) => [r.kind, r.escalation])).toEqual([
      ['firing', 0],
      ['escalation', 1],
      ['escalation', 2],
    ]);
    const voice = recordingChannel();
    await drain(deps(voice.channel, clock));
    expect(voice.sent.map((m) => m.subject)).toEqual([expect.not.stringContaining('升级'), expect.stringContaining('第1次升级'), expect.stringContaining('第2次升级')]);

    // a second alert, acknowledged: never escalated
    await alerts.receiveAlertmanager(firing('fp0010'));
    await db().updateTable('alerts').set({ acknowledged_at: '2026-11-30 02:00:00.000', acknowledged_by: 'admin' }).where('fingerprint', '=', 'fp0010').execute();
    clock.advance(3_600_000);
    expect(await escalateDue(esc)).toEqual([]);
  });

  it('the relay publishes due notifications to the bus; while the bus refuses, the outbox keeps them', async () => {
    const alerts = alertsWith(route([{ channel: 'email', type: 'email', to: ['oncall@example.com'] }]));
    await alerts.receiveAlertmanager(firing('fp0011'));
    const log = { warn: () => undefined };
    const down = { publish: async () => Promise.reject(new AppError('UNAVAILABLE', 'message broker unavailable')) };
    const r1 = await relayDue({ database: tp.platform.database, clock: tp.platform.clock, bus: down, log });
    expect(r1).toMatchObject({ published: 0, busError: expect.stringContaining('unavailable') });
    expect((await outbox())[0]!.status).toBe('pending');
    const seen: unknown[] = [];
    const up = { publish: async (_t: string, p: unknown) => void seen.push(p) };
    expect(await relayDue({ database: tp.platform.database, clock: tp.platform.clock, bus: up, log })).toEqual({ published: 1 });
    expect(seen).toEqual([{ id: (await outbox())[0]!.id }]);
    expect((await outbox())[0]!.status).toBe('queued');
    // published but never delivered (the message was lost): published again after requeueMs
    expect(await relayDue({ database: tp.platform.database, clock: tp.platform.clock, bus: up, log }, { requeueMs: 60_000 })).toEqual({ published: 0 });
    await new Promise((r) => setTimeout(r, 5));
    expect(await relayDue({ database: tp.platform.database, clock: tp.platform.clock, bus: up, log }, { requeueMs: 1 })).toEqual({ published: 1 });
  });
});
