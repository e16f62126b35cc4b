import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../support/cli.js';

/** `serve` runs the roles of MCP_ROLES; a bad value is a configuration error like any other. */
describe('process roles from the CLI', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'mcp-cli-roles-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a bad MCP_ROLES is one line naming the variable, exit 2, nothing created', async () => {
    const fresh = join(dir, 'never');
    const cases: [Record<string, string>, RegExp][] = [
      [{ MCP_ROLES: 'web,webb' }, /^错误: 配置错误: MCP_ROLES: 未知的角色 "webb"；可用角色：web, scheduler, stream, relay, watchdog, monitor$/],
      [{ MCP_ROLES: 'web,monitr', MCP_LANG: 'en' }, /^error: configuration error: MCP_ROLES: unknown role "monitr"; available: web, scheduler, stream, relay, watchdog, monitor$/],
    ];
    for (const [extra, pattern] of cases) {
      const r = await runCli(['serve'], { MCP_DATA_DIR: fresh, MCP_LOG_DIR: join(dir, 'logs'), ...extra });
      expect(r.code, JSON.stringify(extra)).toBe(2);
      expect(r.stderr.trim()).toMatch(pattern);
    }
    expect(() => statSync(fresh)).toThrow();
  });

  it('serve with MCP_ROLES=scheduler runs the scheduler without HTTP and stops cleanly on SIGTERM', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_CONSOLE: 'off',
      MCP_ADMIN_PASSWORD: 'Roles-Test-Pass!1',
      MCP_ROLES: 'scheduler',
      MCP_LANG: 'en',
    };
    const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    for (let i = 0; i < 300 && !out.includes('platform running'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('platform running (roles: scheduler; no HTTP)');
    expect(out).not.toMatch(/https?:\/\//);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped cleanly');
  });
});
