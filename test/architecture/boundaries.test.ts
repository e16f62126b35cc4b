import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import boundaries of .dependency-cruiser.cjs (`npm run lint:imports`), kept by the suite:
 * the core never imports the HTTP layer, the CLI or the wiring; the wiring never imports an entry
 * point; no cycles.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

/** Cruises `src` under `cwd` with the project's rules; the violations as `rule: from → to` lines. */
function cruise(cwd: string): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    // depcruise exits with the number of violations: the JSON report is read whatever the code.
    execFile(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      let report: { summary: { violations: Violation[] } };
      try {
        report = JSON.parse(stdout) as typeof report;
      } catch {
        return reject(new Error(`dependency-cruiser failed: ${error?.message ?? ''} ${stderr}`));
      }
      resolvePromise(report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.cycle ? v.cycle.map((c) => c.name).join(' → ') : v.to}`));
    });
  });
}

describe('import boundaries', () => {
  it('src has no import from the core into the HTTP layer, the CLI or the wiring, and no cycle', async () => {
    expect(await cruise(ROOT)).toEqual([]);
  });

  it('a service that imports the HTTP server is reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-boundaries-'));
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
      mkdirSync(join(dir, 'src/services/user'), { recursive: true });
      mkdirSync(join(dir, 'src/server'), { recursive: true });
      writeFileSync(join(dir, 'src/server/app.ts'), 'export const app = 1;\n');
      writeFileSync(join(dir, 'src/services/user/userService.ts'), "import { app } from '../../server/app.js';\nexport const x = app;\n");
      expect(await cruise(dir)).toEqual(['core-imports-entry-or-wiring: src/services/user/userService.ts → src/server/app.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
