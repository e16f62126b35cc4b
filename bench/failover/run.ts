#!/usr/bin/env -S npx tsx
// bench/failover — high availability (issue 12 "Performance"): write unavailability and lost
// acknowledged writes across a planned switchover, an automatic failover, and kill -9 of the
// primary with and without semi-synchronous replication.
//
//   npx tsx bench/failover/run.ts
//
// It runs the TypeScript sources with tsx (the replica-set harness of the tests is TypeScript):
// each part starts its own primary + two replicas (private mariadbd instances from
// test/support/replicaSet.ts on spare ports, temp datadirs, GTID, log_slave_updates, replicas
// read-only; removed after). Nothing touches the shared MariaDB on 3306. The platform runs in
// process (startTestPlatform 'embedded' with MCP_DB_URL on the private primary: SQLite is not used,
// cache and bus in memory) as an unprivileged app user; HA acts as the replication account.
//   (a) planned switchover: an app Database (createDatabase with replicaUrls, follow interval
//       200 ms — it follows the primary as the platform does) writes continuously (one writer, a
//       row per insert, BENCH_WRITE_PAUSE_MS between); `switchover` to a replica; writes go on for
//       2 s. Write unavailability = longest gap between acknowledged writes; lost = acknowledged
//       rows missing on the new primary. Targets ≤ 2 s, 0.
//   (b) automatic failover: same set, the HA monitor (interval BENCH_MONITOR_INTERVAL_MS=300,
//       3 failures) running; kill -9 of the current primary; time to the first acknowledged write on
//       the new primary through the app Database (target ≤ 15 s); lost acknowledged writes.
//   (c) kill -9 of the primary under BENCH_WRITERS (default 16) concurrent writers (direct
//       connections to the primary, an acknowledgement = COMMIT returned), once with semi-sync
//       (rpl_semi_sync_master_enabled=ON, wait_point AFTER_SYNC, replicas rpl_semi_sync_slave_enabled=ON)
//       and once without; then `failover` by hand (relay log applied, the most advanced replica
//       promoted); lost = acknowledged rows missing on the new primary. Target 0 with semi-sync.
//       Each kind runs BENCH_C_RUNS times (a fresh replica set each), losses summed.
//   (d) as (c), but each replica replicates through a TCP proxy adding BENCH_LINK_DELAY_MS (20) of
//       one-way latency, and the proxies are cut with the kill: on one machine the replicas
//       otherwise receive every event within microseconds and async loses nothing; over a real
//       network the events still on the wire when the primary's machine dies are lost. Semi-sync
//       acknowledges a commit only after a replica has it, so target 0 with semi-sync; async reported.
// Settings: BENCH_WRITE_PAUSE_MS=5, BENCH_MONITOR_INTERVAL_MS=300, BENCH_WRITERS=16,
// BENCH_KILL_AFTER_MS=3000 (writes before the kill in (c)), BENCH_C_RUNS=3 (kill -9 runs of each kind in (c) and (d)), BENCH_LINK_DELAY_MS=20 (0 skips (d)), BENCH_JSON=<file>, BENCH_ENFORCE_TARGET=1 (exit 3 on a miss).
// Exit code: 0 done, 1 setup failed, 3 target missed with BENCH_ENFORCE_TARGET=1, 130 interrupted.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { monitorRoleDeps } from '../../src/app/roles/monitor.js';
import { createDatabase, type Database } from '../../src/infra/db/database.js';
import { failover } from '../../src/ops/ha/failover.js';
import { type RunningMonitor, startMonitor } from '../../src/ops/ha/monitor.js';
import { haConfigFrom } from '../../src/ops/ha/servers.js';
import { switchover } from '../../src/ops/ha/switchover.js';
import { systemActor } from '../../src/services/actor.js';
import type { MariadbServer } from '../../test/support/mariadbServer.js';
import { type ReplicaSet, startReplicaSet } from '../../test/support/replicaSet.js';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcpProxy.js';
import { uniqueName } from '../../test/support/services.js';
import { startTestPlatform, type TestPlatform } from '../../test/support/testPlatform.js';
// @ts-expect-error: plain ESM helpers of the benches
import { createCleanup } from '../lib/cleanup.mjs';
// @ts-expect-error: plain ESM helpers of the benches
import { fmt, out, progressLine } from '../lib/report.mjs';
// @ts-expect-error: plain ESM helpers of the benches
import { BenchError, intEnv } from '../lib/settings.mjs';

