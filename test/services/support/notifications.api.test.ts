import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors/appError.js';
import { createAlertService } from '../../../src/services/support/alertService.js';
import { deliverNotification } from '../../../src/services/support/delivery.js';
import { alertmanagerPayload } from '../../support/alertmanagerPayload.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** Acknowledging alerts and reading/retrying notifications over the API, with the finer permissions. */
describe.each(BACKENDS)('alerts ack and the notification outbox API (%s)', (backend) => {
  let tp: TestPlatform;
  let admin: string;
  let viewer: string;
  let ops: string;
  beforeAll(async () => {
    tp = await startTestPlatform(backend);
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    for (const [username, role] of [
      ['watcher', 'viewer'],
      ['operator', 'ops'],
    ])
      expect(
        (await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username, email: `${username}@example.com`, password: 'Str0ng-Pass!', roles: [role] } }))
          .status,
      ).toBe(201);
    viewer = (await tp.login('watcher', 'Str0ng-Pass!')).accessToken;
    ops = (await tp.login('operator', 'Str0ng-Pass!')).accessToken;
    const alerts = createAlertService({
      database: tp.platform.database,
      audit: tp.platform.audit,
      clock: tp.platform.clock,
      notify: { plan: async () => ({ silencedBy: null, deliveries: [{ channel: 'robot', type: 'dingtalk', to: [] }] }) },
    });
    await alerts.receiveAlertmanager(alertmanagerPayload('firing', { fingerprint: 'ack0001' }));
    await alerts.receiveAlertmanager(alertmanagerPayload('firing', { fingerprint: 'dead0001', alertname: '磁盘空间不足', severity: '重要' }));
  });
  afterAll(() => tp?.close());

  it('acknowledging an alert needs ops:incidents, is audited, and stops its notifications; twice is 409, unknown 404', async () => {
    const url = '/api/ops/alerts/ack0001/ack';
    const denied = await tp.request({ method: 'POST', url, token: viewer, body: {} });
    expect(denied.status).toBe(403);
    const ok = await tp.request({ method: 'POST', url, token: ops, body: {} });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ fingerprint: 'ack0001', acknowledgedBy: 'operator' });
    const listed = await tp.request({ method: 'GET', url: '/api/ops/alerts', token: viewer });
    const listedRow = (listed.body as { items: { fingerprint: string; acknowledgedBy: string | null; acknowledgedAt: string | null }[] }).items.find(
      (a) => a.fingerprint === 'ack0001',
    );
    expect(listedRow).toMatchObject({ acknowledgedBy: 'operator', acknowledgedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect((await tp.request({ method: 'POST', url, token: ops, body: {} })).status).toBe(409);
    expect((await tp.request({ method: 'POST', url: '/api/ops/alerts/nosuch/ack', token: ops, body: {} })).status).toBe(404);
    expect((await tp.request({ method: 'POST', url: '/api/ops/alerts/bad%20fp/ack', token: ops, body: {} })).status).toBe(400);
    const audit = await tp.platform.database.db.selectFrom('audit_log').select(['actor', 'result']).where('action', '=', 'alert.ack').execute();
    expect(audit).toEqual([{ actor: 'operator', result: 'success' }]);
    // its waiting notification is not sent
    const [row] = await tp.platform.database.db.selectFrom('notify_outbox_alerts').select('outbox_id').where('fingerprint', '=', 'ack0001').execute();
    const outcome = await deliverNotification(
      {
        database: tp.platform.database,
        clock: tp.platform.clock,
        log: { warn: () => undefined, error: () => undefined },
        silenced: async () => false,
        channel: async () => ({
          type: 'dingtalk',
          limits: {},
          send: async () => {
            throw new Error('must not be sent');
          },
        }),
      },
      row!.outbox_id,
    );
    expect(outcome).toBe('cancelled');
  });

  it('dead letters are listed with their attempts; sending one again needs ops:notify and is audited', async () => {
    const [row] = await tp.platform.database.db.selectFrom('notify_outbox_alerts').select('outbox_id').where('fingerprint', '=', 'dead0001').execute();
    const id = row!.outbox_id;
    await deliverNotification(
      {
        database: tp.platform.database,
        clock: tp.platform.clock,
        log: { warn: () => undefined, error: () => undefined },
        silenced: async () => false,
        channel: async () => ({
          type: 'dingtalk',
          limits: {},
          send: async () => {
            throw new AppError('INVALID', 'DingTalk: sign mismatch', { providerCode: '310000' });
          },
        }),
      },
      id,
    );
    const list = await tp.request({ method: 'GET', url: '/api/support/notify/outbox?status=dead', token: viewer });
    expect(list.status).toBe(200);
    expect(list.body.items).toMatchObject([{ id, status: 'dead', channel: 'robot', providerCode: '310000', alerts: [{ fingerprint: 'dead0001', name: '磁盘空间不足' }] }]);
    const detail = await tp.request({ method: 'GET', url: `/api/support/notify/outbox/${id}`, token: viewer });
    expect(detail.body.attemptLog).toMatchObject([{ attempt: 1, outcome: 'failed', providerCode: '310000', error: 'DingTalk: sign mismatch' }]);
    expect((await tp.request({ method: 'GET', url: '/api/support/notify/outbox?status=nope', token: viewer })).status).toBe(400);

    expect((await tp.request({ method: 'POST', url: `/api/support/notify/outbox/${id}/retry`, token: ops, body: {} })).status).toBe(403);
    const retried = await tp.request({ method: 'POST', url: `/api/support/notify/outbox/${id}/retry`, token: admin, body: {} });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id, status: 'pending', attempts: 0 });
    expect((await tp.request({ method: 'POST', url: `/api/support/notify/outbox/${id}/retry`, token: admin, body: {} })).status).toBe(409);
    const audit = await tp.platform.database.db.selectFrom('audit_log').select(['actor', 'target']).where('action', '=', 'notify.retry').execute();
    expect(audit).toEqual([{ actor: 'admin', target: `notification:${id}` }]);

    const metrics = await tp.request({ method: 'GET', url: '/metrics' });
    expect(String(metrics.body)).toMatch(/mcp_notify_outbox\{status="pending"\} [1-9]/);
  });
});
