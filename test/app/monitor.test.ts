import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { RunningMonitor } from '../../src/ops/ha/monitor.js';
import { startProcess } from '../../src/app/roles/process.js';
import { runCli } from '../support/cli.js';
import { SERVICES, uniqueName } from '../support/services.js';
import { dropDatabase } from '../support/testPlatform.js';
import { waitFor } from '../support/waitFor.js';

/** The `monitor` process role (issue 12 item 4): named in MCP_ROLES, refused clearly where HA cannot work. */
describe('monitor role', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'mcp-monitor-role-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = (extra: Record<string, string>) => ({
    MCP_ENV: 'test',
    MCP_DATA_DIR: join(dir, 'data'),
    MCP_LOG_DIR: join(dir, 'logs'),
    MCP_LOG_LEVEL: 'silent',
    MCP_ADMIN_PASSWORD: 'Monitor-Test-Pass!1',
    ...extra,
  });

  it('on SQLite: serve with MCP_ROLES=monitor and ha monitor refuse to start, saying HA needs MySQL/MariaDB', async () => {
    await expect(startProcess(loadConfig(env({ MCP_ROLES: 'monitor' })), () => {})).rejects.toThrow(/needs MySQL\/MariaDB/);
    const cli = await runCli(['--lang', 'en', 'ha', 'monitor'], env({}));
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('needs MySQL/MariaDB');
  });

  it('serve with MCP_ROLES=monitor on MariaDB (a primary without replicas): takes the lease, checks the primary, stops cleanly', async () => {
    const db = uniqueName('mcp_mon');
    try {
      const p = await startProcess(loadConfig(env({ MCP_ROLES: 'monitor', MCP_DB_URL: `${SERVICES.mysql}/${db}`, MCP_HA_CHECK_INTERVAL_MS: '100' })), () => {});
      try {
        const role = p.roles[0] as RunningMonitor;
        expect(role.name).toBe('monitor');
        const st = await waitFor('a healthy check as the leader', () => {
          const s = role.status();
          return s.leader && s.primaryReachable && s.lastDecision?.action === 'none' ? s : undefined;
        });
        expect(st.lastDecision).toEqual({ action: 'none', reason: 'healthy' });
        expect(st.blockedSince).toBeNull();
        const lock = await p.platform.database.db.selectFrom('ops_locks').select('holder').where('name', '=', 'ha:monitor').executeTakeFirst();
        expect(lock?.holder).toBeTruthy();
      } finally {
        await p.shutdown();
      }
    } finally {
      await dropDatabase(db);
    }
  });
});