const progress: (m: string) => void = progressLine('failover');
const PAUSE = intEnv('BENCH_WRITE_PAUSE_MS', 5, 0, 1000) as number;
const MONITOR_MS = intEnv('BENCH_MONITOR_INTERVAL_MS', 300, 100, 5000) as number;
const WRITERS = intEnv('BENCH_WRITERS', 16, 1, 256) as number;
const KILL_AFTER = intEnv('BENCH_KILL_AFTER_MS', 3000, 100, 60_000) as number;
const C_RUNS = intEnv('BENCH_C_RUNS', 3, 1, 20) as number;
const LINK_DELAY = intEnv('BENCH_LINK_DELAY_MS', 20, 0, 1000) as number;
const APP_USER = 'mcp_app';
const APP_PASSWORD = `App-${Math.random().toString(36).slice(2, 12)}!`;
const SEMI_SYNC = ['--rpl-semi-sync-master-enabled=ON', '--rpl-semi-sync-master-wait-point=AFTER_SYNC', '--rpl-semi-sync-slave-enabled=ON', '--rpl-semi-sync-master-timeout=10000'];

// one cleanup per part (bench/lib's cleanup runs once): each part removes its servers before the next
const newCleanup = () => createCleanup((m: string) => process.stderr.write(`${m}\n`));
let current = newCleanup();
let cleanupFailedBefore = false;
const onCleanup = (name: string, fn: () => Promise<unknown>) => current.onCleanup(name, fn);
const cleanup = async () => {
  const c = current;
  await c.cleanup();
  cleanupFailedBefore ||= c.cleanupFailed();
  if (c === current) current = newCleanup();
};
const cleanupFailed = () => cleanupFailedBefore;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    interrupted = true;
    void cleanup().then(() => process.exit(130));
  });

interface Rig {
  rs: ReplicaSet;
  dbName: string;
  appUrl: (s: MariadbServer) => string;
  addr: (s: MariadbServer) => string;
}

async function rig(extraArgs: string[] = []): Promise<Rig> {
  const rs = await startReplicaSet({ replicas: 2, extraArgs });
  onCleanup('replica set', () => rs.destroy());
  const dbName = uniqueName('mcp_bench_fo');
  const [primary] = rs.servers as [MariadbServer];
  await primary.query(`CREATE DATABASE \`${dbName}\``);
  await primary.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [APP_USER, APP_PASSWORD]);
  await primary.query(`GRANT ALL PRIVILEGES ON \`${dbName}\`.* TO ?@'%'`, [APP_USER]);
  await primary.query("GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [rs.replUser]);
  await primary.query(`CREATE TABLE \`${dbName}\`.bench_writes (seq INT PRIMARY KEY, w INT NOT NULL) ENGINE=InnoDB`);
  await rs.waitInSync();
  return {
    rs,
    dbName,
    appUrl: (s) => `mysql://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${s.port}/${dbName}`,
    addr: (s) => `127.0.0.1:${s.port}`,
  };
}

async function platformOn(r: Rig): Promise<TestPlatform> {
  const [primary, ...replicas] = r.rs.servers as [MariadbServer, ...MariadbServer[]];
  const tp = await startTestPlatform('embedded', {
    env: {
      MCP_DB_URL: r.appUrl(primary),
      MCP_DB_REPLICA_URLS: replicas.map(r.appUrl).join(','),
      MCP_DB_REPLICATION_URL: r.rs.replicationUrl,
      MCP_DB_FOLLOW_INTERVAL_MS: '200',
    },
  });
  onCleanup('platform', () => tp.close());
  return tp;
}

/** A continuous writer through the app Database: one insert at a time, acknowledged seqs and times. */
function appWriter(db: Database) {
  const acks: { seq: number; t: number }[] = [];
  let seq = 0;
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const n = ++seq;
      try {
        await db.db
          .insertInto('bench_writes' as never)
          .values({ seq: n, w: 0 } as never)
          .execute();
        acks.push({ seq: n, t: performance.now() });
      } catch {
        /* refused: not acknowledged */
      }
      if (PAUSE) await sleep(PAUSE);
    }
  })();
  return {
    acks,
    async stop() {
      stop = true;
      await done;
    },
  };
}

