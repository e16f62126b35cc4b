import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupContext } from '../../../src/app/backupContext.js';
import { backupDatabase } from '../../../src/ops/backup/databaseBackup.js';
import { restoreBackup } from '../../../src/ops/restore/restore.js';
import { notifyConfigOf } from '../../../src/services/support/notifyConfigFactory.js';
import { BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** A live restore never rewinds the notification configuration: the channels that announce the repair must survive it. */
describe.each(BACKENDS)('notification configuration across a live restore (%s)', (backend) => {
  let tp: TestPlatform;
  beforeAll(async () => {
    tp = await startTestPlatform(backend, { env: { MCP_BACKUP_KEY: 'notify-restore-backup-secret-0123456789' } });
  }, 60_000);
  afterAll(() => tp?.close());

  it('channels, contacts, groups, routes and silences written after the backup are kept', async () => {
    const ctx = createBackupContext(tp.platform);
    const backup = await backupDatabase(ctx, { type: 'full' });
    const svc = notifyConfigOf(tp.platform);
    const actor = { actorId: 1, actor: 'admin', ip: null };
    await svc.createChannel(actor, { name: 'ops-log', type: 'log', config: {} });
    await svc.createContact(actor, { name: 'zhou', email: 'zhou@example.com' });
    await svc.createGroup(actor, { name: 'dba', members: ['zhou'] });
    await svc.setRoute(actor, 'critical', { channels: ['ops-log'], groups: ['dba'] });
    await svc.createSilence(actor, { kind: 'maintenance', matchers: [], endsAt: new Date(Date.now() + 3600_000).toISOString(), comment: 'restore' });
    await restoreBackup(ctx, { ref: backup.id, force: true, confirm: backend === 'real' ? tp.dbName! : 'mcp_platform.db', actor, job: 'job-notify' });
    expect((await svc.listChannels()).map((c) => c.name)).toEqual(['ops-log']);
    expect((await svc.listGroups())[0]).toMatchObject({ name: 'dba', members: ['zhou'] });
    expect((await svc.listRoutes())[0]).toMatchObject({ severity: 'critical', source: 'stored', channels: ['ops-log'] });
    expect(await svc.listSilences()).toHaveLength(1);
  }, 120_000);
});
