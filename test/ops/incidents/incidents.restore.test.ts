import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupContext } from '../../../src/app/backupContext.js';
import { backupDatabase } from '../../../src/ops/backup/databaseBackup.js';
import { getIncident, openIncident, tickChecklist } from '../../../src/ops/incidents/incidents.js';
import { restoreBackup } from '../../../src/ops/restore/restore.js';
import { BACKENDS, startTestPlatform, type TestPlatform } from '../../support/testPlatform.js';

/** A live restore never rewinds incidents: an incident about the fault being repaired must survive the repair. */
describe.each(BACKENDS)('incidents across a live restore (%s)', (backend) => {
  let tp: TestPlatform;
  beforeAll(async () => {
    tp = await startTestPlatform(backend, { env: { MCP_BACKUP_KEY: 'incident-restore-backup-secret-0123456789' } });
  }, 60_000);
  afterAll(() => tp?.close());

  it('an incident opened after the backup keeps its row, timeline and checklist', async () => {
    const ctx = createBackupContext(tp.platform);
    const backup = await backupDatabase(ctx, { type: 'full' });
    const deps = { database: tp.platform.database, audit: tp.platform.audit, clock: tp.platform.clock };
    const actor = { actorId: 1, actor: 'admin', ip: null };
    const opened = await openIncident(deps, actor, { title: 'data damaged', severity: 'critical' });
    await tickChecklist(deps, actor, opened.id, 'confirm-symptoms', true);
    await restoreBackup(ctx, { ref: backup.id, force: true, confirm: backend === 'real' ? tp.dbName! : 'mcp_platform.db', actor, job: 'job-inc' });
    const after = await getIncident(tp.platform.database, opened.id);
    expect(after).toMatchObject({ title: 'data damaged', status: 'detected' });
    expect(after.timeline.map((e) => e.kind)).toEqual(['detected', 'checklist-done']);
    expect(after.checklist.find((c) => c.item === 'confirm-symptoms')?.done).toBe(true);
  }, 120_000);
});
