import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedApi, refuseUnguardedApiRoutes } from '../../../src/server/authGuard.js';
import { installErrorHandling } from '../../../src/server/errorHandler.js';
import { decorateRequestServices } from '../../../src/server/requestServices.js';
import { validatorCompiler } from '../../../src/server/validation.js';
import { notifyConfigOf } from '../../../src/services/support/notifyConfigFactory.js';
import { notifyConfigRoutes } from '../../../src/services/support/notifyRoutes.js';
import { ADMIN_PASSWORD, BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

const SECRET = 'Api-Smtp-Secret!5150';

/**
 * The /api/support notification configuration routes, mounted inside the guarded API as the server
 * mounts them, over the test platform (its users, tokens and audit log), on both backends.
 */
describe.each(BACKENDS)('notification configuration API on %s backend', (backend) => {
  let tp: TestPlatform;
  let app: FastifyInstance;
  let admin: string;
  let operator: string;
  let nobody: string;

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, token: string, body?: unknown) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, text: res.body, body: res.body ? JSON.parse(res.body) : undefined };
  };

  beforeAll(async () => {
    tp = await startTestPlatform(backend, { env: { MCP_NOTIFY_KEY: 'api-test-notify-key-0123456789abcdefgh' } });
    app = Fastify();
    refuseUnguardedApiRoutes(app);
    app.setValidatorCompiler(validatorCompiler);
    installErrorHandling(app);
    decorateRequestServices(app, tp.platform);
    await app.register(
      guardedApi(async (api) => {
        await api.register(notifyConfigRoutes({ notifyConfig: notifyConfigOf(tp.platform) }), { prefix: '/api/support' });
      }),
    );
    await app.ready();
    admin = (await tp.login('admin', ADMIN_PASSWORD)).accessToken;
    for (const [username, roles] of [
      ['notifyops', ['ops']],
      ['notifynobody', []],
    ] as const) {
      const r = await tp.request({ method: 'POST', url: '/api/users', token: admin, body: { username, email: `${username}@example.com`, password: 'Str0ng-Pass!x', roles } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    operator = (await tp.login('notifyops', 'Str0ng-Pass!x')).accessToken;
    nobody = (await tp.login('notifynobody', 'Str0ng-Pass!x')).accessToken;
  });
  afterAll(async () => {
    await app?.close();
    await tp?.close();
  });

  const mailConfig = { host: 'smtp.example.com', port: 465, secure: true, username: 'alerts@example.com', password: SECRET };

  it('never returns a secret: POST, GET, list and PATCH answers mask it, and no audit row holds it', async () => {
    const created = await call('POST', '/api/support/notify/channels', admin, { name: 'ops-mail', type: 'email', config: mailConfig });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ name: 'ops-mail', secretsSet: ['password'], config: { password: '******', host: 'smtp.example.com' } });
    const one = await call('GET', '/api/support/notify/channels/ops-mail', operator);
    expect(one.status).toBe(200);
    expect(one.body.config.password).toBe('******');
    const all = await call('GET', '/api/support/notify/channels', operator);
    expect(all.body.items).toHaveLength(1);
    const patched = await call('PATCH', '/api/support/notify/channels/ops-mail', admin, { config: { port: 587, secure: false } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ secretsSet: ['password'], config: { port: 587, password: '******' } });
    for (const r of [created, one, all, patched]) expect(r.text).not.toContain(SECRET);
    const audit = await tp.platform.database.db.selectFrom('audit_log').selectAll().execute();
    expect(audit.filter((a) => a.action.startsWith('ops.notify.channel.')).map((a) => a.action)).toEqual(['ops.notify.channel.create', 'ops.notify.channel.update']);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it('bad input is a 400 naming the field and stores nothing; unknown is 404, duplicate 409', async () => {
    const bad = await call('POST', '/api/support/notify/channels', admin, { name: 'bad-mail', type: 'email', config: { ...mailConfig, port: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('field "port"');
    expect(bad.text).not.toContain(SECRET);
    const badName = await call('POST', '/api/support/notify/channels', admin, { name: 'Bad Name', type: 'email', config: mailConfig });
    expect(badName.status).toBe(400);
    expect(badName.text).toContain('name');
    const badType = await call('POST', '/api/support/notify/channels', admin, { name: 'x', type: 'pager', config: {} });
    expect(badType.status).toBe(400);
    expect((await call('GET', '/api/support/notify/channels/bad-mail', admin)).status).toBe(404);
    const dup = await call('POST', '/api/support/notify/channels', admin, { name: 'ops-mail', type: 'email', config: mailConfig });
    expect(dup.status).toBe(409);
    expect((await call('GET', '/api/support/notify/channels', admin)).body.items.map((c: { name: string }) => c.name)).toEqual(['ops-mail']);
    const contact = await call('POST', '/api/support/notify/contacts', admin, { name: 'li', email: 'nope' });
    expect(contact.status).toBe(400);
    expect(contact.body.error.message).toContain('email');
    expect((await call('GET', '/api/support/notify/contacts', admin)).body.items).toEqual([]);
    const route = await call('PUT', '/api/support/notify/routes/critical', admin, { channels: ['missing'], groups: [] });
    expect(route.status).toBe(400);
    expect(route.body.error.message).toBe('channels: no such channel: missing');
    expect((await call('PUT', '/api/support/notify/routes/urgent', admin, { channels: [], groups: [] })).status).toBe(400);
    expect((await call('DELETE', '/api/support/alerts/silences/999', admin)).status).toBe(404);
  });

  it('the ops role reads but cannot change; a user without ops:read gets 403', async () => {
    expect((await call('GET', '/api/support/notify/routes', operator)).status).toBe(200);
    expect((await call('GET', '/api/support/alerts/silences', operator)).status).toBe(200);
    const denied = await call('POST', '/api/support/notify/channels', operator, { name: 'op-mail', type: 'email', config: mailConfig });
    expect(denied.status).toBe(403);
    expect((await call('PATCH', '/api/support/notify/channels/ops-mail', operator, { enabled: false })).status).toBe(403);
    expect((await call('DELETE', '/api/support/notify/channels/ops-mail', operator)).status).toBe(403);
    expect((await call('PUT', '/api/support/notify/routes/minor', operator, { channels: [], groups: [] })).status).toBe(403);
    for (const url of ['/api/support/notify/channels', '/api/support/notify/channels/ops-mail', '/api/support/notify/contacts', '/api/support/alerts/silences'])
      expect((await call('GET', url, nobody)).status, url).toBe(403);
    expect((await call('GET', '/api/support/notify/channels/ops-mail', admin)).body.enabled).toBe(true);
    const unauth = await app.inject({ method: 'GET', url: '/api/support/notify/channels' });
    expect(unauth.statusCode).toBe(401);
  });

  it('contacts, groups, routes and silences round-trip', async () => {
    const c = await call('POST', '/api/support/notify/contacts', admin, { name: 'zhang', email: 'zhang@example.com', phone: '+8613800138000' });
    expect(c.status, c.text).toBe(201);
    expect((await call('PATCH', `/api/support/notify/contacts/${c.body.id}`, admin, { phone: '13800138001' })).body.phone).toBe('13800138001');
    expect((await call('POST', '/api/support/notify/groups', admin, { name: 'dba' })).status).toBe(201);
    const members = await call('PUT', '/api/support/notify/groups/dba/members', admin, { members: ['zhang'] });
    expect(members.body).toMatchObject({ name: 'dba', members: ['zhang'] });
    expect((await call('PUT', '/api/support/notify/groups/dba/members', admin, { members: ['ghost'] })).status).toBe(400);
    const route = await call('PUT', '/api/support/notify/routes/critical', admin, { channels: ['ops-mail'], groups: ['dba'], escalateAfterSeconds: 600, escalateMax: 2 });
    expect(route.status, route.text).toBe(200);
    expect(route.body).toMatchObject({ severity: 'critical', source: 'stored', channels: ['ops-mail'], groups: ['dba'], escalateAfterSeconds: 600, escalateMax: 2 });
    const routes = await call('GET', '/api/support/notify/routes', operator);
    expect(routes.body.items.map((r: { source: string }) => r.source)).toEqual(['stored', 'default', 'default']);
    expect(routes.body.items[2]).toMatchObject({ severity: 'minor', channelTypes: ['email'], channels: ['ops-mail'] });
    expect((await call('DELETE', '/api/support/notify/channels/ops-mail', admin)).status).toBe(409);

    const endsAt = new Date(Date.now() + 3600_000).toISOString();
    const s = await call('POST', '/api/support/alerts/silences', admin, { matchers: [{ name: 'alertname', value: '数据库不可用' }], endsAt, comment: '主库维护' });
    expect(s.status, s.text).toBe(201);
    expect(s.body).toMatchObject({ kind: 'silence', state: 'active', createdBy: 'admin' });
    expect((await call('GET', '/api/support/alerts/silences', operator)).body.items).toHaveLength(1);
    const expired = await call('DELETE', `/api/support/alerts/silences/${s.body.id}`, admin);
    expect(expired.body.state).toBe('expired');
    expect((await call('GET', '/api/support/alerts/silences', operator)).body.items).toHaveLength(0);
    expect((await call('GET', '/api/support/alerts/silences?all=true', operator)).body.items).toHaveLength(1);
    const noEnd = await call('POST', '/api/support/alerts/silences', admin, { matchers: [{ name: 'a', value: 'b' }], comment: 'x' });
    expect(noEnd.status).toBe(400);
    expect(noEnd.text).toContain('endsAt');
  });
});
