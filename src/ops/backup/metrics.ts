import { Gauge, type Registry } from 'prom-client';
import { scrapeRead } from '../../observability/scrapeRead.js';
import type { Database } from '../../infra/db/database.js';
import { fromDbTime } from '../../infra/db/time.js';
import type { BinlogStreamer, StreamStatus } from './binlogStream.js';

/**
 * Backup figures for Prometheus (SPEC BAK-10), read from the catalog at scrape time: per type the
 * time of the last success, its duration and stored size, and failures since the last success.
 */
export function registerBackupMetrics(registry: Registry, database: Database): void {
  const last = new Gauge({
    name: 'mcp_backup_last_success_timestamp_seconds',
    help: 'When the newest complete backup of each type finished (UNIX time)',
    labelNames: ['type'] as const,
    registers: [registry],
    collect: () => refresh(),
  });
  const duration = new Gauge({
    name: 'mcp_backup_last_duration_seconds',
    help: 'How long the newest complete backup of each type took',
    labelNames: ['type'] as const,
    registers: [registry],
    collect: () => refresh(),
  });
  const size = new Gauge({
    name: 'mcp_backup_last_size_bytes',
    help: 'Stored size of the newest complete backup of each type',
    labelNames: ['type'] as const,
    registers: [registry],
    collect: () => refresh(),
  });
  const failures = new Gauge({
    name: 'mcp_backup_failures_since_success',
    help: 'Failed attempts since the newest complete backup of each type',
    labelNames: ['type'] as const,
    registers: [registry],
    collect: () => refresh(),
  });
  const verified = new Gauge({
    name: 'mcp_backup_last_verified_timestamp_seconds',
    help: 'When a backup last passed verification (restore into a scratch database), UNIX time; 0 when never',
    registers: [registry],
    collect: () => refresh(),
  });
  // One catalog read serves every gauge of a scrape. When the catalog cannot be read (the database
  // is down) the gauges keep their last values: a failed read must not fail the whole scrape, which
  // would hide mcp_dependency_up and every other series exactly when they matter.
  const refresh = scrapeRead(async () => {
    const rows = await database.db
      .selectFrom('backups')
      .select(['type', 'status', 'started_at', 'finished_at', 'stored_bytes', 'verified_at', 'verify_result'])
      .orderBy('started_at')
      .execute();
    for (const g of [last, duration, size, failures, verified]) g.reset();
    const passed = rows
      .filter((r) => r.verify_result === 'passed' && r.verified_at)
      .map((r) => r.verified_at!)
      .sort()
      .at(-1);
    if (passed) verified.set(fromDbTime(passed).getTime() / 1000);
    const byType = new Map<string, typeof rows>();
    for (const r of rows) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
    for (const [type, list] of byType) {
      const ok = list.filter((r) => r.status === 'complete').at(-1);
      if (ok?.finished_at) {
        last.set({ type }, fromDbTime(ok.finished_at).getTime() / 1000);
        duration.set({ type }, (fromDbTime(ok.finished_at).getTime() - fromDbTime(ok.started_at).getTime()) / 1000);
        size.set({ type }, Number(ok.stored_bytes ?? 0));
      }
      failures.set({ type }, list.filter((r) => r.status === 'failed' && (!ok || r.started_at > ok.started_at)).length);
    }
  });
}

/**
 * Prometheus gauges for a running stream, read from `status()` at scrape time. RPO is the age of
 * the newest spooled event while the spool is behind the server, and 0 once it has everything the
 * server wrote (an idle server loses nothing however old its last event is).
 */
export function registerBinlogStreamMetrics(registry: Registry, streamer: Pick<BinlogStreamer, 'status'>): void {
  const gauge = (name: string, help: string, value: (s: StreamStatus) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(streamer.status()));
      },
    });
  const nan = Number.NaN;
  gauge('mcp_backup_stream_rpo_seconds', 'Age of the newest spooled binlog event while the spool is behind the server; 0 when caught up', (s) =>
    s.caughtUp ? 0 : (s.rpoSeconds ?? nan),
  );
  gauge('mcp_backup_stream_up', '1 while the binlog stream tool runs', (s) => (s.running ? 1 : 0));
  gauge('mcp_backup_stream_caught_up', '1 when the spool holds everything the server has written', (s) => (s.caughtUp ? 1 : 0));
  gauge('mcp_backup_stream_last_event_timestamp_seconds', 'Time of the newest spooled binlog event (UNIX time)', (s) =>
    s.lastEventAt ? new Date(s.lastEventAt).getTime() / 1000 : nan,
  );
  gauge('mcp_backup_stream_restarts', 'Restarts of the binlog stream tool since the stream started', (s) => s.restarts);
  gauge('mcp_backup_stream_gaps', 'Binlog gaps (files purged before they were streamed) since the stream started', (s) => s.gaps.length);
  gauge('mcp_backup_stream_primary_switches', 'Times the stream followed a new primary (switchover, failover) since it started', (s) => s.switches.length);
}
