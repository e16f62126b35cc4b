import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configVariableNames, tool } from './deployTools.js';
import { DEPLOY, formatRun, run } from './helpers.js';
import { AVAILABLE_MODULES } from '../../src/config/modules.js';
import { AVAILABLE_ROLES } from '../../src/config/config.js';

/**
 * deploy/systemd checked by systemd itself: `systemd-analyze verify` (every directive known and
 * parsed, the command executable) and `systemd-analyze security --offline` (the hardening), on
 * copies whose ExecStart binary is replaced by /usr/bin/true (the platform is not installed here);
 * then the settings cross-checked against the code: every MCP_* name real, each *_FILE pointing at a
 * credential the unit loads, the template's module names and roles real.
 */
const SYSTEMD = path.join(DEPLOY, 'systemd');
const UNITS = ['mcp-platform.service', 'mcp-platform@.service', 'mcp-platform-backup-stream.service'];
const { names: CONFIG_NAMES } = configVariableNames();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-systemd-'));
  for (const unit of UNITS) {
    const text = readFileSync(path.join(SYSTEMD, unit), 'utf8');
    expect(text).toMatch(/^ExecStart=\/usr\/local\/bin\/mcp-platform /m);
    writeFileSync(path.join(dir, unit), text.replaceAll('/usr/local/bin/mcp-platform', '/usr/bin/true'));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `Key=value` lines of a unit (values of repeated keys in order). */
function directives(unit: string): [string, string][] {
  return readFileSync(path.join(SYSTEMD, unit), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]);
}

describe.each([
  ['mcp-platform.service', 'mcp-platform.service'],
  ['mcp-platform@.service', 'mcp-platform@auth.service'],
  ['mcp-platform-backup-stream.service', 'mcp-platform-backup-stream.service'],
])('%s', (unit, instance) => {
  it('passes systemd-analyze verify without a single warning', async () => {
    const r = await run(tool('systemd-analyze'), ['verify', '--man=no', path.join(dir, instance)]);
    expect(r.code, formatRun(r)).toBe(0);
    // unknown keys and unparsable values are only warnings to systemd: none is accepted here
    expect(r.stderr.trim(), formatRun(r)).toBe('');
  });

  it('is hardened: systemd-analyze security rates it OK (exposure below 2), with the options the manual’s deployment needs', async () => {
    const r = await run(tool('systemd-analyze'), ['security', '--offline=yes', path.join(dir, instance)]);
    const level = /Overall exposure level for .*: ([\d.]+)/.exec(r.stdout + r.stderr)?.[1];
    expect(level, formatRun(r)).toBeDefined();
    expect(Number(level)).toBeLessThan(2);
    const d = new Map(directives(unit));
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['User', 'mcp-platform'],
      ['CapabilityBoundingSet', ''],
    ] as const)
      expect(d.get(k), k).toBe(v);
  });

  it('reads only real MCP_* settings; each secret comes from a credential it loads, through %d', () => {
    const all = directives(unit);
    const credentials = new Set(all.filter(([k]) => k === 'LoadCredential').map(([, v]) => v.split(':')[0]));
    const env = all
      .filter(([k]) => k === 'Environment')
      .flatMap(([, v]) => v.split(/\s+/))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const);
    expect(env.length).toBeGreaterThan(3);
    for (const [name, value] of env) {
      expect(CONFIG_NAMES.has(name), `${name} is not a setting src/config/config.ts reads`).toBe(true);
      if (name.endsWith('_FILE')) {
        const m = /^%d\/(.+)$/.exec(value);
        expect(m, `${name}=${value} is not a credential`).not.toBeNull();
        expect(credentials.has(m?.[1] ?? ''), `${name}: no LoadCredential=${m?.[1]}`).toBe(true);
      }
    }
    // no secret value in the unit, and every credential loaded is used
    expect(all.some(([, v]) => /(_URL|_SECRET|_KEY|_TOKEN|_PASSWORD)=(?!%d\/)/.test(v))).toBe(false);
    for (const c of credentials)
      expect(
        env.some(([, v]) => v === `%d/${c}`),
        `credential ${c} unused`,
      ).toBe(true);
  });
});

describe('the module template and its examples', () => {
  it('serves one module per instance; the example per-module files name real roles and leave scheduler and relay in one module each', () => {
    const d = directives('mcp-platform@.service');
    expect(d.find(([k]) => k === 'ExecStart')?.[1]).toBe('/usr/local/bin/mcp-platform serve --only %i');
    const examples = readdirSync(path.join(SYSTEMD, 'modules'));
    const roles = new Map<string, string[]>();
    for (const f of examples) {
      const module = f.replace(/\.env$/, '');
      expect(AVAILABLE_MODULES as readonly string[]).toContain(module);
      const line = readFileSync(path.join(SYSTEMD, 'modules', f), 'utf8').match(/^MCP_ROLES=(.+)$/m)?.[1] ?? '';
      roles.set(module, line.split(','));
      for (const r of line.split(',')) expect(AVAILABLE_ROLES as readonly string[]).toContain(r);
    }
    expect([...roles].filter(([, r]) => r.includes('scheduler')).map(([m]) => m)).toEqual(['system']);
    expect([...roles].filter(([, r]) => r.includes('relay')).map(([m]) => m)).toEqual(['support']);
  });

  it('the backup stream serves its metrics on the port of the Prometheus job that scrapes it', () => {
    const exec = directives('mcp-platform-backup-stream.service').find(([k]) => k === 'ExecStart')?.[1] ?? '';
    const port = /--metrics-port (\d+)/.exec(exec)?.[1];
    const prometheus = readFileSync(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8');
    expect(prometheus).toContain(`'mcp-backup-stream:${port}'`);
  });
});
