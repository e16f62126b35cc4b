import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { listBackups } from '../../src/ops/backup/catalog.js';
import { createBackupContext } from '../../src/app/backupContext.js';
import { startScheduler, type Scheduler } from '../../src/app/roles/scheduler.js';
import { createPlatform, type Platform } from '../../src/app/platform.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

/** Two replicas share one database and schedule; each occurrence runs exactly once. */
describe('scheduled operations', () => {
  let tp: TestPlatform;
  let second: Platform;
  const schedulers: Scheduler[] = [];

  beforeAll(async () => {
    const env = {
      MCP_SCHEDULE_BACKUP_LOGS: '* * * * * *',
      MCP_SCHEDULE_BACKUP_FULL: 'off',
      MCP_SCHEDULE_BACKUP_INCREMENTAL: 'off',
      MCP_SCHEDULE_BACKUP_SCHEMA: 'off',
      MCP_SCHEDULE_BACKUP_CONFIG: 'off',
      MCP_SCHEDULE_BACKUP_PRUNE: 'off',
    };
    tp = await startTestPlatform('embedded', { env });
    mkdirSync(tp.config.logDir, { recursive: true });
    writeFileSync(join(tp.config.logDir, 'extra.log'), 'x\n');
    second = createPlatform(loadConfig({ ...env, MCP_ENV: 'test', MCP_DATA_DIR: tp.dataDir, MCP_LOG_DIR: tp.config.logDir }), {
      logging: createLogging(loggingConfigFrom(tp.config, false)),
    });
  });
  afterAll(async () => {
    for (const s of schedulers) s.stop();
    await second?.close();
    await tp?.close();
  });

  it('runs each occurrence on one replica only, audited', async () => {
    expect(() => loadConfig({ MCP_SCHEDULE_BACKUP_FULL: 'every night' })).toThrow(/MCP_SCHEDULE_BACKUP_FULL/);
    schedulers.push(startScheduler(tp.platform), startScheduler(second));
    expect(Object.keys(schedulers[0]!.next())).toEqual(['backup.logs']);
    await new Promise((r) => setTimeout(r, 3500));
    for (const s of schedulers) s.stop();
    await new Promise((r) => setTimeout(r, 500));
    const logs = (await listBackups(createBackupContext(tp.platform), 'logs')).filter((r) => r.status === 'complete');
    const seconds = logs.map((r) => r.started_at.slice(0, 19));
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seconds).size).toBe(seconds.length); // never twice in the same second
    const audit = await tp.platform.audit.list({ page: 1, pageSize: 50, action: 'ops.backup.logs' });
    expect(audit.items.filter((r) => r.actor === 'scheduler' && r.details?.phase === 'finished').length).toBe(logs.length);
  });
});
