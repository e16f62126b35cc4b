import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * test/support/install-test-tools.sh (`pretest`, and .ci/run): which packages it installs and how,
 * run with a PATH of fakes — an `apt-get` that records its calls (and "installs" by creating the
 * commands), an `id` that says who we are — so the machine's packages are never touched.
 */
const SCRIPT = fileURLToPath(new URL('../support/install-test-tools.sh', import.meta.url));
const ALL_COMMANDS = [
  'promtool',
  'prometheus',
  'amtool',
  'prometheus-mysqld-exporter',
  'zstd',
  'mariadb-dump',
  'mariadb',
  'mariadb-binlog',
  'mariadb-install-db',
  'nginx',
  'kubectl',
  'systemd-analyze',
  'openssl',
  'chromium',
];
/** Files a package installs that the script looks for (under MCP_TEST_TOOLS_ROOT = the fake root here). */
const ALL_FILES = ['/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'];

describe('install-test-tools.sh', () => {
  let bin: string;
  let calls: string;

  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'mcp-tools-'));
    calls = join(bin, 'apt-get.calls');
    fake('id', 'echo 0');
    // records "<DEBIAN_FRONTEND> <args>"; `install` creates every tool
    fake(
      'apt-get',
      `echo "\${DEBIAN_FRONTEND:-unset} $*" >> ${calls}\nif [ "$1" = install ]; then for c in ${ALL_COMMANDS.join(' ')}; do printf '#!/bin/sh\\n' > ${bin}/$c; chmod +x ${bin}/$c; done; for f in ${ALL_FILES.join(' ')}; do /bin/mkdir -p "${bin}\${f%/*}"; : > "${bin}$f"; done; fi\nexit \${FAKE_APT_EXIT:-0}`,
    );
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  function fake(name: string, body: string): void {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const run = (env: Record<string, string> = {}) => spawnSync('/bin/bash', [SCRIPT], { env: { PATH: bin, MCP_TEST_TOOLS_ROOT: bin, ...env }, encoding: 'utf8' });
  const aptCalls = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);

  it('installs nothing and calls no apt-get when every tool is on PATH', () => {
    for (const c of ALL_COMMANDS) fake(c, 'true');
    for (const f of ALL_FILES) {
      mkdirSync(dirname(join(bin, f)), { recursive: true });
      writeFileSync(join(bin, f), '');
    }
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(aptCalls()).toEqual([]);
  });

  it('on a fresh machine: one apt-get update, then one non-interactive install of every missing package', () => {
    const r = run();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(aptCalls()).toEqual([
      'noninteractive update -qq',
      'noninteractive install -y -qq --no-install-recommends prometheus prometheus-alertmanager prometheus-mysqld-exporter zstd mariadb-client mariadb-server nginx kubernetes-client systemd openssl chromium fonts-wqy-microhei',
    ]);
    expect(r.stdout).toContain('installed prometheus prometheus-alertmanager');
  });

  it('installs only what is missing; an alternative command (mysqldump) counts', () => {
    for (const c of ALL_COMMANDS.filter((c) => c !== 'amtool' && c !== 'mariadb-dump')) fake(c, 'true');
    fake('mysqldump', 'true');
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    // the font is a file, missing under the fake root too
    expect(aptCalls()).toEqual(['noninteractive update -qq', 'noninteractive install -y -qq --no-install-recommends prometheus-alertmanager fonts-wqy-microhei']);
  });

  it('not root and no sudo: a clear message naming the packages, exit 1, nothing run', () => {
    fake('id', 'echo 1000');
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/installing needs root: run 'sudo apt-get install prometheus .*mariadb-server nginx kubernetes-client systemd openssl chromium fonts-wqy-microhei'/);
    expect(aptCalls()).toEqual([]);
  });

  it('a failing apt-get: a clear message and a non-zero exit', () => {
    const r = run({ FAKE_APT_EXIT: '100' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('apt-get update failed; install prometheus');
  });

  it('npm test and CI use it: pretest runs it, .ci/run calls it and keeps no package list of its own', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('bash test/support/install-test-tools.sh');
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    expect(ci).toContain('test/support/install-test-tools.sh');
    expect(ci).not.toContain('apt-get install');
  });
});
