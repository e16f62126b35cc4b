import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertService, severityOf } from '../../../src/services/support/alertService.js';
import type { AlertChange } from '../../../src/services/support/contract.js';
import { alertmanagerPayload } from '../../support/alertmanagerPayload.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

const TOKEN = 'alertmanager-webhook-token-0123';
const URL_ = '/api/support/alerts/alertmanager';

const payload = alertmanagerPayload;

describe('severity mapping (manual §3.1)', () => {
  it('maps the Chinese and English severity labels to critical | major | minor', () => {
    expect(['紧急', '重要', '一般', 'critical', 'major', 'minor', 'warning', 'Critical', undefined, 'unknown'].map(severityOf)).toEqual([
      'critical',
      'major',
      'minor',
      'critical',
      'major',
      'minor',
      'minor',
      'critical',
      'minor',
      'minor',
    ]);
  });
});

describe.each(BACKENDS)('Alertmanager receiver (%s)', (backend) => {
  let tp: TestPlatform;
  beforeAll(async () => {
    tp = await startTestPlatform(backend, { env: { MCP_ALERT_WEBHOOK_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await tp?.close();
  });

  const post = (body: unknown, token: string | undefined = TOKEN) => tp.request({ method: 'POST', url: URL_, token, body });
  const rows = async () => ({
    alerts: await tp.platform.database.db.selectFrom('alerts').selectAll().orderBy('fingerprint').execute(),
    events: await tp.platform.database.db.selectFrom('alert_events').select(['fingerprint', 'status', 'starts_at', 'ends_at']).orderBy('id').execute(),
    audits: await tp.platform.database.db.selectFrom('audit_log').select(['actor', 'action', 'target', 'result']).where('action', '=', 'alert.received').execute(),
  });

  it('a wrong or missing token is 401 and stores nothing; a malformed payload is 400 and stores nothing', async () => {
    const wrong = await post(payload('firing'), 'not-the-token-at-all-000');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    expect((await post(payload('firing'), '')).status).toBe(401);
    // The token is checked before the body is read: a wrong token with a malformed body is still 401.
    expect((await post('{"version":', 'not-the-token-at-all-000')).status).toBe(401);
    const noVersion = { ...payload('firing'), version: '3' };
    const bad = await post(noVersion);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID');
    const badTime = payload('firing');
    badTime.alerts[0]!.startsAt = 'yesterday';
    expect((await post(badTime)).status).toBe(400);
    expect((await post('{"version":"4",')).status).toBe(400);
    const badQuery = await tp.request({ method: 'POST', url: `${URL_}?channels=<script>`, token: TOKEN, body: payload('firing') });
    expect(badQuery.status).toBe(400);
    expect(await rows()).toEqual({ alerts: [], events: [], audits: [] });
  });

  it('a firing alert is stored with its history row and audited; the same payload twice changes nothing', async () => {
    const first = await post(payload('firing'));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ received: 1, changed: 1 });
    const after = await rows();
    expect(after.alerts).toMatchObject([
      { fingerprint: 'a1b2c3d4e5f60718', name: '数据库不可用', severity: 'critical', status: 'firing', summary: 'MySQL 无法连接', ends_at: null },
    ]);
    expect(after.events).toMatchObject([{ fingerprint: 'a1b2c3d4e5f60718', status: 'firing', ends_at: null }]);
    expect(after.audits).toEqual([{ actor: 'alertmanager', action: 'alert.received', target: '{}:{alertname="数据库不可用"}', result: 'success' }]);

    const again = await post(payload('firing'));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: 1, changed: 0 });
    expect(await rows()).toEqual(after);
  });

  it('a resolved notification closes the firing episode; repeated, it changes nothing', async () => {
    const res = await post(payload('resolved'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: 1, changed: 1 });
    const after = await rows();
    expect(after.alerts).toMatchObject([{ fingerprint: 'a1b2c3d4e5f60718', status: 'resolved' }]);
    expect(after.alerts[0]!.ends_at).toMatch(/^2026-11-30 01:10:00/);
    expect(after.events.map((e) => e.status)).toEqual(['firing', 'resolved']);
    expect(after.audits).toHaveLength(2);
    // A late repeat of the firing notification does not reopen the episode.
    expect((await post(payload('firing'))).body).toEqual({ received: 1, changed: 0 });
    expect((await post(payload('resolved'))).body).toEqual({ received: 1, changed: 0 });
    expect(await rows()).toEqual(after);
  });

  it('GET /api/ops/alerts: a viewer reads them (ISO 8601 times, filters); without login 401', async () => {
    await post(payload('firing', { fingerprint: 'ffff000011112222', severity: '重要', startsAt: '2026-11-30T02:00:00.000Z' }));
    const admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    const created = await tp.request({
      method: 'POST',
      url: '/api/users',
      token: admin,
      body: { username: 'viewer1', email: 'viewer1@example.com', password: 'Str0ng-Pass!', roles: ['viewer'] },
    });
    expect(created.status).toBe(201);
    const viewer = (await tp.login('viewer1', 'Str0ng-Pass!')).accessToken;

    const all = await tp.request({ method: 'GET', url: '/api/ops/alerts', token: viewer });
    expect(all.status).toBe(200);
    expect(all.body.items).toMatchObject([
      { fingerprint: 'ffff000011112222', severity: 'major', status: 'firing', startsAt: '2026-11-30T02:00:00.000Z', endsAt: null },
      {
        fingerprint: 'a1b2c3d4e5f60718',
        severity: 'critical',
        status: 'resolved',
        startsAt: '2026-11-30T01:00:00.000Z',
        endsAt: '2026-11-30T01:10:00.000Z',
        labels: { instance: 'db1:3306' },
      },
    ]);
    const firing = await tp.request({ method: 'GET', url: '/api/ops/alerts?status=firing', token: viewer });
    expect(firing.body.items.map((a: { fingerprint: string }) => a.fingerprint)).toEqual(['ffff000011112222']);
    const critical = await tp.request({ method: 'GET', url: '/api/ops/alerts?severity=critical', token: viewer });
    expect(critical.body.items.map((a: { fingerprint: string }) => a.fingerprint)).toEqual(['a1b2c3d4e5f60718']);
    expect((await tp.request({ method: 'GET', url: '/api/ops/alerts?status=open', token: viewer })).status).toBe(400);
    const anonymous = await tp.request({ method: 'GET', url: '/api/ops/alerts' });
    expect(anonymous.status).toBe(401);
  });

  it('onAlert is called once per new firing or resolved state, never for a repeated delivery', async () => {
    const calls: AlertChange[] = [];
    const alerts = createAlertService({ database: tp.platform.database, audit: tp.platform.audit, clock: tp.platform.clock, onAlert: (c) => void calls.push(c) });
    const p = payload('firing', { fingerprint: 'cccc000011112222', severity: '一般', startsAt: '2026-11-30T03:00:00.000Z' });
    await alerts.receiveAlertmanager(p);
    await alerts.receiveAlertmanager(p);
    expect(calls).toEqual([
      { status: 'firing', fingerprint: 'cccc000011112222', name: '数据库不可用', severity: 'minor', summary: 'MySQL 无法连接', startsAt: '2026-11-30T03:00:00.000Z' },
    ]);
    const r = payload('resolved', { fingerprint: 'cccc000011112222', severity: '一般', startsAt: '2026-11-30T03:00:00.000Z' });
    await alerts.receiveAlertmanager(r);
    await alerts.receiveAlertmanager(r);
    expect(calls.map((c) => c.status)).toEqual(['firing', 'resolved']);
  });

  it('long labels and annotations are stored whole (the name cut to 255 characters); more than 64 labels is 400', async () => {
    const p = payload('firing', { fingerprint: 'eeee000011112222', startsAt: '2026-11-30T05:00:00.000Z' });
    const long = '长'.repeat(4096);
    p.alerts[0]!.labels = { ...p.alerts[0]!.labels, alertname: '名'.repeat(300), detail: long };
    p.alerts[0]!.annotations = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`a${i}`, long]));
    const res = await post(p);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const row = await tp.platform.database.db.selectFrom('alerts').selectAll().where('fingerprint', '=', 'eeee000011112222').executeTakeFirstOrThrow();
    expect(row.name).toBe('名'.repeat(255));
    expect(JSON.parse(row.labels).detail).toBe(long);
    expect(Object.keys(JSON.parse(row.annotations))).toHaveLength(64);
    const tooMany = payload('firing', { fingerprint: 'eeee000011113333' });
    tooMany.alerts[0]!.labels = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'x']));
    expect((await post(tooMany)).status).toBe(400);
  });

  it('the same payload delivered five times at once is stored once and reported once', async () => {
    const calls: AlertChange[] = [];
    const alerts = createAlertService({ database: tp.platform.database, audit: tp.platform.audit, clock: tp.platform.clock, onAlert: (c) => void calls.push(c) });
    const p = payload('firing', { fingerprint: 'dddd000011112222', startsAt: '2026-11-30T04:00:00.000Z' });
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => alerts.receiveAlertmanager(p)));
    expect(results.map((r) => r.changed).sort()).toEqual([0, 0, 0, 0, 1]);
    expect(calls).toHaveLength(1);
    const events = await tp.platform.database.db.selectFrom('alert_events').select('status').where('fingerprint', '=', 'dddd000011112222').execute();
    expect(events).toEqual([{ status: 'firing' }]);
  });
});

describe('Alertmanager receiver without MCP_ALERT_WEBHOOK_TOKEN', () => {
  it('answers 503 UNAVAILABLE naming the variable, and stores nothing', async () => {
    const tp = await startTestPlatform('embedded');
    try {
      const res = await tp.request({ method: 'POST', url: URL_, token: 'anything-at-all-0000', body: payload('firing') });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('UNAVAILABLE');
      expect(res.body.error.message).toMatch(/MCP_ALERT_WEBHOOK_TOKEN/);
      expect(await tp.platform.database.db.selectFrom('alerts').selectAll().execute()).toEqual([]);
    } finally {
      await tp.close();
    }
  });
});