const longestGap = (ts: number[]) => ts.reduce((g, t, i) => (i ? Math.max(g, t - ts[i - 1]!) : 0), 0);

async function missing(on: MariadbServer, dbName: string, seqs: number[]): Promise<number> {
  const rows = await on.query<{ seq: number }>(`SELECT seq FROM \`${dbName}\`.bench_writes`);
  const have = new Set(rows.map((x) => Number(x.seq)));
  return seqs.filter((s) => !have.has(s)).length;
}

async function serverAt(r: Rig, address: string | null | undefined): Promise<MariadbServer> {
  const s = r.rs.servers.find((x) => r.addr(x) === address);
  if (!s) throw new BenchError(`no server at ${address}`);
  return s;
}

async function partsAB() {
  progress('(a)+(b): starting primary + 2 replicas (async replication) and the platform');
  const r = await rig();
  const tp = await platformOn(r);
  const [primary, r1] = r.rs.servers as [MariadbServer, MariadbServer, MariadbServer];
  const replicas = r.rs.servers.slice(1);
  const app = createDatabase(r.appUrl(primary), { size: 2, overflow: 0, timeoutSeconds: 2, recycleSeconds: 60 }, undefined, {
    replicaUrls: replicas.map(r.appUrl),
    intervalMs: 200,
  });
  onCleanup('app database', () => app.close());

  // (a) planned switchover under a continuous writer
  const w = appWriter(app);
  await sleep(2000);
  progress(`(a) switchover ${r.addr(primary)} → ${r.addr(r1)} under a continuous writer`);
  const so = await switchover({ config: haConfigFrom(tp.platform.config), database: tp.platform.database, audit: tp.platform.audit, clock: tp.platform.clock }, systemActor, {
    to: r.addr(r1),
  });
  await sleep(2000);
  await w.stop();
  const aLost = await missing(
    r1,
    r.dbName,
    w.acks.map((a) => a.seq),
  );
  const a = {
    writes: w.acks.length,
    unavailableMs: longestGap(w.acks.map((x) => x.t)),
    switchoverWindowMs: so.writeUnavailableMs,
    lost: aLost,
    appFollows: app.writeTarget?.() === r.addr(r1),
  };
  progress(`(a) ${JSON.stringify(a)}`);

  // (b) automatic failover: the monitor running, kill -9 of the current primary (r1)
  await r.rs.waitInSync();
  const monitor: RunningMonitor = startMonitor(monitorRoleDeps(tp.platform, { intervalMs: MONITOR_MS, failuresNeeded: 3 }));
  onCleanup('monitor', () => monitor.stop());
  for (const end = Date.now() + 15_000; !(monitor.status().leader && monitor.status().primaryReachable); ) {
    if (Date.now() > end) throw new BenchError(`the monitor did not lead: ${JSON.stringify(monitor.status())}`);
    await sleep(50);
  }
  const w2 = appWriter(app);
  await sleep(2000);
  progress(`(b) kill -9 of the primary ${r.addr(r1)}, monitor interval ${MONITOR_MS} ms, 3 failures`);
  const killedAt = performance.now();
  await r.rs.kill9(r1);
  const firstAfterKill = async () => {
    for (const end = Date.now() + 60_000; Date.now() < end; ) {
      const first = w2.acks.find((x) => x.t > killedAt + 1);
      if (first) return first.t - killedAt;
      await sleep(20);
    }
    return Number.NaN;
  };
  const bMs = await firstAfterKill();
  await sleep(1000);
  await w2.stop();
  const newPrimary = await r.rs.whoIsPrimary();
  const bLost = newPrimary
    ? await missing(
        newPrimary,
        r.dbName,
        w2.acks.map((x) => x.seq),
      )
    : Number.NaN;
  const b = { killToFirstWriteMs: bMs, newPrimary: newPrimary ? r.addr(newPrimary) : null, lastFailover: monitor.status().lastFailover, lost: bLost, writes: w2.acks.length };
  progress(`(b) ${JSON.stringify({ ...b, lastFailover: undefined })}`);
  await monitor.stop();
  return { a, b };
}

