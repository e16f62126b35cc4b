// The split gateway of deploy/nginx installed under a temporary prefix, as an operator installs it
// (conf.d/ and snippets/ under /etc/nginx, the http-level file and the split site), with every
// absolute path rewritten into the prefix, the listen ports replaced (80 → `http`, 443 → `https`,
// IPv6 listens dropped), a self-signed certificate for the TLS example server, and the module ports
// of snippets/mcp-upstreams-split.conf replaced by the ones this run uses (the shipped upstream
// blocks are kept: max_fails, keepalive 32, keepalive_timeout). Ported from
// test/deploy/deployTools.ts `nginxPrefix` (bench scripts do not import TypeScript).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/children.mjs';
import { BenchError } from '../lib/settings.mjs';

const NGINX = path.join(ROOT, 'deploy/nginx');
const SITE = 'mcp-platform-split.conf';
const UPSTREAMS = 'mcp-upstreams-split.conf';

/** Absolute path of an executable on PATH or in the usual system directories; undefined if absent. */
export function findBinary(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Writes the prefix. `ports` maps each module to its port; `workers` is nginx's worker_processes.
 * Returns `{ dir, args, pidFile }`: `args` for `nginx` in the foreground with its master process.
 */
export function installGateway({ http, https, ports, workers }) {
  const openssl = findBinary('openssl');
  if (!openssl) throw new BenchError('openssl not found (the TLS example server of the gateway needs a certificate): apt-get install -y openssl');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-bench-nginx-'));
  const etc = path.join(dir, 'etc/nginx');
  mkdirSync(path.join(etc, 'conf.d'), { recursive: true });
  mkdirSync(path.join(dir, 'log'));
  mkdirSync(path.join(dir, 'tmp'));
  mkdirSync(path.join(etc, 'tls'));
  cpSync(path.join(NGINX, 'snippets'), path.join(etc, 'snippets'), { recursive: true });
  for (const f of ['mcp-platform-http.conf', SITE]) cpSync(path.join(NGINX, 'conf.d', f), path.join(etc, 'conf.d', f));

  // the module ports: each `upstream mcp_<module> { server 127.0.0.1:<port> …` of the shipped file
  const upstreamFile = path.join(etc, 'snippets', UPSTREAMS);
  let upstreams = readFileSync(upstreamFile, 'utf8');
  for (const [module, port] of Object.entries(ports)) {
    const re = new RegExp(`(upstream mcp_${module} \\{\\s*server )127\\.0\\.0\\.1:\\d+`);
    if (!re.test(upstreams)) throw new BenchError(`deploy/nginx/snippets/${UPSTREAMS} has no "upstream mcp_${module} { server 127.0.0.1:<port>" block`);
    upstreams = upstreams.replace(re, `$1127.0.0.1:${port}`);
  }
  writeFileSync(upstreamFile, upstreams);

  for (const sub of ['conf.d', 'snippets']) {
    for (const f of readdirSync(path.join(etc, sub))) {
      const file = path.join(etc, sub, f);
      const text = readFileSync(file, 'utf8')
        .replaceAll('/etc/nginx/', `${etc}/`)
        .replaceAll('/var/log/nginx/', `${dir}/log/`)
        .replace(/^\s*listen \[::\]:\d+[^;]*;\n/gm, '')
        .replace(/listen 80;/g, `listen 127.0.0.1:${http};`)
        .replace(/listen 443 /g, `listen 127.0.0.1:${https} `);
      writeFileSync(file, text);
    }
  }
  execFileSync(
    openssl,
    [
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
    ],
    { stdio: 'ignore' },
  );
  // the frame Debian's /etc/nginx/nginx.conf gives conf.d/ (events, http, mime types), temporary
  // files inside the prefix
  const conf = path.join(etc, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers};
events { worker_connections 4096; }
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
  const pidFile = path.join(dir, 'nginx.pid');
  return { dir, pidFile, args: ['-p', dir, '-c', conf, '-g', `pid ${pidFile}; error_log stderr; daemon off;`] };
}
