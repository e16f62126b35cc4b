import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PACKAGE_ROOT } from './packageRoot.js';

/**
 * The ops console (web/, built by `npm run build` into web/dist) served at `/` by every process
 * that serves HTTP — no second server. Hashed files under /assets/ are cached for a year
 * (`immutable`); index.html is `no-cache` (always revalidated, so a new build shows at once); any
 * other GET that is not under /api, /health, /ready or /metrics answers index.html (the console's
 * own routes, e.g. /users?page=2, survive a reload); an unknown /api path stays the JSON 404.
 * Without a build, `/` says so in a small page.
 */
export const DEFAULT_CONSOLE_DIR = join(PACKAGE_ROOT, 'web', 'dist');

const NOT_SPA = /^\/(api|health|ready|metrics)(\/|$|\?)/;
const ASSETS = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';
const OTHER = 'public, max-age=3600';

/** A small icon for the page without a build (and for a build without a favicon.ico). */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1677ff"/><path d="M7 22V10l5 7 5-7v12M21 10v12h5" fill="none" stroke="#fff" stroke-width="2.5" stroke-linejoin="round"/></svg>';

const NOT_BUILT = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>mcp-platform</title><link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.6;color:#222}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>
<h1>运维控制台尚未构建</h1>
<p>请在项目目录运行 <code>npm run build</code>，然后重新启动服务。API 已可用：<a href="/api/docs">/api/docs</a>。</p>
<hr>
<p lang="en">The ops console is not built. Run <code>npm run build</code> in the project directory and restart. The API works: <a href="/api/docs">/api/docs</a>.</p>
</body></html>
`;

export async function installConsole(app: FastifyInstance, opts: { dir?: string | undefined }): Promise<void> {
  const dir = resolve(opts.dir ?? DEFAULT_CONSOLE_DIR);
  const indexFile = join(dir, 'index.html');
  const built = existsSync(indexFile);

  if (!existsSync(join(dir, 'favicon.ico'))) {
    app.get('/favicon.ico', async (_req, reply) => reply.header('cache-control', OTHER).type('image/svg+xml').send(FAVICON_SVG));
  }
  if (!built) {
    app.get('/', async (_req, reply) => reply.header('cache-control', NO_CACHE).type('text/html; charset=utf-8').send(NOT_BUILT));
    return;
  }

  // index.html is read per request (a rebuild under a running server shows at once); it is small
  const sendIndex = async (reply: FastifyReply) =>
    reply
      .header('cache-control', NO_CACHE)
      .type('text/html; charset=utf-8')
      .send(await readFile(indexFile));

  // One route per built file (wildcard: false), so anything else falls through to the SPA route below.
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: false,
    decorateReply: false,
    cacheControl: false,
    globIgnore: ['index.html'],
    setHeaders: (reply, path) => {
      const rel = path.slice(dir.length).replace(/\\/g, '/');
      void reply.header('cache-control', rel.startsWith('/assets/') ? ASSETS : OTHER);
    },
  });
  app.get('/', async (_req, reply) => sendIndex(reply));
  app.get('/index.html', async (_req, reply) => sendIndex(reply));
  // The console's client-side routes: every other GET outside the API and the probes.
  app.get('/*', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    // a missing hashed asset must not turn into HTML the browser then runs as a script
    if (NOT_SPA.test(path) || path.startsWith('/assets/')) return reply.callNotFound();
    return sendIndex(reply);
  });
}