/** (c): kill -9 under concurrent direct writers, then failover by hand; lost acknowledged rows. */
async function partC(semiSync: boolean, linkDelayMs = 0) {
  const part = linkDelayMs ? '(d)' : '(c)';
  progress(`${part} ${semiSync ? 'with' : 'without'} semi-sync: starting primary + 2 replicas`);
  const r = await rig(semiSync ? SEMI_SYNC : []);
  const tp = await platformOn(r);
  const [primary, ...replicas] = r.rs.servers as [MariadbServer, ...MariadbServer[]];
  // (d): each replica reaches the primary over its own slow path; the kill takes the path down with
  // the host, so what is still on the wire never arrives — what a crashed primary machine loses
  const links: TcpProxy[] = [];
  if (linkDelayMs) {
    for (const replica of replicas) {
      const link = await startTcpProxy('127.0.0.1', primary.port, { delayMs: linkDelayMs });
      onCleanup('link proxy', () => link.close());
      links.push(link);
      await replica.query('STOP SLAVE');
      await replica.query(`CHANGE MASTER TO MASTER_PORT=${link.port}`);
      await replica.query('START SLAVE');
    }
  }
  let semi: Record<string, string> = {};
  if (semiSync) {
    for (const end = Date.now() + 15_000; ; ) {
      const rows = await primary.query<{ Variable_name: string; Value: string }>("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'");
      semi = Object.fromEntries(rows.map((x) => [x.Variable_name, x.Value]));
      if (semi.Rpl_semi_sync_master_status === 'ON' && Number(semi.Rpl_semi_sync_master_clients) >= 2) break;
      if (Date.now() > end) throw new BenchError(`semi-sync did not become active: ${JSON.stringify(semi)}`);
      await sleep(100);
    }
  }
  const pool = mysql.createPool({ uri: r.appUrl(primary), connectionLimit: WRITERS, connectTimeout: 2000 });
  const acked: number[] = [];
  let seq = 0;
  let stop = false;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    while (!stop) {
      const n = ++seq;
      try {
        await pool.query('INSERT INTO bench_writes (seq, w) VALUES (?, ?)', [n, w]);
        acked.push(n);
      } catch {
        return; // the primary is gone
      }
    }
  });
  await sleep(KILL_AFTER);
  if (semiSync) {
    const rows = await primary.query<{ Variable_name: string; Value: string }>("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'");
    semi = Object.fromEntries(rows.map((x) => [x.Variable_name, x.Value]));
  }
  const ackedBeforeKill = acked.length;
  for (const link of links) link.cut();
  await r.rs.kill9(primary);
  stop = true;
  await Promise.all(writers);
  await pool.end().catch(() => undefined);
  const fo = await failover({ config: haConfigFrom(tp.platform.config), audit: tp.platform.audit, clock: tp.platform.clock }, systemActor, {
    reason: 'bench kill -9',
    from: r.addr(primary),
  });
  const np = await serverAt(r, fo.to);
  const lost = await missing(np, r.dbName, acked);
  const res = {
    semiSync,
    writers: WRITERS,
    acknowledged: acked.length,
    ackedBeforeKill,
    promoted: fo.to,
    lost,
    linkDelayMs,
    ...(semiSync
      ? {
          semiSyncStatus: semi.Rpl_semi_sync_master_status,
          semiSyncYesTx: Number(semi.Rpl_semi_sync_master_yes_tx ?? 0),
          semiSyncNoTx: Number(semi.Rpl_semi_sync_master_no_tx ?? 0),
        }
      : {}),
  };
  progress(`${part} ${JSON.stringify(res)}`);
  await cleanup();
  return res;
}

