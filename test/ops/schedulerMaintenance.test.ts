import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../src/ops/backup/catalog.js';
import { createBackupContext } from '../../src/app/backupContext.js';
import { startScheduler, type Scheduler } from '../../src/app/roles/scheduler.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** The scheduler face: audited like the API and CLI; skips (audited, logged) while a live restore runs. */
describe('scheduled operations and maintenance mode', () => {
  let tp: TestPlatform;
  let scheduler: Scheduler | undefined;

  beforeAll(async () => {
    tp = await startTestPlatform('embedded', {
      env: {
        MCP_SCHEDULE_BACKUP_LOGS: '* * * * * *',
        MCP_SCHEDULE_BACKUP_FULL: 'off',
        MCP_SCHEDULE_BACKUP_INCREMENTAL: 'off',
        MCP_SCHEDULE_BACKUP_SCHEMA: 'off',
        MCP_SCHEDULE_BACKUP_CONFIG: 'off',
        MCP_SCHEDULE_BACKUP_PRUNE: 'off',
      },
    });
  });
  afterAll(async () => {
    scheduler?.stop();
    await tp?.close();
  });

  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
  };
  const rows = async () => (await tp.platform.audit.list({ page: 1, pageSize: 200, action: 'ops.backup.logs' })).items;

  it('skips every occurrence while maintenance mode is on, audited as denied under the scheduler; runs again afterwards', async () => {
    await tp.platform.maintenance.enter('restore of 20261130T020000000Z-full');
    scheduler = startScheduler(tp.platform);
    await until(async () => (await rows()).length >= 2);
    scheduler.stop();
    await new Promise((r) => setTimeout(r, 300)); // an occurrence already started finishes
    await tp.platform.maintenance.exit();
    const skipped = await rows();
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const r of skipped) {
      expect(r).toMatchObject({ actor: 'scheduler', result: 'denied', target: 'backup:logs', details: { phase: 'refused', maintenance: 'restore of 20261130T020000000Z-full' } });
    }
    expect(await listBackups(createBackupContext(tp.platform), 'logs')).toEqual([]);

    scheduler = startScheduler(tp.platform);
    await until(async () => (await rows()).some((r) => r.details?.phase === 'finished'));
    scheduler.stop();
    const ran = (await rows()).filter((r) => r.result === 'success');
    expect(ran.map((r) => r.details?.phase)).toContain('started');
    expect(ran.find((r) => r.details?.phase === 'finished')).toMatchObject({ actor: 'scheduler', target: 'backup:logs', details: { backup: expect.stringMatching(/-logs$/) } });
  });
});
