import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, type RunningProcess } from '../../src/app/roles/process.js';
import { startScheduler, type Scheduler } from '../../src/app/roles/scheduler.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { registerTask } from '../../src/ops/scheduler.js';
import { createPlatform } from '../../src/app/platform.js';
import { BACKENDS, startTestPlatform } from '../support/testPlatform.js';

/**
 * A module of its own (this test) registers a scheduled task the way the backup module does; the
 * scheduler role runs it once per occurrence across replicas, and only in processes that run the
 * scheduler role.
 */
const runs: { dataDir: string; occurrence: string }[] = [];
registerTask({
  name: 'test.tick',
  schedule: '* * * * * *',
  run: async (ctx, occurrence) => {
    runs.push({ dataDir: ctx.config.dataDir, occurrence: occurrence.toISOString() });
    return { tick: occurrence.toISOString() };
  },
});

/** Every backup schedule off, so only test.tick fires during the test. */
const BACKUPS_OFF = Object.fromEntries(['FULL', 'INCREMENTAL', 'SCHEMA', 'CONFIG', 'LOGS', 'PRUNE'].map((t) => [`MCP_SCHEDULE_BACKUP_${t}`, 'off']));

const until = async (check: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 150 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
};

describe.each(BACKENDS)('a task registered by a module (%s)', (backend) => {
  it('runs exactly once per occurrence across two replicas on one database, audited under the scheduler', async () => {
    const tp = await startTestPlatform(backend, { env: BACKUPS_OFF });
    const second = createPlatform(tp.config, { logging: createLogging(loggingConfigFrom(tp.config, false)) });
    const schedulers: Scheduler[] = [];
    try {
      schedulers.push(startScheduler(tp.platform), startScheduler(second));
      for (const s of schedulers) expect(Object.keys(s.next())).toEqual(['test.tick']);
      const mine = () => runs.filter((r) => r.dataDir === tp.dataDir);
      await until(() => mine().length >= 3);
      schedulers.forEach((s) => void s.stop());
      await new Promise((r) => setTimeout(r, 500)); // an occurrence already claimed finishes
      const occurrences = mine().map((r) => r.occurrence);
      expect(occurrences.length).toBeGreaterThanOrEqual(3);
      expect(new Set(occurrences).size).toBe(occurrences.length); // no occurrence ran twice
      const audit = await tp.platform.audit.list({ page: 1, pageSize: 100, action: 'ops.test.tick' });
      const finished = audit.items.filter((r) => r.details?.phase === 'finished');
      expect(finished.length).toBe(occurrences.length);
      for (const r of finished) expect(r).toMatchObject({ actor: 'scheduler', result: 'success', target: 'test:tick' });
      expect(finished.map((r) => r.details?.tick).sort()).toEqual([...occurrences].sort());
    } finally {
      schedulers.forEach((s) => void s.stop());
      await second.close();
      await tp.close();
    }
  });
});

describe('process roles (MCP_ROLES)', () => {
  const dirs: string[] = [];
  const processes: RunningProcess[] = [];
  afterAll(async () => {
    for (const p of processes) await p.shutdown();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async (roles: string) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mcp-roles-'));
    dirs.push(dataDir);
    const config = loadConfig({
      ...BACKUPS_OFF,
      MCP_ENV: 'test',
      MCP_DATA_DIR: dataDir,
      MCP_LOG_DIR: join(dataDir, 'logs'),
      MCP_LOG_LEVEL: 'silent',
      MCP_ADMIN_PASSWORD: 'Roles-Test-Pass!1',
      MCP_HOST: '127.0.0.1',
      MCP_PORT: '0',
      MCP_ROLES: roles,
    });
    const p = await startProcess(config, () => {});
    processes.push(p);
    return { p, dataDir };
  };

  it('a process with MCP_ROLES=web serves HTTP and runs no scheduled task; one with MCP_ROLES=scheduler runs them and serves no HTTP', async () => {
    const web = await start('web');
    const scheduler = await start('scheduler');
    expect(web.p.roles.map((r) => r.name)).toEqual(['web']);
    expect((await fetch(`${web.p.web!.url}/health`)).status).toBe(200);
    expect(scheduler.p.roles.map((r) => r.name)).toEqual(['scheduler']);
    expect(scheduler.p.web).toBeUndefined();
    // the task fires every second: by the time the scheduler process ran it twice, the web process had the same chances
    await until(() => runs.filter((r) => r.dataDir === scheduler.dataDir).length >= 2);
    expect(runs.filter((r) => r.dataDir === scheduler.dataDir).length).toBeGreaterThanOrEqual(2);
    expect(runs.filter((r) => r.dataDir === web.dataDir)).toEqual([]);
    expect((await web.p.platform.audit.list({ page: 1, pageSize: 10, action: 'ops.test.tick' })).items).toEqual([]);
    expect((await scheduler.p.platform.audit.list({ page: 1, pageSize: 10, action: 'ops.test.tick' })).items.length).toBeGreaterThan(0);
  });
});
