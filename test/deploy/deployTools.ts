/**
 * Shared helpers for the checks of deploy/nginx, deploy/k8s, deploy/systemd and deploy/compose: the
 * real tools (Debian's nginx, kubectl's kustomize, systemd-analyze, openssl), each missing one a
 * failure naming its package (test/support/install-test-tools.sh installs them), never a skip.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { assertSucceeded, DEPLOY, requireBinary, run } from './helpers.js';

const PACKAGE_OF: Record<string, string> = {
  nginx: 'nginx',
  kubectl: 'kubernetes-client',
  'systemd-analyze': 'systemd',
  openssl: 'openssl',
};

/** Absolute path of a tool; throws naming the Debian package that provides it. */
export function tool(name: string): string {
  return requireBinary(name, `run \`apt-get install -y ${PACKAGE_OF[name] ?? name}\` (or bash test/support/install-test-tools.sh)`);
}

// ---------------------------------------------------------------- Kubernetes

export const K8S = path.join(DEPLOY, 'k8s');
export const OVERLAYS = ['all-in-one', 'split', 'dev', 'test', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

/** `kubectl kustomize deploy/k8s/overlays/<overlay>`: the objects it renders. */
export async function renderOverlay(overlay: Overlay): Promise<K8sObject[]> {
  const r = await run(tool('kubectl'), ['kustomize', path.join(K8S, 'overlays', overlay)], { timeoutMs: 30_000 });
  assertSucceeded(r);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((d): d is K8sObject => d !== null);
}

// ---------------------------------------------------------------- nginx

export const NGINX = path.join(DEPLOY, 'nginx');
export type Site = 'split' | 'all-in-one';
export const SITE_FILE: Record<Site, string> = { split: 'mcp-platform-split.conf', 'all-in-one': 'mcp-platform.conf' };

export interface NginxPrefix {
  dir: string;
  conf: string;
  /** `-p <dir> -c <conf> -g 'pid …; error_log stderr;'` plus what is given. */
  args(extraGlobal?: string): string[];
  log(): string;
  cleanup(): void;
}

/**
 * A copy of deploy/nginx under a temporary prefix, as an operator installs it (conf.d/ and
 * snippets/ under /etc/nginx, the http-level file and one site), with every absolute path rewritten
 * into the prefix, the listen ports replaced (80 → `http`, 443 → `https`, IPv6 listens dropped), a
 * self-signed certificate where the TLS example expects one, and `upstreams` replacing the site's
 * upstream file when given (the real request tests point it at processes they started).
 */
export async function nginxPrefix(site: Site, opts: { http: number; https: number; upstreams?: string }): Promise<NginxPrefix> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-nginx-'));
  const etc = path.join(dir, 'etc/nginx');
  mkdirSync(path.join(etc, 'conf.d'), { recursive: true });
  mkdirSync(path.join(dir, 'log'));
  mkdirSync(path.join(etc, 'tls'));
  cpSync(path.join(NGINX, 'snippets'), path.join(etc, 'snippets'), { recursive: true });
  for (const f of ['mcp-platform-http.conf', SITE_FILE[site]]) cpSync(path.join(NGINX, 'conf.d', f), path.join(etc, 'conf.d', f));
  if (opts.upstreams !== undefined) writeFileSync(path.join(etc, 'snippets', site === 'split' ? 'mcp-upstreams-split.conf' : 'mcp-upstreams.conf'), opts.upstreams);
  for (const sub of ['conf.d', 'snippets']) {
    for (const f of readdirSync(path.join(etc, sub))) {
      const file = path.join(etc, sub, f);
      const text = readFileSync(file, 'utf8')
        .replaceAll('/etc/nginx/', `${etc}/`)
        .replaceAll('/var/log/nginx/', `${dir}/log/`)
        .replace(/^\s*listen \[::\]:\d+[^;]*;\n/gm, '')
        .replace(/listen 80;/g, `listen 127.0.0.1:${opts.http};`)
        .replace(/listen 443 /g, `listen 127.0.0.1:${opts.https} `);
      writeFileSync(file, text);
    }
  }
  assertSucceeded(
    await run(tool('openssl'), [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      path.join(etc, 'tls/mcp-platform.key'),
      '-out',
      path.join(etc, 'tls/mcp-platform.crt'),
    ]),
  );
  const conf = path.join(etc, 'nginx.conf');
  // the frame Debian's /etc/nginx/nginx.conf gives conf.d/: events, http, mime types; temporary
  // files inside the prefix so nothing under /var/lib/nginx is needed
  writeFileSync(
    conf,
    `worker_processes 1;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${dir}/log/access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    include ${etc}/conf.d/*.conf;
}
`,
  );
  mkdirSync(path.join(dir, 'tmp'));
  return {
    dir,
    conf,
    args: (extraGlobal = '') => ['-p', dir, '-c', conf, '-g', `pid ${dir}/nginx.pid; error_log stderr; ${extraGlobal}`.trim()],
    log: () => {
      try {
        return readFileSync(path.join(dir, 'log/mcp-platform.access.log'), 'utf8');
      } catch {
        return '';
      }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------- config names

/** Every MCP_* name src/config/config.ts reads, and `<secret>_FILE` for its secrets. */
export function configVariableNames(): { names: Set<string>; secrets: Set<string> } {
  const src = readFileSync(path.join(DEPLOY, '..', 'src/config/config.ts'), 'utf8');
  // quoted ('MCP_PORT') or read as a property (src.MCP_DATA_DIR)
  const names = new Set([...src.matchAll(/['.](MCP_[A-Z0-9_]+)\b/g)].map((m) => m[1] as string));
  const block = /const SECRET_VARS = \[([^\]]*)\]/.exec(src)?.[1] ?? '';
  const secrets = new Set([...block.matchAll(/'(MCP_[A-Z0-9_]+)'/g)].map((m) => m[1] as string));
  for (const s of secrets) names.add(`${s}_FILE`);
  return { names, secrets };
}
