import { Gauge, type Registry } from 'prom-client';
import { scrapeRead } from '../../observability/scrapeRead.js';
import type { HaConfig } from './servers.js';
import { readTopology, type Topology } from './topology.js';

/**
 * Replication figures for Prometheus (SPEC HA-1), read from the servers at scrape time, labelled
 * `server` = host:port: lag in seconds and in GTIDs, the replication threads, and which server is
 * the primary. An unreachable server's series are removed (its absence and mcp_db_primary tell).
 */
export function registerDbTopologyMetrics(registry: Registry, config: HaConfig, read: () => Promise<Topology> = () => readTopology({ config })): void {
  if (!config.dbUrl.startsWith('mysql:')) return;
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['server'] as const, registers: [registry], collect: () => refresh() });
  const lag = gauge('mcp_db_replica_lag_seconds', 'Seconds_Behind_Master of each replica (absent while its SQL thread is stopped)');
  const behind = gauge('mcp_db_replica_gtid_behind', 'Transactions the primary has that the replica has not applied');
  const io = gauge('mcp_db_replica_io_running', '1 while the replica IO thread runs');
  const sql = gauge('mcp_db_replica_sql_running', '1 while the replica SQL thread runs');
  const primary = gauge('mcp_db_primary', '1 for the writable primary, 0 for other reachable servers');
  const refresh = scrapeRead(async () => {
    const topo = await read();
    for (const g of [lag, behind, io, sql, primary]) g.reset();
    for (const s of topo.servers) {
      if (!s.reachable) continue;
      const server = s.address;
      primary.set({ server }, topo.primary === server ? 1 : 0);
      const r = s.replication;
      if (!r) continue;
      io.set({ server }, r.ioRunning ? 1 : 0);
      sql.set({ server }, r.sqlRunning ? 1 : 0);
      if (r.lagSeconds !== null) lag.set({ server }, r.lagSeconds);
      if (s.gtidBehind !== undefined && s.gtidBehind !== null) behind.set({ server }, s.gtidBehind);
    }
  });
}
