import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { configVariableNames } from './deployTools.js';
import { ROOT } from './helpers.js';

/**
 * The Dockerfile cannot be built here (no container engine on the machines or in CI), so it is kept
 * minimal and checked against what can be checked: its commands are the README's and
 * package.json's, it runs Node 24 LTS, the final stage has production dependencies only, runs as a
 * non-root user and starts `mcp-platform serve` on the platform's default port.
 */
interface Stage {
  from: string;
  name?: string;
  instructions: { op: string; args: string }[];
}

/** Instructions per stage (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args.set(k ?? '', v ?? '');
    } else if (upper === 'FROM') {
      const [image = '', , name] = rest.split(/\s+/);
      stages.push({ from: image.replace(/^\$\{(\w+)\}$/, (_, a: string) => args.get(a) ?? ''), name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: upper, args: rest.replace(/\s+/g, ' ') });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const runs = (s: Stage) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
const final = dockerfile.stages.at(-1) as Stage;

describe('Dockerfile', () => {
  it('every stage is Node 24 LTS slim', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of dockerfile.stages) expect(s.from).toBe('node:24-slim');
  });

  it('builds with the README’s commands: npm ci, then npm run build (a real script)', () => {
    expect(readme).toMatch(/npm ci/);
    expect(readme).toMatch(/npm run build/);
    expect(pkg.scripts.build).toBeDefined();
    const build = dockerfile.stages.find((s) => runs(s).some((r) => /\bnpm run build\b/.test(r)));
    expect(build, 'no stage runs npm run build').toBeDefined();
    const steps = runs(build as Stage);
    const ci = steps.findIndex((r) => /\bnpm ci$/.test(r) || /\bnpm ci &&/.test(r));
    expect(ci, 'the build stage runs a plain npm ci').toBeGreaterThanOrEqual(0);
    expect(ci).toBeLessThan(steps.findIndex((r) => /\bnpm run build\b/.test(r)));
  });

  it('the final stage has production dependencies only (npm ci --omit=dev) and the build output, no compiler', () => {
    const deps = dockerfile.stages.find((s) => runs(s).some((r) => /\bnpm ci --omit=dev\b/.test(r)));
    expect(deps?.name).toBeDefined();
    const copies = final.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain(`--from=${deps?.name} /app/node_modules ./node_modules`);
    // nothing else brings node_modules (the full, dev-inclusive tree of the build stage)
    expect(copies.filter((c) => c.includes('node_modules'))).toHaveLength(1);
    expect(copies.some((c) => c.endsWith('/app/dist ./dist'))).toBe(true);
    expect(runs(final).join(' ')).not.toMatch(/\b(g\+\+|gcc|make|npm ci|npm install)\b/);
  });

  it('runs as a non-root user and starts `mcp-platform serve`, the package’s bin, on the default port', () => {
    const user = final.instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
    expect(user).not.toBe('');
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(final.instructions.at(-1)).toEqual({ op: 'CMD', args: '["mcp-platform", "serve"]' });
    expect(Object.keys(pkg.bin)).toEqual(['mcp-platform']);
    expect(runs(final)).toContain(`ln -s /app/${pkg.bin['mcp-platform']} /usr/local/bin/mcp-platform`);
    const expose = final.instructions.find((i) => i.op === 'EXPOSE')?.args;
    expect(Number(expose)).toBe(loadConfig({}).port);
  });

  it('sets only real MCP_* settings, and the config loader accepts them', () => {
    const env: Record<string, string> = {};
    for (const i of final.instructions.filter((x) => x.op === 'ENV')) for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) env[m[1] as string] = m[2] as string;
    const mcp = Object.keys(env).filter((k) => k.startsWith('MCP_'));
    expect(mcp.length).toBeGreaterThan(0);
    const { names } = configVariableNames();
    expect(mcp.filter((k) => !names.has(k))).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
    // the directories it names exist in the image, owned by the platform's user
    const setup = runs(final).join(' ');
    for (const dir of [env.MCP_DATA_DIR, env.MCP_LOG_DIR, env.MCP_BACKUP_DIR]) expect(setup).toContain(` ${dir}`);
  });

  it('.dockerignore keeps dependencies, builds, local data and secrets out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['.git', 'node_modules', 'dist', 'data', 'logs', '.env', 'deploy/compose/secrets']) expect(ignored).toContain(p);
  });
});
