import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogging } from '../../src/observability/logging.js';
import { RotatingFile } from '../../src/observability/rotatingFile.js';

/** Log retention and the one time basis of rotation (issue 9 D3). */
describe('rotating log files', () => {
  let dir: string;
  const savedTz = process.env.TZ;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-rotate-'));
    process.env.TZ = 'Asia/Shanghai'; // UTC+8, no DST: a local day differs from the UTC day
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const DAY = 86_400_000;
  /** A rotated file of `name` whose last write was `days` ago (relative to `now`). */
  function oldFile(name: string, days: number, now: Date): string {
    const f = join(dir, name);
    writeFileSync(f, 'old line\n');
    const t = new Date(now.getTime() - days * DAY);
    utimesSync(f, t, t);
    return name;
  }

  it('the platform logging deletes rotated files past each category’s retention when it opens (30/30/90/180 days)', async () => {
    const now = new Date();
    oldFile('app-20260101-000000-000.log', 31, now);
    oldFile('app-20260201-000000-000.log', 29, now);
    oldFile('error-20260101-000000-000.log', 89, now);
    oldFile('error-20250101-000000-000.log', 91, now);
    oldFile('audit-20250801-000000-000.log', 179, now);
    oldFile('audit-20250501-000000-000.log', 181, now);
    oldFile('access-20250501-000000-000.log', 31, now);
    oldFile('unrelated-20250101-000000-000.log', 400, now);
    const logging = createLogging({
      dir,
      level: 'info',
      format: 'text',
      files: true,
      console: 'off',
      maxBytes: { app: 1 << 20, access: 1 << 20, error: 1 << 20, audit: 1 << 20 },
      retentionDays: { app: 30, access: 30, error: 90, audit: 180 },
    });
    await logging.close();
    expect(readdirSync(dir).sort()).toEqual(
      [
        'access.log',
        'app-20260201-000000-000.log',
        'app.log',
        'audit-20250801-000000-000.log',
        'audit.log',
        'error-20260101-000000-000.log',
        'error.log',
        'unrelated-20250101-000000-000.log',
      ].sort(),
    );
  });

  it('a rotation prunes too: a long-running process keeps only the retention', async () => {
    let now = new Date('2026-11-30T03:00:00Z');
    const file = new RotatingFile(join(dir, 'app.log'), 1 << 20, { retentionDays: 30, now: () => now });
    file.write('first day\n');
    // a file that becomes too old while the process runs
    oldFile('app-20261029-120000-000.log', 29, now);
    now = new Date(now.getTime() + 2 * DAY);
    file.write('two days later\n'); // the day changed: rotation, then pruning
    await file.close();
    const names = readdirSync(dir).sort();
    expect(names).not.toContain('app-20261029-120000-000.log');
    expect(names).toEqual(['app-20261130-110000-000.log', 'app.log']);
  });

  it('rotates at local midnight and names the rotated file by the local time of its last line', async () => {
    // 23:59 and 00:01 in Shanghai are 15:59 and 16:01 UTC on the same UTC day
    let now = new Date('2026-11-30T15:59:00Z');
    const file = new RotatingFile(join(dir, 'app.log'), 1 << 20, { now: () => now });
    file.write('late on 30 November\n');
    now = new Date('2026-11-30T16:01:00Z');
    file.write('early on 1 December\n');
    await file.close();
    const rotated = readdirSync(dir).filter((f) => f !== 'app.log');
    expect(rotated).toEqual(['app-20261130-235900-000.log']);
    expect(readFileSync(join(dir, rotated[0]!), 'utf8')).toBe('late on 30 November\n');
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe('early on 1 December\n');
  });

  it('a file left by yesterday’s run is rotated before today’s first line', async () => {
    writeFileSync(join(dir, 'app.log'), 'yesterday\n');
    const yesterday = new Date('2026-11-29T10:00:00+08:00');
    utimesSync(join(dir, 'app.log'), yesterday, yesterday);
    const file = new RotatingFile(join(dir, 'app.log'), 1 << 20, { now: () => new Date('2026-11-30T09:00:00+08:00') });
    file.write('today\n');
    await file.close();
    expect(readdirSync(dir).sort()).toEqual(['app-20261129-100000-000.log', 'app.log']);
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe('today\n');
  });
});
