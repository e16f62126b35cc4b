import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("console")';

/** Issue 13 item 1: the built console at `/`, from the platform's own server. */
describe('serving the console', () => {
  let dist: string;
  let tp: TestPlatform;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'mcp-console-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), SCRIPT);
    writeFileSync(join(dist, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
    tp = await startTestPlatform('embedded', { env: { MCP_CONSOLE_DIR: dist } });
  });
  afterAll(async () => {
    await tp?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('/ is index.html with no-cache; hashed assets are cached for a year, immutable; the favicon is served', async () => {
    const root = await tp.request({ method: 'GET', url: '/' });
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toMatch(/^text\/html/);
    expect(root.body).toBe(INDEX);
    expect(root.headers['cache-control']).toBe('no-cache');
    const asset = await tp.request({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.status).toBe(200);
    expect(asset.body).toBe(SCRIPT);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await tp.request({ method: 'GET', url: '/favicon.ico' });
    expect(icon.status).toBe(200);
    expect(icon.headers['cache-control']).not.toMatch(/immutable/);
  });

  it('any other GET outside /api, /health, /ready, /metrics gets index.html (client-side routes survive a reload)', async () => {
    for (const url of ['/users', '/backups/123?tab=jobs', '/audit/logs', '/index.html']) {
      const res = await tp.request({ method: 'GET', url });
      expect(res.status, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('an unknown /api path stays the JSON 404, and so do a missing asset and unknown probes; the API and probes still answer', async () => {
    for (const url of ['/api/no/such/thing', '/api', '/assets/missing-999.js', '/health/x', '/metrics/x']) {
      const res = await tp.request({ method: 'GET', url });
      expect(res.status, url).toBe(404);
      expect(res.body.error.code, url).toBe('NOT_FOUND');
    }
    expect((await tp.request({ method: 'POST', url: '/users' })).status).toBe(404);
    expect((await tp.request({ method: 'GET', url: '/health' })).body.status).toBe('ok');
    expect((await tp.request({ method: 'GET', url: '/api/users' })).status).toBe(401);
    expect((await tp.request({ method: 'GET', url: '/api/openapi.json' })).status).toBe(200);
  });

  it('without a build, / says the console is not built (npm run build) and the favicon still exists', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mcp-console-none-'));
    const bare = await startTestPlatform('embedded', { env: { MCP_CONSOLE_DIR: join(empty, 'dist') } });
    try {
      const root = await bare.request({ method: 'GET', url: '/' });
      expect(root.status).toBe(200);
      expect(root.headers['content-type']).toMatch(/^text\/html/);
      expect(String(root.body)).toContain('npm run build');
      expect(String(root.body)).toContain('尚未构建');
      expect(String(root.body)).not.toMatch(/<script/);
      expect((await bare.request({ method: 'GET', url: '/favicon.ico' })).status).toBe(200);
      expect((await bare.request({ method: 'GET', url: '/api/nothing' })).status).toBe(404);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