async function main() {
  const started = new Date().toISOString();
  const ab = await partsAB();
  await cleanup();
  const cSemiRuns = [];
  const cAsyncRuns = [];
  for (let i = 0; i < C_RUNS; i++) {
    cSemiRuns.push(await partC(true));
    cAsyncRuns.push(await partC(false));
  }
  const sum = (runs: Awaited<ReturnType<typeof partC>>[]) => ({
    runs: runs.length,
    acknowledged: runs.reduce((n, x) => n + x.acknowledged, 0),
    lost: runs.reduce((n, x) => n + x.lost, 0),
    lostPerRun: runs.map((x) => x.lost),
    semiSyncNoTx: runs.reduce((n, x) => n + (x.semiSyncNoTx ?? 0), 0),
  });
  const cSemi = sum(cSemiRuns);
  const cAsync = sum(cAsyncRuns);
  const dSemiRuns = [];
  const dAsyncRuns = [];
  for (let i = 0; i < C_RUNS && LINK_DELAY > 0; i++) {
    dSemiRuns.push(await partC(true, LINK_DELAY));
    dAsyncRuns.push(await partC(false, LINK_DELAY));
  }
  const dSemi = sum(dSemiRuns);
  const dAsync = sum(dAsyncRuns);
  const met = {
    aUnavailable: ab.a.unavailableMs <= 2000,
    aLost: ab.a.lost === 0,
    bTime: ab.b.killToFirstWriteMs <= 15_000,
    cSemiLost: cSemi.lost === 0,
    dSemiLost: dSemi.lost === 0,
  };
  const mark = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  out(
    `bench/failover  ${started}  (MariaDB ${(await import('node:child_process')).execSync('mariadbd --version 2>/dev/null || true').toString().trim().split(/\s+/).slice(2, 3).join('') || '?'}, one machine)`,
  );
  out(`(a) planned switchover under a continuous writer (${ab.a.writes} acknowledged writes through the app Database):`);
  out(`    write unavailability (longest gap between acknowledged writes): ${fmt(ab.a.unavailableMs / 1000, 3)} s   target ≤ 2 s  ${mark(met.aUnavailable)}`);
  out(`    switchover's own fence→promote window: ${ab.a.switchoverWindowMs} ms; app follows the new primary: ${ab.a.appFollows}`);
  out(`    lost acknowledged writes: ${ab.a.lost}   target 0  ${mark(met.aLost)}`);
  out(`(b) automatic failover (monitor interval ${MONITOR_MS} ms, 3 failures, async replication):`);
  out(`    kill -9 → first acknowledged write on the new primary ${ab.b.newPrimary}: ${fmt(ab.b.killToFirstWriteMs / 1000, 2)} s   target ≤ 15 s  ${mark(met.bTime)}`);
  out(`    lost acknowledged writes (single writer, async): ${ab.b.lost}`);
  out(`(c) kill -9 of the primary under ${WRITERS} concurrent writers, failover by hand (relay log applied, most advanced replica promoted):`);
  out(
    `    with semi-sync (AFTER_SYNC):  ${cSemi.runs} runs, ${cSemi.acknowledged} acknowledged, lost ${cSemi.lost} (per run ${cSemi.lostPerRun.join('/')}; commits that fell back to async before the kill: ${cSemi.semiSyncNoTx})   target 0  ${mark(met.cSemiLost)}`,
  );
  out(
    `    without semi-sync (async):    ${cAsync.runs} runs, ${cAsync.acknowledged} acknowledged, lost ${cAsync.lost} (per run ${cAsync.lostPerRun.join('/')})   (reported, no target)`,
  );
  if (LINK_DELAY > 0) {
    out(`(d) as (c), but each replica reaches the primary over a path with ${LINK_DELAY} ms one-way latency that goes down with the primary (a crashed machine):`);
    out(
      `    with semi-sync (AFTER_SYNC):  ${dSemi.runs} runs, ${dSemi.acknowledged} acknowledged, lost ${dSemi.lost} (per run ${dSemi.lostPerRun.join('/')}; commits that fell back to async before the kill: ${dSemi.semiSyncNoTx})   target 0  ${mark(met.dSemiLost)}`,
    );
    out(
      `    without semi-sync (async):    ${dAsync.runs} runs, ${dAsync.acknowledged} acknowledged, lost ${dAsync.lost} (per run ${dAsync.lostPerRun.join('/')})   (reported, no target)`,
    );
  }
  const json = process.env.BENCH_JSON;
  if (json)
    writeFileSync(
      json,
      `${JSON.stringify({ started, ...ab, c: { semiSync: cSemi, async: cAsync }, d: { linkDelayMs: LINK_DELAY, semiSync: dSemi, async: dAsync }, met }, null, 2)}\n`,
    );
  return Object.values(met).every(Boolean);
}

try {
  const ok = await main();
  await cleanup();
  if (interrupted) process.exit(130);
  process.exit(cleanupFailed() ? 1 : !ok && process.env.BENCH_ENFORCE_TARGET === '1' ? 3 : 0);
} catch (e) {
  process.stderr.write(`bench/failover: ${e instanceof BenchError ? (e as Error).message : String((e as Error)?.stack ?? e)}\n`);
  await cleanup();
  process.exit(1);
}
