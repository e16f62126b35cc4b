import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertResolved, openIncidentFromAlert } from '../../../src/ops/incidents/incidents.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** Incidents over /api/ops (SPEC INC-1…3, manual §4), on both backends. */
describe.each(BACKENDS)('/api/ops/incidents (%s)', (backend) => {
  let tp: TestPlatform;
  let admin: string;
  let viewer: string;
  let now = new Date('2026-11-30T01:00:00.000Z');
  const clock = { now: () => new Date(now) };
  const advance = (s: number) => {
    now = new Date(now.getTime() + s * 1000);
  };

  beforeAll(async () => {
    tp = await startTestPlatform(backend, { clock });
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username: 'watcher', email: 'w@example.com', password: 'Str0ng-Pass!', roles: ['viewer'] } });
    viewer = (await tp.login('watcher', 'Str0ng-Pass!')).accessToken;
  });
  afterAll(() => tp?.close());

  const post = (url: string, body?: unknown, token = admin) => tp.request({ method: 'POST', url: `/api/ops/incidents${url}`, token, body: body ?? {} });
  const get = (url: string, token = admin) => tp.request({ method: 'GET', url: `/api/ops/incidents${url}`, token });

  it('runs the §4.1 flow: open → ack → classify database → remediate → verify → recovered → postmortem', async () => {
    const opened = await post('', { title: '数据库不可用', severity: 'critical', summary: 'DB down' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ status: 'detected', severity: 'critical', source: 'manual', createdBy: 'admin', detectedAt: '2026-11-30T01:00:00.000Z' });
    const id = opened.body.id;

    advance(120);
    const ack = await post(`/${id}/ack`, { note: 'on it' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: 'confirmed', acknowledgedBy: 'admin', ttaSeconds: 120 });

    // a step out of order: 409 with the allowed next states
    const skip = await post(`/${id}/transition`, { to: 'verifying' });
    expect(skip.status).toBe(409);
    expect(skip.body.error).toMatchObject({ code: 'CONFLICT', details: { from: 'confirmed', to: 'verifying', allowed: ['classified'] } });

    const cls = await post(`/${id}/classify`, { type: 'database' });
    expect(cls.body).toMatchObject({ status: 'classified', type: 'database' });
    const detail = await get(`/${id}`);
    expect(detail.status).toBe(200);
    const commands = detail.body.suggestions.map((s: { command?: string }) => s.command);
    expect(commands).toEqual(expect.arrayContaining(['mcp-platform db status', 'mcp-platform db switchover']));
    expect(detail.body.suggestions[0].text).toMatch(/数据库/);
    expect((await get(`/${id}?lang=en`)).body.suggestions[0].text).toMatch(/replication lag/);
    expect(detail.body.allowedNext).toEqual(['remediating']);
    expect(detail.body.checklist.map((c: { label: string }) => c.label)).toEqual([
      '确认故障现象',
      '检查日志',
      '检查监控指标',
      '定位故障原因',
      '制定修复方案',
      '执行修复操作',
      '验证修复结果',
      '编写故障报告',
    ]);

    expect((await post(`/${id}/checklist`, { item: 'check-logs', done: true })).status).toBe(200);
    expect((await post(`/${id}/checklist`, { item: 'not-an-item', done: true })).status).toBe(400);
    expect((await post(`/${id}/transition`, { to: 'remediating' })).body.status).toBe('remediating');
    expect((await post(`/${id}/transition`, { to: 'verifying' })).body.status).toBe('verifying');
    advance(480);
    const rec = await post(`/${id}/transition`, { to: 'recovered', note: 'replica promoted' });
    expect(rec.body).toMatchObject({ status: 'recovered', resolvedBy: 'admin', ttrSeconds: 600, recoveredAt: '2026-11-30T01:10:00.000Z' });
    expect((await post(`/${id}/ack`)).status).toBe(409);

    const pm = await post(`/${id}/postmortem`, { impact: '全部用户 10 分钟无法登录', causes: '主库磁盘写满', actions: '磁盘告警阈值下调到 80%' });
    expect(pm.status).toBe(200);
    expect(pm.body.incident.status).toBe('postmortem');
    const md: string = pm.body.markdown;
    expect(md).toContain(`# 故障报告 #${id}：数据库不可用`);
    for (const h of ['## 时间线', '## 影响', '## 原因分析', '## 改进措施']) expect(md).toContain(h);
    expect(md).toContain('2026-11-30T01:02:00.000Z admin: acknowledged');
    expect(md).toContain('replica promoted');
    expect(md).toContain('主库磁盘写满');
    expect(md).toContain('- [x] 检查日志 (admin)');
    expect(md).toContain('确认用时（MTTA）: 120 秒');

    const shown = (await get(`/${id}`)).body;
    expect(shown.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'detected',
      'acknowledged',
      'classified',
      'checklist-done',
      'transition',
      'transition',
      'transition',
      'postmortem',
    ]);
    expect(shown.timeline[0].at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    // MTTA/MTTR per severity in the list and in /metrics
    const list = await get('?severity=critical', viewer);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { id: number }) => i.id)).toContain(id);
    expect(list.body.stats.critical).toMatchObject({ count: 1, open: 0, mttaSeconds: 120, mttrSeconds: 600 });
    const metrics = await tp.request({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('mcp_incident_mtta_seconds{severity="critical"} 120');
    expect(metrics.body).toContain('mcp_incident_mttr_seconds{severity="critical"} 600');

    // every action audited as ops.incident.<verb>
    const audit = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=ops.incident', token: admin });
    const actions = audit.body.items.filter((i: { target: string }) => i.target === `incident:${id}`).map((i: { action: string }) => i.action);
    expect(actions).toEqual(
      expect.arrayContaining(['ops.incident.open', 'ops.incident.ack', 'ops.incident.classify', 'ops.incident.checklist', 'ops.incident.transition', 'ops.incident.postmortem']),
    );
  });

  it('resolve works from any open state with confirm; without it 400; afterwards 409', async () => {
    const id = (await post('', { title: 'network flap', severity: 'major' })).body.id;
    expect((await post(`/${id}/resolve`, { confirm: false })).status).toBe(400);
    expect((await get(`/${id}`)).body.status).toBe('detected');
    const r = await post(`/${id}/resolve`, { confirm: true, note: 'gone by itself' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'recovered', resolvedBy: 'admin' });
    expect((await post(`/${id}/resolve`, { confirm: true })).status).toBe(409);
    expect((await get('?status=open')).body.items.map((i: { id: number }) => i.id)).not.toContain(id);
  });

  it('bad input is a 400 and changes nothing; an unknown id is a 404', async () => {
    expect((await post('', { title: 'x', severity: 'urgent' })).status).toBe(400);
    expect((await post('', { title: '', severity: 'major' })).status).toBe(400);
    expect((await post('/abc/ack')).status).toBe(400);
    expect((await post('/1/classify', { type: 'cosmic-rays' })).status).toBe(400);
    const fresh = (await post('', { title: 'fresh', severity: 'minor' })).body.id;
    const viaAck = await post(`/${fresh}/transition`, { to: 'confirmed' }); // legal, but that step is the ack action
    expect(viaAck.status).toBe(400);
    expect(viaAck.body.error.details).toEqual({ action: 'ack' });
    expect((await post(`/${fresh}/transition`, { to: 'recovered' })).body.error).toMatchObject({ code: 'CONFLICT', details: { allowed: ['notified', 'confirmed'] } });
    expect((await post(`/${fresh}/transition`, { to: 'notified' })).body.status).toBe('notified');
    expect((await get(`/${fresh}`)).body.timeline.map((e: { kind: string }) => e.kind)).toEqual(['detected', 'transition']);
    expect((await get('?status=bogus')).status).toBe(400);
    expect((await post('/999999/ack')).status).toBe(404);
  });

  it('a viewer may read but gets 403 on every action', async () => {
    const id = (await post('', { title: 'viewer test', severity: 'minor' })).body.id;
    expect((await get(`/${id}`, viewer)).status).toBe(200);
    for (const [url, body] of [
      ['', { title: 't', severity: 'major' }],
      [`/${id}/ack`, {}],
      [`/${id}/classify`, { type: 'other' }],
      [`/${id}/transition`, { to: 'notified' }],
      [`/${id}/resolve`, { confirm: true }],
      [`/${id}/checklist`, { item: 'check-logs', done: true }],
      [`/${id}/postmortem`, {}],
    ] as const)
      expect((await post(url, body, viewer)).status, url).toBe(403);
    expect((await get(`/${id}`)).body.status).toBe('detected');
  });

  it('alerts: critical/major open one incident, the same alert or name groups, minor opens none, resolved proposes closing', async () => {
    const deps = { database: tp.platform.database, audit: tp.platform.audit, clock };
    const first = await openIncidentFromAlert(deps, { fingerprint: 'fp-1', name: 'MySQLDown', severity: 'critical', summary: '数据库不可用', startsAt: '2026-11-30T01:30:00Z' });
    expect(first).toMatchObject({ opened: true, incident: { source: 'alert', alertName: 'MySQLDown', createdBy: 'system', detectedAt: '2026-11-30T01:30:00.000Z' } });
    const again = await openIncidentFromAlert(deps, { fingerprint: 'fp-1', name: 'MySQLDown', severity: 'critical', startsAt: '2026-11-30T01:30:00Z' });
    const sibling = await openIncidentFromAlert(deps, { fingerprint: 'fp-2', name: 'MySQLDown', severity: 'critical', startsAt: '2026-11-30T01:31:00Z' });
    expect(again).toMatchObject({ opened: false, incident: { id: first!.incident.id } });
    expect(sibling).toMatchObject({ opened: false, incident: { id: first!.incident.id } });
    expect(await openIncidentFromAlert(deps, { fingerprint: 'fp-3', name: 'HighCPU', severity: 'minor', startsAt: '2026-11-30T01:31:00Z' })).toBeUndefined();
    const other = await openIncidentFromAlert(deps, { fingerprint: 'fp-4', name: 'HighErrorRate', severity: 'major', startsAt: '2026-11-30T01:31:00Z' });
    expect(other?.opened).toBe(true);
    expect(other?.incident.id).not.toBe(first!.incident.id);

    const id = first!.incident.id;
    expect(await alertResolved(deps, 'fp-1')).toEqual([id]);
    const shown = (await get(`/${id}`)).body;
    expect(shown.status).toBe('detected'); // proposed, not closed
    expect(shown.closeProposedAt).not.toBeNull();
    expect(shown.timeline.map((e: { kind: string }) => e.kind)).toEqual(['detected', 'alert-firing', 'alert-firing', 'close-proposed']);
    const rows = await tp.platform.database.db.selectFrom('incident_alerts').select('fingerprint').where('incident_id', '=', id).orderBy('fingerprint').execute();
    expect(rows.map((r) => r.fingerprint)).toEqual(['fp-1', 'fp-2']);
    const audit = await tp.request({ method: 'GET', url: '/api/system/audit-logs?action=ops.incident', token: admin });
    const mine = audit.body.items.filter((i: { target: string }) => i.target === `incident:${id}`);
    expect(mine.map((i: { action: string }) => i.action).sort()).toEqual(['ops.incident.alert', 'ops.incident.alert', 'ops.incident.open', 'ops.incident.propose-close']);
    expect(mine.every((i: { actor: string }) => i.actor === 'system')).toBe(true);

    // once that incident is recovered, the same alert opens a new one
    await post(`/${id}/resolve`, { confirm: true });
    const reopened = await openIncidentFromAlert(deps, { fingerprint: 'fp-1', name: 'MySQLDown', severity: 'critical', startsAt: '2026-11-30T02:00:00Z' });
    expect(reopened?.opened).toBe(true);
    expect(reopened?.incident.id).not.toBe(id);
  });
  it('alerts of one name arriving at once open exactly one incident', async () => {
    const deps = { database: tp.platform.database, audit: tp.platform.audit, clock };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => openIncidentFromAlert(deps, { fingerprint: `disk-${i}`, name: 'DiskFull', severity: 'major', startsAt: '2026-11-30T03:00:00Z' })),
    );
    expect(results.filter((r) => r?.opened)).toHaveLength(1);
    expect(new Set(results.map((r) => r?.incident.id)).size).toBe(1);
    const rows = await tp.platform.database.db.selectFrom('incidents').select('id').where('alert_name', '=', 'DiskFull').execute();
    expect(rows).toHaveLength(1);
    const tied = await tp.platform.database.db.selectFrom('incident_alerts').select('fingerprint').where('incident_id', '=', rows[0]!.id).execute();
    expect(tied).toHaveLength(6);
  });
});
