import { Gauge, type Registry } from 'prom-client';
import { scrapeRead } from '../../observability/scrapeRead.js';
import type { Database } from '../../infra/db/database.js';
import { outboxCounts } from './notifications.js';

/**
 * Notification delivery for Prometheus, read from the outbox at scrape time: notifications per
 * status (`dead` above 0 means someone was not told), and the age of the oldest one still waiting.
 */
export function registerNotifyMetrics(registry: Registry, database: Database): void {
  const byStatus = new Gauge({
    name: 'mcp_notify_outbox',
    help: 'Notifications in the outbox, per status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect: () => refresh(),
  });
  const oldest = new Gauge({
    name: 'mcp_notify_oldest_waiting_seconds',
    help: 'Age of the oldest notification not delivered yet (0 when none waits)',
    registers: [registry],
    collect: () => refresh(),
  });
  const refresh = scrapeRead(async () => {
    const counts = await outboxCounts(database);
    for (const [status, n] of Object.entries(counts)) byStatus.set({ status }, n);
    const first = await database.db
      .selectFrom('notify_outbox')
      .select('created_at')
      .where('status', 'in', ['pending', 'queued', 'sending'])
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    oldest.set(first ? Math.max(0, (Date.now() - Date.parse(`${first.created_at.replace(' ', 'T')}Z`)) / 1000) : 0);
  });
}
