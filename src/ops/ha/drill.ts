import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { invalid } from '../../errors/appError.js';
import type { Actor } from '../../services/actor.js';
import { safeMessage } from './servers.js';
import { type SwitchoverDeps, type SwitchoverResult, switchover } from './switchover.js';
import { readTopology, type Topology } from './topology.js';

/**
 * `drill failover` (issue 12 item 11, manual §6.7.2 故障切换演练): a planned switchover to a replica
 * and back, while a probe writer inserts rows into `mcp_drill_probe` through the platform database
 * (which follows the primary), so each leg's write unavailability is measured the way the app sees
 * it (longest gap between acknowledged probe writes), and no acknowledged probe write may be missing
 * afterwards. The report carries the manual's checklist, marked done/failed; it is audited
 * (`ops.drill.failover`) and written as JSON under `<dataDir>/drills/`. The probe table is dropped.
 */
export interface DrillDeps extends SwitchoverDeps {
  /** Where the JSON report goes (`<dataDir>/drills/failover-<time>.json`); no file when undefined. */
  dataDir?: string;
}

export interface DrillOptions {
  /** host:port of the replica to switch to (default: the first clean replica). */
  to?: string;
  timeoutSeconds?: number;
  /** Pause between probe writes (default 20 ms). */
  probeIntervalMs?: number;
  /** How long the platform database may take to follow the new primary between legs (default 10 s). */
  followTimeoutMs?: number;
}

export interface DrillLeg {
  from: string;
  to: string;
  ok: boolean;
  /** Longest gap between acknowledged probe writes around this leg (what the app saw). */
  probeUnavailableMs: number | null;
  /** The switchover's own fence-to-promote window. */
  switchoverUnavailableMs: number | null;
  epoch: number | null;
  error?: string;
  warnings: string[];
}

export interface DrillCheck {
  /** The manual's label (§6.7.2 故障切换演练). */
  item: string;
  done: boolean;
  detail: string;
}

export interface DrillReport {
  id: string;
  startedAt: string;
  finishedAt: string;
  primaryBefore: string | null;
  target: string;
  legs: DrillLeg[];
  probe: { acknowledged: number; failed: number; found: number; lost: number };
  checklist: DrillCheck[];
  ok: boolean;
  topologyBefore: Topology;
  topologyAfter: Topology | null;
  reportFile: string | null;
}

export const DRILL_PROBE_TABLE = 'mcp_drill_probe';
export const DRILL_CHECKLIST = ['通知相关人员', '记录切换前状态', '执行故障切换', '验证服务可用性', '验证数据一致性', '记录切换时间', '编写演练报告'] as const;
const ADDRESS = /^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$/;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Longest gap between consecutive acknowledged writes from the last one before `from` to the first one after `to`. */
export function longestGap(acks: readonly number[], from: number, to: number): number | null {
  const before = acks.filter((t) => t <= from);
  const start = before.length ? before[before.length - 1]! : from;
  const end = acks.find((t) => t >= to);
  if (end === undefined) return null;
  const inside = acks.filter((t) => t >= start && t <= end);
  let gap = 0;
  for (let i = 1; i < inside.length; i++) gap = Math.max(gap, inside[i]! - inside[i - 1]!);
  return gap;
}

