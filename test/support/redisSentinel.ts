import { type ChildProcess, spawn } from 'node:child_process';
import { guardDir, guardProcess, releaseDir, releaseProcess } from './orphanGuard.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './mariadbServer.js';

/**
 * A private Redis Sentinel deployment for tests: one `redis-server` primary, one replica and three
 * sentinels (quorum 2), each its own process on a spare 127.0.0.1 port, all files in one temp dir,
 * no persistence (`--save ""`, no AOF). The machine's shared Redis on 6379 (and the default
 * sentinel port 26379) are never used.
 *
 * Sentinels are tuned for tests: the primary is considered down after 1 s without an answer
 * (production deployments typically use 5–30 s), so a `kill -9` is followed by a promotion in
 * about 2–4 s.
 *
 * Cleanup: `stop()` SIGKILLs every process group and removes the directory. If the test process
 * dies instead (vitest ends fork workers with SIGTERM, without an 'exit' event), a detached `awk`
 * watchdog reading a pipe from this process does the same on EOF.
 */
export const MASTER_NAME = 'mymaster';

export interface RedisSentinelCluster {
  /** `redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/mymaster` */
  readonly url: string;
  readonly sentinelPorts: readonly number[];
  /** The data servers' ports; [0] was the primary at start, [1] the replica. */
  readonly serverPorts: readonly number[];
  /** Directory holding the configs and logs (removed by `stop()`). */
  readonly dir: string;
  /** Port of the primary as the first reachable sentinel reports it. */
  primaryPort(): Promise<number>;
  /**
   * Planned failover: `SENTINEL FAILOVER mymaster`, then waits until every sentinel names the other
   * server and that server reports `role:master`. Returns the new primary's port.
   */
  failover(timeoutMs?: number): Promise<number>;
  /**
   * `kill -9` of the current primary. By default waits (like `failover`) until the sentinels have
   * promoted the replica; `waitForPromotion: false` returns right after the kill.
   */
  kill9Primary(opts?: { waitForPromotion?: boolean; timeoutMs?: number }): Promise<{ killed: number; promoted?: number }>;
  /**
   * SIGSTOP of the current primary: its process stays, its sockets stay open, it answers nothing
   * (a hung host). Waits for the promotion unless `waitForPromotion: false`. `stop()` still kills it.
   */
  freezePrimary(opts?: { waitForPromotion?: boolean; timeoutMs?: number }): Promise<{ frozen: number; promoted?: number }>;
  /** Waits until every sentinel names a primary other than `oldPort` and it answers `role:master`. */
  waitForNewPrimary(oldPort: number, timeoutMs?: number): Promise<number>;
  /**
   * Brings a killed data server back on its port, or resumes (SIGCONT) a frozen one; the sentinels
   * then turn it into a replica of the current primary. No-op for a running server.
   */
  restart(port: number): Promise<void>;
  /** One command against the server or sentinel on `port` (own short-lived connection, authenticated on data servers). */
  command(port: number, ...args: (string | number)[]): Promise<unknown>;
  /** Waits until the sentinels see a healthy replica and each other (a failover needs both). */
  waitUntilFailoverReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const REDIS_SERVER = process.env.MCP_TEST_REDIS_SERVER ?? 'redis-server';
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 6_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Process groups (cleanup even when the test process is killed: orphanGuard.ts)

function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

// ---------------------------------------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Spawns `redis-server` in its own process group; resolves once it answers PING. */
async function spawnRedis(port: number, args: string[], logFile: string, password?: string): Promise<Proc> {
  const child = spawn(REDIS_SERVER, args, { stdio: 'ignore', detached: true });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${REDIS_SERVER}`);
  guardProcess(pid, { group: true });
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      gone = true;
      releaseProcess(pid);
      resolve();
    });
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (gone) throw new Error(`redis on port ${port} exited at start:\n${tailOf(logFile)}`);
    try {
      if ((await command(port, password, 'PING')) === 'PONG') return { child, exited };
    } catch {
      /* not yet listening */
    }
    if (Date.now() > deadline) {
      killGroup(pid);
      throw new Error(`redis on port ${port} did not answer within 10 s:\n${tailOf(logFile)}`);
    }
    await sleep(50);
  }
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

async function command(port: number, password: string | undefined, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 2_000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [name, ...rest] = args;
    return await client.call(String(name), ...rest);
  } finally {
    client.disconnect();
  }
}

export interface StartRedisSentinelOptions {
  /** `requirepass`/`masterauth` of the data servers (the sentinels use it as `auth-pass`; they need none themselves). */
  password?: string;
}

export async function startRedisSentinel(opts: StartRedisSentinelOptions = {}): Promise<RedisSentinelCluster> {
  const { password } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'mcp-redis-sentinel-'));
  guardDir(dir);
  const servers = new Map<number, Proc | undefined>();
  const sentinels: Proc[] = [];
  const frozenPorts = new Set<number>();
  const serverPorts = [await freePort(), await freePort()];
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const [primary, replica] = serverPorts as [number, number];

  const serverArgs = (port: number): string[] => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--dbfilename',
    `dump-${port}.rdb`,
    '--save',
    '',
    '--appendonly',
    'no',
    '--logfile',
    join(dir, `redis-${port}.log`),
    ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
  ];
  const startServer = async (port: number, extra: string[] = []) => {
    servers.set(port, await spawnRedis(port, [...serverArgs(port), ...extra], join(dir, `redis-${port}.log`), password));
  };

  const stop = async () => {
    const all = [...servers.values(), ...sentinels].filter((p): p is Proc => p !== undefined);
    for (const p of all) if (p.child.pid !== undefined) killGroup(p.child.pid);
    await Promise.all(all.map((p) => Promise.race([p.exited, sleep(2_000)])));
    rmSync(dir, { recursive: true, force: true });
    releaseDir(dir);
  };

  try {
    await startServer(primary);
    await startServer(replica, ['--replicaof', '127.0.0.1', String(primary)]);
    for (const port of sentinelPorts) {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `logfile ${join(dir, `sentinel-${port}.log`)}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          ...(password === undefined ? [] : [`sentinel auth-pass ${MASTER_NAME} ${password}`]),
          '',
        ].join('\n'),
      );
      sentinels.push(await spawnRedis(port, [conf, '--sentinel'], join(dir, `sentinel-${port}.log`)));
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const masterAddr = async (sentinelPort: number): Promise<number | undefined> => {
    try {
      const addr = (await command(sentinelPort, undefined, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string] | null;
      return addr ? Number(addr[1]) : undefined;
    } catch {
      return undefined;
    }
  };

  const role = async (port: number): Promise<string | undefined> => {
    try {
      const reply = (await command(port, password, 'ROLE')) as unknown[];
      return String(reply[0]);
    } catch {
      return undefined;
    }
  };

  const cluster: RedisSentinelCluster = {
    url: `redis-sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER_NAME}`,
    sentinelPorts,
    serverPorts,
    dir,
    command: (port, ...args) => command(port, sentinelPorts.includes(port) ? undefined : password, ...args),
    stop,

    async primaryPort() {
      for (const port of sentinelPorts) {
        const p = await masterAddr(port);
        if (p !== undefined) return p;
      }
      throw new Error('no sentinel answered');
    },

    async waitUntilFailoverReady(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let ready = true;
        for (const port of sentinelPorts) {
          try {
            const master = await masterAddr(port);
            const replicas = (await command(port, undefined, 'SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][];
            const others = (await command(port, undefined, 'SENTINEL', 'SENTINELS', MASTER_NAME)) as unknown[];
            const healthy = replicas.some((fields) => {
              const f = Object.fromEntries(fields.flatMap((v, i, a) => (i % 2 === 0 ? [[v, a[i + 1]]] : [])));
              return f.flags === 'slave' && f['master-link-status'] === 'ok' && Number(f.port) !== master;
            });
            if (!healthy || others.length < sentinelPorts.length - 1) ready = false;
          } catch {
            ready = false;
          }
          if (!ready) break;
        }
        if (ready) return;
        if (Date.now() > deadline) throw new Error(`sentinels not ready for a failover after ${timeoutMs} ms:\n${tailOf(join(dir, `sentinel-${sentinelPorts[0]}.log`))}`);
        await sleep(100);
      }
    },

    async waitForNewPrimary(oldPort, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const named = await Promise.all(sentinelPorts.map(masterAddr));
        const first = named[0];
        if (first !== undefined && first !== oldPort && named.every((p) => p === first) && (await role(first)) === 'master') return first;
        if (Date.now() > deadline) {
          throw new Error(`no new primary after ${timeoutMs} ms (sentinels name ${named.join(', ')}):\n${tailOf(join(dir, `sentinel-${sentinelPorts[0]}.log`))}`);
        }
        await sleep(50);
      }
    },

    async failover(timeoutMs = 20_000) {
      await cluster.waitUntilFailoverReady(timeoutMs);
      const old = await cluster.primaryPort();
      await command(sentinelPorts[0]!, undefined, 'SENTINEL', 'FAILOVER', MASTER_NAME);
      return cluster.waitForNewPrimary(old, timeoutMs);
    },

    async kill9Primary(opts = {}) {
      await cluster.waitUntilFailoverReady(opts.timeoutMs);
      const killed = await cluster.primaryPort();
      const proc = servers.get(killed);
      if (proc?.child.pid === undefined) throw new Error(`the primary on port ${killed} is not a process of this cluster`);
      killGroup(proc.child.pid);
      await proc.exited;
      servers.set(killed, undefined);
      if (opts.waitForPromotion === false) return { killed };
      return { killed, promoted: await cluster.waitForNewPrimary(killed, opts.timeoutMs) };
    },

    async freezePrimary(opts = {}) {
      await cluster.waitUntilFailoverReady(opts.timeoutMs);
      const frozen = await cluster.primaryPort();
      const pid = servers.get(frozen)?.child.pid;
      if (pid === undefined) throw new Error(`the primary on port ${frozen} is not a process of this cluster`);
      killGroup(pid, 'SIGSTOP');
      frozenPorts.add(frozen);
      if (opts.waitForPromotion === false) return { frozen };
      return { frozen, promoted: await cluster.waitForNewPrimary(frozen, opts.timeoutMs) };
    },

    async restart(port) {
      if (!servers.has(port)) throw new Error(`port ${port} is not a data server of this cluster`);
      if (frozenPorts.delete(port)) {
        const pid = servers.get(port)?.child.pid;
        if (pid !== undefined) killGroup(pid, 'SIGCONT');
        return;
      }
      if (servers.get(port) !== undefined) return;
      await startServer(port);
    },
  };
  return cluster;
}
