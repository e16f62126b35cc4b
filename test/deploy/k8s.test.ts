import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatform, prepareSchema } from '../../src/app/platform.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogging, loggingConfigFrom } from '../../src/observability/logging.js';
import { createApp } from '../../src/server/app.js';
import { AVAILABLE_MODULES, MODULE_PORTS, type ModuleName } from '../../src/config/modules.js';
import { CLI } from '../support/cli.js';
import { configVariableNames, type K8sObject, OVERLAYS, type Overlay, renderOverlay } from './deployTools.js';
import { run } from './helpers.js';

/**
 * deploy/k8s rendered by kustomize (`kubectl kustomize`, as Debian's kubernetes-client has it),
 * every object validated against the Kubernetes schemas (kubernetes-models), then cross-checked
 * against the code (probe routes, ports, env names, CLI commands) and the manual (§6.4.1 resources
 * and probes, §8.3.3 HPA, §8.2 tiers).
 */

/** Manual §6.4.1: each replica's resources. */
const RESOURCES_641 = { requests: { memory: '512Mi', cpu: '500m' }, limits: { memory: '1Gi', cpu: '1000m' } };
/** Manual §8.3.3, the HPA spec as written (the target's name aside). */
const HPA_833 = {
  minReplicas: 2,
  maxReplicas: 10,
  metrics: [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
  ],
  behavior: {
    scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
    scaleUp: {
      stabilizationWindowSeconds: 60,
      policies: [
        { type: 'Percent', value: 100, periodSeconds: 60 },
        { type: 'Pods', value: 2, periodSeconds: 60 },
      ],
      selectPolicy: 'Max',
    },
  },
};
/** Manual §8.2: application servers per tier (count × size). */
const TIERS_82: Record<'dev' | 'test' | 'prod', { servers: number; cpu: string; memory: string }> = {
  dev: { servers: 1, cpu: '4', memory: '8Gi' }, // 4核8G × 1
  test: { servers: 2, cpu: '4', memory: '8Gi' }, // 4核8G × 2
  prod: { servers: 4, cpu: '8', memory: '16Gi' }, // 8核16G × 4
};

const rendered = new Map<Overlay, K8sObject[]>();
const routes: string[] = [];
const { names: CONFIG_NAMES, secrets: SECRET_NAMES } = configVariableNames();

