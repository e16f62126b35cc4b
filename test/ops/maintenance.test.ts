import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/infra/cache/createCache.js';
import { createMaintenance } from '../../src/ops/maintenance.js';

/** Issue 9 C1: the maintenance flag belongs to the operation that set it and never outlives it. */
describe('maintenance flag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-maintenance-'));
  const cache = createCache('memory:', { keyPrefix: 'test:' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const at = (offsetMs: number) => createMaintenance({ cache, dataDir: dir, now: () => new Date(Date.now() + offsetMs) });

  it('lapses when its holder stops renewing it, and is kept while it renews', async () => {
    const holder = at(0);
    await holder.enter('restore of x', { job: 'j1' });
    expect(await at(5_000).current()).toMatchObject({ reason: 'restore of x', job: 'j1' });
    expect(await at(20_000).current()).toBeUndefined(); // the process stopped renewing: off
    await holder.renew();
    expect(await at(5_000).current()).toBeDefined();
    await holder.exit();
    expect(await at(0).current()).toBeUndefined();
  });

  it('a flag left by a dead process of this host is off at once', async () => {
    const state = { reason: 'restore of y', since: new Date().toISOString(), expiresAt: new Date(Date.now() + 3_600_000).toISOString(), holder: `${hostname()}:999999` };
    writeFileSync(join(dir, 'maintenance.json'), JSON.stringify(state));
    expect(await at(0).current()).toBeUndefined();
    writeFileSync(join(dir, 'maintenance.json'), JSON.stringify({ ...state, holder: `${hostname()}:${process.pid}` }));
    expect(await at(0).current()).toMatchObject({ reason: 'restore of y' });
    rmSync(join(dir, 'maintenance.json'));
  });
});
