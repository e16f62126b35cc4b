// Child processes of a benchmark: node servers started with the orphan guard, free ports, a clean
// environment.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchError } from './settings.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const ROOT = path.resolve(HERE, '../..');

/** The trimmed stdout of a command run in the repository root, or undefined when it fails. */
export function tryExec(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** This process's environment without MCP_* and OTEL_* (a child gets only what the run sets), in production mode. */
export function childEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MCP_') && !k.startsWith('OTEL_')));
  return { ...env, NODE_ENV: 'production', ...extra };
}

export const describeExit = (e) => (e.signal ? `signal ${e.signal}` : `exit code ${e.code}`);

/**
 * Starts `node <args>` in the repository root with the orphan guard preloaded (and a CPU profile
 * into `cpuProfDir` when given), keeping the last 60 lines of its output in `tail`. Its `stop()`
 * sends SIGTERM and, after 20 s, SIGKILL; it is registered with `onCleanup`.
 */
export function startNodeChild(name, args, env, { cpuProfDir, onCleanup, progress }) {
  const nodeArgs = ['--import', pathToFileURL(path.join(HERE, 'orphan-guard.mjs')).href];
  if (cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}-${process.pid}.cpuprofile`);
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const keep = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line);
    if (tail.length > 60) tail.splice(0, tail.length - 60);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exit;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve((exit = { code, signal })));
    child.once('error', (err) => {
      keep(Buffer.from(`spawn error: ${err.message}`));
      resolve((exit = { code: -1, signal: null }));
    });
  });
  const proc = {
    name,
    pid: child.pid,
    tail,
    exited,
    get exit() {
      return exit;
    },
    async stop() {
      if (exit) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        progress(`${name} did not stop within 20 s of SIGTERM; killing it`);
        child.kill('SIGKILL');
      }, 20_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  onCleanup(`stop ${name}`, () => proc.stop());
  progress(`${name}: started (pid ${child.pid})`);
  return proc;
}

/** Polls `url` until it answers 200; fails early, with the child's output, if the child exits. */
export async function waitReady(proc, url, { timeoutMs = 90_000, headers = {} } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (proc.exit) throw new BenchError(`${proc.name} exited (${describeExit(proc.exit)}) before it was ready; its last output:\n  ${proc.tail.join('\n  ')}`);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${body.slice(0, 300)}`;
    } catch (e) {
      last = e?.cause?.code ?? e?.message ?? String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new BenchError(`${proc.name} not ready at ${url} after ${timeoutMs / 1000} s (${last}); its last output:\n  ${proc.tail.join('\n  ')}`);
}
