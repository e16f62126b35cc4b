import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { guardDir, guardProcess, releaseDir, releaseProcess } from './orphanGuard.js';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { freePort } from './mariadbServer.js';

/**
 * A private RabbitMQ cluster for tests: `nodes` (default 3) `rabbitmq-server` processes of the
 * Debian package, named `mcpt<run>-<n>@localhost`, each on its own spare 127.0.0.1 AMQP and
 * distribution ports, all files (configs, Mnesia/Ra data, logs, a private Erlang cookie as
 * `$HOME/.erlang.cookie`) in one temp dir, no plugins (empty enabled-plugins file). The machine's
 * shared node (rabbit@localhost on 5672, its cookie in /var/lib/rabbitmq) is never touched; only
 * epmd (4369) is shared, as every Erlang node on the machine shares it.
 *
 * Clustering: the nodes start in parallel; nodes 2..n list node 1 for peer discovery
 * (`classic_config`), so they normally join it while they boot. Any node that booted standalone
 * anyway (it looked for node 1 before node 1's database was up) is joined the documented way:
 * `rabbitmqctl -n <node> stop_app`, `join_cluster <node 1>`, `start_app`. A node that died at boot
 * (a join that raced node 1's own boot) is wiped and started once more. Measured on a 2-core
 * development machine: about 11–12 s for three nodes (the same parallel boot followed by
 * `stop_app/join_cluster/start_app` of nodes 2 and 3 took 14–17 s).
 *
 * `queue_leader_locator = client-local`: a quorum queue's first leader is the node the declaring
 * connection is on, so a test knows which node to kill to lose the leader.
 *
 * Cleanup: `destroy()` SIGKILLs every node it started and removes the directory. If the test
 * process dies instead (vitest ends fork workers with SIGTERM, without an 'exit' event), a
 * detached `awk` watchdog reading a pipe from this process does the same on EOF.
 *
 * Node indexes are 0-based, like `urls`: node 0 is `mcpt<run>-1`.
 */
export interface RabbitCluster {
  /** Erlang node names, e.g. `mcpt1a2b3c-1@localhost`. */
  readonly nodes: readonly string[];
  /** `amqp://guest:guest@127.0.0.1:<port>` of each node. */
  readonly urls: readonly string[];
  /** Directory holding configs, data and logs (removed by `destroy()`). */
  readonly dir: string;
  /** How long `startRabbitCluster` took until every node ran in one cluster, in ms. */
  readonly startupMs: number;
  /**
   * Stops node `i`: `kill` (default) SIGKILLs it (no shutdown at all, like a crashed host);
   * `clean` sends SIGTERM (RabbitMQ's orderly shutdown). Resolves once its AMQP port refuses
   * connections and the process is gone.
   */
  stopNode(i: number, how?: 'kill' | 'clean'): Promise<void>;
  /** Starts a stopped node again on its ports with its data; resolves once it accepts AMQP connections. */
  startNode(i: number): Promise<void>;
  isRunning(i: number): boolean;
  /** `rabbitmqctl -n <node i> -q <args>` (private cookie); resolves with its stdout. */
  ctl(i: number, ...args: string[]): Promise<string>;
  /** Quorum queue's leader and members as node `via` reports them (`rabbitmqctl list_queues`). */
  quorumQueue(name: string, via?: number): Promise<{ leader: string; members: string[]; online: string[] }>;
  /** Names of the running cluster members as node `via` sees them. */
  runningNodes(via?: number): Promise<string[]>;
  destroy(): Promise<void>;
}

export interface StartRabbitClusterOptions {
  /** Number of nodes, default 3. */
  nodes?: number;
}

const SBIN = process.env.MCP_TEST_RABBITMQ_SBIN ?? '/usr/lib/rabbitmq/bin';
const BOOT_TIMEOUT_MS = 60_000;
const CTL_TIMEOUT_MS = 60_000;
/** The CLI tools' own distribution ports (rabbitmq-env's default range): nodes keep out of it. */
const CTL_DIST_PORTS = [35_672, 35_682] as const;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true when `promise` settles within `ms`, false otherwise (the timer does not outlive it). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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

