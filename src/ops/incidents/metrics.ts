import { Gauge, type Registry } from 'prom-client';
import { scrapeRead } from '../../observability/scrapeRead.js';
import type { Database } from '../../infra/db/database.js';
import { incidentStats } from './incidents.js';

/**
 * Incident figures for Prometheus (SPEC INC-2), read from the incidents table at scrape time:
 * per severity the mean time to acknowledge and to recover, and the open incidents. A failed read
 * keeps the last values (the database's state is reported by mcp_dependency_up).
 */
export function registerIncidentMetrics(registry: Registry, database: Database): void {
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['severity'] as const, registers: [registry], collect: () => refresh() });
  const mtta = gauge('mcp_incident_mtta_seconds', 'Mean time from detection to acknowledgement of incidents, per severity');
  const mttr = gauge('mcp_incident_mttr_seconds', 'Mean time from detection to recovery of incidents, per severity');
  const open = gauge('mcp_incidents_open', 'Incidents not recovered yet, per severity');
  const refresh = scrapeRead(async () => {
    const stats = await incidentStats(database);
    for (const g of [mtta, mttr, open]) g.reset();
    for (const [severity, s] of Object.entries(stats)) {
      open.set({ severity }, s.open);
      if (s.mttaSeconds !== null) mtta.set({ severity }, s.mttaSeconds);
      if (s.mttrSeconds !== null) mttr.set({ severity }, s.mttrSeconds);
    }
  });
}