beforeAll(async () => {
  await Promise.all(OVERLAYS.map(async (o) => rendered.set(o, await renderOverlay(o))));
  // the routes the HTTP server registers (probes must hit real ones)
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-k8s-routes-'));
  const config = loadConfig({ MCP_ENV: 'test', MCP_DATA_DIR: dir, MCP_LOG_DIR: path.join(dir, 'logs'), MCP_LOG_LEVEL: 'silent' });
  const platform = createPlatform(config, { logging: createLogging(loggingConfigFrom(config, true)) });
  try {
    await prepareSchema(platform);
    const app = await createApp(platform);
    for (const url of ['/health', '/ready', '/metrics', '/no-such-probe']) if (app.hasRoute({ method: 'GET', url })) routes.push(url);
    await app.close();
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

afterAll(() => rendered.clear());

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
type Pod = any;
const podSpecs = (objects: K8sObject[]): { owner: string; pod: Pod }[] =>
  objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job').map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, pod: o.spec.template.spec }));

/** The kubernetes-models class of an object's apiVersion and kind. */
async function modelOf(o: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : [undefined, o.apiVersion];
  const specifier = `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  const model = mod[o.kind];
  if (typeof model !== 'function') throw new Error(`kubernetes-models has no ${o.apiVersion} ${o.kind}`);
  return model as new (
    data: unknown,
  ) => { validate(): void };
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = () => rendered.get(overlay) ?? [];

  it('every rendered object is valid against the Kubernetes schemas', async () => {
    expect(objects().length).toBeGreaterThan(4);
    const invalid: string[] = [];
    for (const o of objects()) {
      const Model = await modelOf(o);
      try {
        new Model(o).validate();
      } catch (e) {
        invalid.push(`${o.kind}/${o.metadata.name}: ${(e as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
  });

  it('holds no secret value: secrets are secretKeyRef references to mcp-platform-secrets', () => {
    expect(ofKind(objects(), 'Secret')).toEqual([]);
    for (const cm of ofKind(objects(), 'ConfigMap')) for (const k of Object.keys(cm.data ?? {})) expect(SECRET_NAMES.has(k), `${k} in ConfigMap`).toBe(false);
    for (const { owner, pod } of podSpecs(objects())) {
      for (const c of pod.containers) {
        for (const e of c.env ?? []) {
          if (!SECRET_NAMES.has(e.name)) continue;
          expect(e.value, `${owner} ${e.name} has a literal value`).toBeUndefined();
          expect(e.valueFrom?.secretKeyRef?.name, `${owner} ${e.name}`).toBe('mcp-platform-secrets');
        }
      }
    }
  });

  it('every environment variable is one the platform reads, and the config loader accepts the whole set', () => {
    const configMaps = new Map(ofKind(objects(), 'ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
    for (const { owner, pod } of podSpecs(objects())) {
      for (const c of pod.containers) {
        const env: Record<string, string> = {};
        for (const from of c.envFrom ?? []) {
          const data = configMaps.get(from.configMapRef?.name);
          expect(data, `${owner}: envFrom names a ConfigMap the overlay does not render`).toBeDefined();
          Object.assign(env, data);
        }
        for (const e of c.env ?? []) env[e.name] = e.value ?? (SECRET_NAMES.has(e.name) ? sampleSecret(e.name) : '');
        const unknown = Object.keys(env).filter((n) => !CONFIG_NAMES.has(n));
        expect(unknown, `${owner}: names src/config/config.ts does not read`).toEqual([]);
        expect(() => loadConfig(env), owner).not.toThrow();
      }
    }
  });

  it('runs as non-root on a read-only root filesystem, no privilege escalation, no capabilities; every directory it writes is a volume', () => {
    for (const { owner, pod } of podSpecs(objects())) {
      expect(pod.securityContext?.runAsNonRoot, owner).toBe(true);
      expect(pod.securityContext?.runAsUser, owner).toBeGreaterThan(0);
      const volumes = new Set((pod.volumes ?? []).map((v: { name: string }) => v.name));
      for (const c of pod.containers) {
        expect(c.securityContext, `${owner}/${c.name}`).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        const configMap = ofKind(objects(), 'ConfigMap')[0]?.data ?? {};
        const mounts = (c.volumeMounts ?? []) as { name: string; mountPath: string }[];
        for (const m of mounts) expect(volumes.has(m.name), `${owner}: mount of undeclared volume ${m.name}`).toBe(true);
        const mounted = mounts.map((m) => m.mountPath);
        const writable = ['/tmp', configMap.MCP_DATA_DIR, configMap.MCP_LOG_DIR, ...(owner.startsWith('Deployment') ? [configMap.MCP_BACKUP_DIR] : [])];
        for (const dir of writable) expect(mounted, `${owner}: ${dir} is not a volume`).toContain(dir);
      }
    }
  });

  it('probes hit /health (liveness, startup) and /ready (readiness) on the container port; services, budgets and the HPA point at real objects', () => {
    expect(routes).toEqual(['/health', '/ready', '/metrics']);
    const deployments = ofKind(objects(), 'Deployment');
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0];
      const portByName = new Map((c.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
      const port = (p: string | number) => (typeof p === 'number' ? p : portByName.get(p));
      expect(c.livenessProbe.httpGet.path).toBe('/health');
      expect(c.startupProbe.httpGet.path).toBe('/health');
      expect(c.readinessProbe.httpGet.path).toBe('/ready');
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(port(probe.httpGet.port)).toBe(c.ports[0].containerPort);
      // §6.4.1 / §6.4.2 timings
      expect(c.livenessProbe).toMatchObject({ initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
      expect(c.readinessProbe).toMatchObject({ initialDelaySeconds: 5, periodSeconds: 5 });
      const podLabels = d.spec.template.metadata.labels as Record<string, string>;
      expect(podLabels).toMatchObject(d.spec.selector.matchLabels);
      const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
      const services = ofKind(objects(), 'Service').filter((s) => selects(s.spec.selector));
      expect(services.map((s) => s.metadata.name)).toEqual([d.metadata.name]);
      expect(port(services[0]?.spec.ports[0].targetPort)).toBe(c.ports[0].containerPort);
      for (const claim of d.spec.template.spec.volumes.filter((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim))
        expect(ofKind(objects(), 'PersistentVolumeClaim').map((p) => p.metadata.name)).toContain(claim.persistentVolumeClaim.claimName);
      if (overlay !== 'dev') {
        expect(ofKind(objects(), 'PodDisruptionBudget').filter((p) => selects(p.spec.selector.matchLabels))).toHaveLength(1);
        expect(
          ofKind(objects(), 'HorizontalPodAutoscaler').filter((h) => h.spec.scaleTargetRef.name === d.metadata.name && h.spec.scaleTargetRef.kind === 'Deployment'),
        ).toHaveLength(1);
      }
    }
  });
});

describe('the manual’s figures and the code’s ports and commands', () => {
  it('all-in-one: the §6.4.1 Deployment (3 replicas, the resources as written) on the default MCP port, migration Job first', () => {
    const objects = rendered.get('all-in-one') ?? [];
    const [d] = ofKind(objects, 'Deployment');
    expect(d?.metadata.name).toBe('mcp-platform');
    expect(d?.spec.replicas).toBe(3);
    const c = d?.spec.template.spec.containers[0];
    expect(c.resources).toEqual(RESOURCES_641);
    expect(c.command).toEqual(['mcp-platform', 'serve']);
    expect(c.ports[0].containerPort).toBe(loadConfig({}).port);
    expect(ofKind(objects, 'ConfigMap')[0]?.data?.MCP_PORT).toBe(String(loadConfig({}).port));
    const [job] = ofKind(objects, 'Job');
    expect(job?.spec.template.spec.containers[0].command).toEqual(['mcp-platform', 'migrate']);
  });

  it('the HPA is §8.3.3 exactly: 2–10 replicas, CPU 70 %, memory 80 %, the scale-up and scale-down policies', () => {
    for (const overlay of ['all-in-one', 'split'] as const) {
      for (const hpa of ofKind(rendered.get(overlay) ?? [], 'HorizontalPodAutoscaler')) {
        expect(hpa.apiVersion).toBe('autoscaling/v2');
        const { scaleTargetRef, ...spec } = hpa.spec;
        expect(spec).toEqual(HPA_833);
      }
    }
  });

  it('split: one Deployment per available module, `serve --only <module>` on the module’s manual port', () => {
    const objects = rendered.get('split') ?? [];
    const byModule = new Map<string, K8sObject>();
    for (const d of ofKind(objects, 'Deployment')) {
      const c = d.spec.template.spec.containers[0];
      expect(c.command.slice(0, 3)).toEqual(['mcp-platform', 'serve', '--only']);
      const module = c.command[3] as ModuleName;
      byModule.set(module, d);
      expect(c.ports[0].containerPort).toBe(MODULE_PORTS[module]);
      expect(c.resources).toEqual(RESOURCES_641);
      const svc = ofKind(objects, 'Service').find((s) => s.metadata.name === d.metadata.name);
      expect(svc?.spec.ports[0].port).toBe(MODULE_PORTS[module]);
    }
    expect([...byModule.keys()].sort()).toEqual([...AVAILABLE_MODULES].sort());
    // the scheduler (scheduled backups) runs in exactly one module, the relay and watchdog in one
    const roles = [...byModule.values()].map((d) => d.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'MCP_ROLES')?.value as string);
    expect(roles.filter((r) => r.split(',').includes('scheduler'))).toHaveLength(1);
    expect(roles.filter((r) => r.split(',').includes('relay'))).toHaveLength(1);
  });

  it('tiers: one replica per §8.2 application server, each limited to that server’s size; requests stay §6.4.1', () => {
    for (const tier of ['dev', 'test', 'prod'] as const) {
      const objects = rendered.get(tier) ?? [];
      const [d] = ofKind(objects, 'Deployment');
      const want = TIERS_82[tier];
      expect(d?.spec.replicas, tier).toBe(want.servers);
      const r = d?.spec.template.spec.containers[0].resources;
      expect(r.requests, tier).toEqual(RESOURCES_641.requests);
      expect(r.limits, tier).toEqual({ cpu: want.cpu, memory: want.memory });
      const hpa = ofKind(objects, 'HorizontalPodAutoscaler');
      if (want.servers === 1) {
        expect(hpa, tier).toEqual([]);
        expect(ofKind(objects, 'PodDisruptionBudget'), tier).toEqual([]);
      } else {
        expect(hpa[0]?.spec.minReplicas, tier).toBe(want.servers);
        expect(hpa[0]?.spec.maxReplicas, tier).toBe(HPA_833.maxReplicas);
        expect(hpa[0]?.spec.behavior, tier).toEqual(HPA_833.behavior);
      }
    }
  });

  it('the commands the manifests run exist in the built CLI (`serve --only`, `migrate`)', async () => {
    const serve = await run(process.execPath, [CLI, '--lang', 'en', 'serve', '--help']);
    expect(serve.code, serve.stderr).toBe(0);
    expect(serve.stdout).toMatch(/--only <module>/);
    for (const m of AVAILABLE_MODULES) expect(serve.stdout).toContain(`"${m}"`);
    const migrate = await run(process.execPath, [CLI, '--lang', 'en', 'migrate', '--help']);
    expect(migrate.code, migrate.stderr).toBe(0);
  });
});

function sampleSecret(name: string): string {
  if (name === 'MCP_DB_URL') return 'mysql://mcp:pw@db:3306/mcp_platform';
  if (name === 'MCP_DB_REPLICA_URLS') return 'mysql://mcp:pw@db2:3306/mcp_platform';
  if (name === 'MCP_DB_REPLICATION_URL') return 'mysql://repl:pw@db';
  if (name === 'MCP_REDIS_URL') return 'redis://cache:6379/0';
  if (name === 'MCP_AMQP_URL') return 'amqp://mcp:pw@mq:5672';
  if (name === 'MCP_SMTP_URL') return 'smtp://mail:587';
  return 'x'.repeat(40);
}