/** A spare port outside the CLI tools' distribution range. */
async function sparePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if ((port < CTL_DIST_PORTS[0] || port > CTL_DIST_PORTS[1]) && !taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

/** True when something accepts a TCP connection on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Environment of every rabbitmq-server / rabbitmqctl call: nothing inherited from RABBITMQ_* or ERL_* variables. */
function baseEnv(dir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && !k.startsWith('ERL_')));
  return {
    ...env,
    HOME: dir,
    // an empty env file instead of /etc/rabbitmq/rabbitmq-env.conf (which names the shared node)
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
}

interface NodeProc {
  child: ChildProcess;
  exited: Promise<void>;
  gone: boolean;
}

export async function startRabbitCluster(opts: StartRabbitClusterOptions = {}): Promise<RabbitCluster> {
  const count = opts.nodes ?? 3;
  const started = Date.now();
  const run = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'mcp-rabbit-cluster-'));
  guardDir(dir);
  const taken = new Set<number>();
  const nodes: string[] = [];
  const amqpPorts: number[] = [];
  const distPorts: number[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(`mcpt${run}-${i + 1}@localhost`);
    amqpPorts.push(await sparePort(taken));
    distPorts.push(await sparePort(taken));
  }
  const urls = amqpPorts.map((p) => `amqp://guest:guest@127.0.0.1:${p}`);
  const procs: (NodeProc | undefined)[] = nodes.map(() => undefined);
  const env = baseEnv(dir);

  writeFileSync(join(dir, '.erlang.cookie'), randomBytes(24).toString('hex').toUpperCase(), { mode: 0o400 });
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(join(dir, 'enabled_plugins'), '');
  for (let i = 0; i < count; i++) {
    writeFileSync(
      join(dir, `node${i + 1}.conf`),
      [
        'queue_leader_locator = client-local',
        ...(i === 0 ? [] : ['cluster_formation.peer_discovery_backend = classic_config', `cluster_formation.classic_config.nodes.1 = ${nodes[0]}`]),
        '',
      ].join('\n'),
    );
  }

  const nodeOf = (i: number): string => {
    const node = nodes[i];
    if (node === undefined) throw new Error(`no node ${i} (the cluster has ${count}, indexes from 0)`);
    return node;
  };
  const logOf = (i: number) => join(dir, `node${i + 1}.out`);
  const tailOf = (i: number): string => {
    try {
      return readFileSync(logOf(i), 'utf8').split('\n').slice(-25).join('\n');
    } catch {
      return '(no output)';
    }
  };

  function spawnNode(i: number): NodeProc {
    const out = openSync(logOf(i), 'a');
    const child = spawn(join(SBIN, 'rabbitmq-server'), [], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...env,
        RABBITMQ_NODENAME: nodeOf(i),
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(amqpPorts[i]),
        RABBITMQ_DIST_PORT: String(distPorts[i]),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_CONFIG_FILE: join(dir, `node${i + 1}.conf`),
        RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      },
    });
    closeSync(out);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${join(SBIN, 'rabbitmq-server')}`);
    guardProcess(pid, { group: true });
    const proc: NodeProc = { child, gone: false, exited: Promise.resolve() };
    proc.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        proc.gone = true;
        releaseProcess(pid);
        resolve();
      });
    });
    procs[i] = proc;
    return proc;
  }

  /** Resolves once node `i` answers an AMQP handshake; rejects if its process exits first. */
  async function waitReady(i: number, proc: NodeProc): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      if (proc.gone) throw new Error(`RabbitMQ node ${nodeOf(i)} exited while starting:\n${tailOf(i)}`);
      if (await listening(amqpPorts[i] as number)) {
        try {
          const c = await connect(urls[i] as string, { timeout: 2_000 });
          await c.close();
          return;
        } catch {
          /* listening, not accepting logins yet */
        }
      }
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${nodeOf(i)} did not accept AMQP within ${BOOT_TIMEOUT_MS} ms:\n${tailOf(i)}`);
      await sleep(100);
    }
  }

  function ctl(i: number, ...args: string[]): Promise<string> {
    const node = nodeOf(i);
    return new Promise((resolve, reject) => {
      execFile(join(SBIN, 'rabbitmqctl'), ['-n', node, '-q', ...args], { env, cwd: dir, timeout: CTL_TIMEOUT_MS }, (err, stdout, stderr) => {
        if (err) reject(new Error(`rabbitmqctl -n ${node} ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  }

  async function runningNodes(via = 0): Promise<string[]> {
    const status = JSON.parse(await ctl(via, 'cluster_status', '--formatter', 'json')) as { running_nodes?: string[] };
    return status.running_nodes ?? [];
  }

  async function stopNode(i: number, how: 'kill' | 'clean' = 'kill'): Promise<void> {
    const proc = procs[i];
    if (proc === undefined || proc.gone || proc.child.pid === undefined) return;
    const pid = proc.child.pid;
    if (how === 'kill') {
      killGroup(pid);
    } else {
      // the start script forwards SIGTERM to the Erlang VM and waits for it
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      if (!(await settlesWithin(proc.exited, 30_000))) killGroup(pid);
    }
    await proc.exited;
    // the VM (a child of the start script) may outlive it by a moment; its listener goes with it
    const deadline = Date.now() + 10_000;
    while (await listening(amqpPorts[i] as number)) {
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${nodeOf(i)} still listens after being stopped`);
      await sleep(50);
    }
    killGroup(pid);
  }

  async function startNode(i: number): Promise<void> {
    const proc = procs[i];
    if (proc !== undefined && !proc.gone) return;
    await waitReady(i, spawnNode(i));
  }

  async function destroy(): Promise<void> {
    const all = procs.filter((p): p is NodeProc => p !== undefined);
    for (const p of all) if (p.child.pid !== undefined && !p.gone) killGroup(p.child.pid);
    await Promise.all(all.map((p) => settlesWithin(p.exited, 5_000)));
    // the VMs die with their process groups; give the kernel a moment to release their files
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
    releaseDir(dir);
  }

  /** Boots node `i`; a joining node that dies at boot is wiped and started once more. */
  async function boot(i: number): Promise<void> {
    try {
      await waitReady(i, spawnNode(i));
    } catch (err) {
      const proc = procs[i];
      if (i === 0 || proc === undefined || !proc.gone) throw err;
      const mnesia = join(dir, 'mnesia');
      for (const entry of readdirSync(mnesia)) if (entry.startsWith(nodeOf(i))) rmSync(join(mnesia, entry), { recursive: true, force: true });
      await waitReady(i, spawnNode(i));
    }
  }

  try {
    await Promise.all(nodes.map((_, i) => boot(i)));
    const running = new Set(await runningNodes(0));
    const standalone = nodes.map((_, i) => i).filter((i) => i > 0 && !running.has(nodeOf(i)));
    await Promise.all(
      standalone.map(async (i) => {
        await ctl(i, 'stop_app');
        await ctl(i, 'join_cluster', nodeOf(0));
        await ctl(i, 'start_app');
      }),
    );
    const all = await runningNodes(0);
    if (!nodes.every((n) => all.includes(n))) throw new Error(`RabbitMQ cluster did not form: node 1 sees ${all.join(', ')}`);
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    nodes,
    urls,
    dir,
    startupMs: Date.now() - started,
    stopNode,
    startNode,
    isRunning: (i) => procs[i] !== undefined && procs[i]?.gone === false,
    ctl,
    runningNodes,
    async quorumQueue(name, via = 0) {
      const rows = JSON.parse(await ctl(via, 'list_queues', 'name', 'type', 'leader', 'members', 'online', '--formatter', 'json')) as {
        name: string;
        type: string;
        leader: string;
        members: string[] | string;
        online: string[] | string;
      }[];
      const row = rows.find((r) => r.name === name);
      if (row === undefined) throw new Error(`no queue ${name} on ${nodeOf(via)}`);
      if (row.type !== 'quorum') throw new Error(`queue ${name} is a ${row.type} queue, not a quorum queue`);
      const list = (v: string[] | string) => (Array.isArray(v) ? v : []);
      return { leader: row.leader, members: list(row.members), online: list(row.online) };
    },
    destroy,
  };
}