export async function drillFailover(deps: DrillDeps, actor: Actor, opts: DrillOptions = {}): Promise<DrillReport> {
  if (opts.to !== undefined && (typeof opts.to !== 'string' || !ADDRESS.test(opts.to))) throw invalid('to: expected HOST:PORT of a configured replica', { field: 'to' });
  if (deps.database.dialect !== 'mysql') throw invalid('drill failover needs a MySQL/MariaDB primary with replicas (MCP_DB_URL, MCP_DB_REPLICA_URLS)', { field: 'MCP_DB_URL' });
  const interval = opts.probeIntervalMs ?? 20;
  const followTimeout = opts.followTimeoutMs ?? 10_000;
  const id = randomUUID();
  const startedAt = new Date().toISOString();
  const checks = new Map<string, DrillCheck>(DRILL_CHECKLIST.map((item) => [item, { item, done: false, detail: '' }]));
  const mark = (item: (typeof DRILL_CHECKLIST)[number], done: boolean, detail: string) => checks.set(item, { item, done, detail });

  // 记录切换前状态
  const topologyBefore = await readTopology({ config: deps.config });
  const primaryBefore = topologyBefore.primary;
  if (!primaryBefore) throw invalid('no single writable primary: fix the topology (db status) before a drill', { field: 'primary' });
  const candidates = topologyBefore.servers.filter((s) => s.address !== primaryBefore && s.role === 'replica' && s.reachable && !s.errantGtids);
  const target = opts.to ?? candidates[0]?.address;
  if (!target) throw invalid('to: no clean, reachable replica to switch to', { field: 'to' });
  if (target === primaryBefore) throw invalid(`to: ${target} is already the primary`, { field: 'to' });
  mark(
    '记录切换前状态',
    true,
    `primary ${primaryBefore}; ${topologyBefore.servers.map((s) => `${s.address} ${s.role}${s.gtidBehind ? ` behind ${s.gtidBehind}` : ''}`).join(', ')}`,
  );

  // 通知相关人员
  if (deps.announce) {
    try {
      await deps.announce(`故障切换演练开始：${primaryBefore} → ${target} → ${primaryBefore}`);
      mark('通知相关人员', true, 'notice sent through the alerting pipeline');
    } catch (e) {
      mark('通知相关人员', false, `notice failed: ${safeMessage(e)}`);
    }
  } else mark('通知相关人员', false, 'no alerting pipeline configured');

  const db = deps.database.db;
  await sql`CREATE TABLE IF NOT EXISTS mcp_drill_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, drill VARCHAR(40) NOT NULL, seq INT NOT NULL, KEY mcp_drill_probe_drill (drill)) ENGINE=InnoDB`.execute(
    db,
  );

  // the probe writer
  const acks: number[] = [];
  const acked = new Set<number>();
  let failed = 0;
  let stop = false;
  let seq = 0;
  const probe = (async () => {
    while (!stop) {
      const n = ++seq;
      try {
        await sql`INSERT INTO mcp_drill_probe (drill, seq) VALUES (${id}, ${n})`.execute(db);
        acks.push(Date.now());
        acked.add(n);
      } catch {
        failed++;
      }
      await sleep(interval);
    }
  })();
  const ackAfter = async (t: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (acks.some((a) => a > t)) return true;
      await sleep(20);
    }
    return false;
  };

  /** A few acknowledged probe writes on the current primary before a leg: the gap is measured from a steady writer. */
  const steady = async (n: number) => {
    const want = acks.length + n;
    const deadline = Date.now() + followTimeout;
    while (acks.length < want && Date.now() < deadline) await sleep(10);
  };

  const legs: DrillLeg[] = [];
  const leg = async (from: string, to: string): Promise<boolean> => {
    await steady(5);
    const started = Date.now();
    let res: SwitchoverResult | undefined;
    let error: string | undefined;
    try {
      res = await switchover(deps, actor, { to, ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}) });
    } catch (e) {
      error = safeMessage(e);
    }
    const ended = Date.now();
    // the platform database follows the new primary on its own; wait for a probe write after the leg
    const resumed = await ackAfter(ended, followTimeout);
    const l: DrillLeg = {
      from,
      to,
      ok: res !== undefined && resumed,
      probeUnavailableMs: longestGap(acks, started, ended),
      switchoverUnavailableMs: res?.writeUnavailableMs ?? null,
      epoch: res?.epoch ?? null,
      warnings: res?.warnings ?? [],
      ...(error ? { error } : !resumed ? { error: `no probe write succeeded within ${followTimeout} ms after the switchover` } : {}),
    };
    legs.push(l);
    return l.ok;
  };

  let found = 0;
  let topologyAfter: Topology | null = null;
  try {
    if (await leg(primaryBefore, target)) await leg(target, primaryBefore);
  } finally {
    stop = true;
    await probe;
    try {
      const rows = await sql<{ seq: number }>`SELECT seq FROM mcp_drill_probe WHERE drill = ${id}`.execute(db);
      const present = new Set(rows.rows.map((r) => Number(r.seq)));
      found = [...acked].filter((n) => present.has(n)).length;
    } catch {
      found = -1;
    }
    await sql`DROP TABLE IF EXISTS mcp_drill_probe`.execute(db).catch(() => undefined);
    topologyAfter = await readTopology({ config: deps.config }).catch(() => null);
    // let the platform database settle on the final primary before the caller closes it (a pool
    // retargeted while the platform closes is left open: see the report to the lead)
    const finalPrimary = topologyAfter?.primary;
    for (const end = Date.now() + followTimeout; finalPrimary && deps.database.writeTarget && deps.database.writeTarget() !== finalPrimary && Date.now() < end; ) await sleep(20);
  }

  const lost = found < 0 ? acked.size : acked.size - found;
  const legsOk = legs.length === 2 && legs.every((l) => l.ok);
  mark('执行故障切换', legsOk, legs.map((l) => `${l.from} → ${l.to}: ${l.ok ? 'ok' : `failed (${l.error ?? 'unknown'})`}`).join('; '));
  const backHome = topologyAfter?.primary === (legsOk ? primaryBefore : topologyAfter?.primary);
  mark(
    '验证服务可用性',
    legs.length > 0 && legs.every((l) => l.probeUnavailableMs !== null) && acked.size > 0,
    `${acked.size} probe writes acknowledged, ${failed} refused; primary now ${topologyAfter?.primary ?? 'unknown'}${backHome ? '' : ' (not back on the original primary)'}`,
  );
  mark(
    '验证数据一致性',
    found >= 0 && lost === 0,
    found < 0 ? 'the probe table could not be read back' : `${found} of ${acked.size} acknowledged probe writes found, ${lost} lost`,
  );
  mark(
    '记录切换时间',
    legs.length > 0 && legs.every((l) => l.probeUnavailableMs !== null),
    legs.map((l) => `${l.from} → ${l.to}: ${l.probeUnavailableMs ?? '-'} ms (switchover ${l.switchoverUnavailableMs ?? '-'} ms)`).join('; '),
  );

  const report: DrillReport = {
    id,
    startedAt,
    finishedAt: new Date().toISOString(),
    primaryBefore,
    target,
    legs,
    probe: { acknowledged: acked.size, failed, found: Math.max(found, 0), lost },
    checklist: [],
    ok: false,
    topologyBefore,
    topologyAfter,
    reportFile: null,
  };

  // 编写演练报告: the JSON file and the audit row
  let written = false;
  const notes: string[] = [];
  if (deps.dataDir) {
    try {
      const dir = join(deps.dataDir, 'drills');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      report.reportFile = join(dir, `failover-${startedAt.replace(/[:.]/g, '-')}.json`);
      written = true;
    } catch (e) {
      notes.push(`report file: ${safeMessage(e)}`);
    }
  }
  mark('编写演练报告', true, '');
  report.checklist = DRILL_CHECKLIST.map((item) => checks.get(item)!);
  report.ok = report.checklist.filter((c) => c.item !== '通知相关人员').every((c) => c.done);
  const summary = {
    drill: id,
    ok: report.ok,
    primaryBefore,
    target,
    legs: legs.map((l) => ({ from: l.from, to: l.to, ok: l.ok, probeUnavailableMs: l.probeUnavailableMs, switchoverUnavailableMs: l.switchoverUnavailableMs, error: l.error })),
    probe: report.probe,
    checklist: report.checklist.map((c) => ({ item: c.item, done: c.done })),
  };
  let audited = false;
  try {
    await deps.audit.record({ ...actor, action: 'ops.drill.failover', target: `db:${target}`, result: report.ok ? 'success' : 'failure', details: summary });
    audited = true;
  } catch (e) {
    notes.push(`audit: ${safeMessage(e)}`);
  }
  const reportCheck: DrillCheck = {
    item: '编写演练报告',
    done: audited || written,
    detail: [audited ? 'audited as ops.drill.failover' : '', written ? `written to ${report.reportFile}` : '', ...notes].filter(Boolean).join('; '),
  };
  report.checklist = report.checklist.map((c) => (c.item === '编写演练报告' ? reportCheck : c));
  report.ok = report.ok && reportCheck.done;
  if (written && report.reportFile) {
    try {
      await writeFile(report.reportFile, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
    } catch (e) {
      report.checklist = report.checklist.map((c) => (c.item === '编写演练报告' ? { ...c, done: audited, detail: `${c.detail}; file failed: ${safeMessage(e)}` } : c));
      report.reportFile = null;
    }
  }
  return report;
}
