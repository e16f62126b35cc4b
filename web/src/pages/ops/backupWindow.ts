/** The catalog fields the restorable-window model reads (a row of `GET /api/ops/backups`). */
export interface CatalogRow {
  id: string;
  type: 'full' | 'incremental' | 'binlog' | 'schema' | 'config' | 'logs';
  status: 'running' | 'complete' | 'failed';
  started_at: string;
  finished_at: string | null;
  first_event_at: string | null;
  last_event_at: string | null;
  safety: number;
}

export interface RestoreWindowModel {
  /** Oldest complete full backup. */
  from: string;
  /** Newest point reachable: the newest full backup, or the last binlog event archived after it. */
  to: string;
  /** Any second in [from, to] can be restored (binlogs archived after the newest full backup). */
  pointInTime: boolean;
  /** The full backups' own times: restore points even without binlogs. */
  fulls: { id: string; at: string }[];
  /** Archived binlog ranges (incremental / binlog rows with their first and last event). */
  binlogs: { id: string; from: string; to: string }[];
}

const ms = (iso: string) => Date.parse(iso);

/**
 * The restorable window as the console draws it, from the catalog: the full backups as points and
 * the archived binlog ranges as bars; from the oldest complete full backup to the newest point
 * reachable. Safety backups (taken by a live restore) are restore points too. The server decides
 * what a restore can reach; this is its picture.
 */
export function restoreWindow(rows: readonly CatalogRow[]): RestoreWindowModel | undefined {
  const fulls = rows
    .filter((r) => r.type === 'full' && r.status === 'complete')
    .map((r) => ({ id: r.id, at: r.started_at }))
    .sort((a, b) => ms(a.at) - ms(b.at));
  if (!fulls.length) return undefined;
  const binlogs = rows
    .filter((r) => (r.type === 'incremental' || r.type === 'binlog') && r.status === 'complete' && r.first_event_at && r.last_event_at)
    .map((r) => ({ id: r.id, from: r.first_event_at as string, to: r.last_event_at as string }))
    .sort((a, b) => ms(a.from) - ms(b.from));
  const newest = fulls.at(-1)!.at;
  const lastEvent = binlogs.map((b) => b.to).reduce<string | undefined>((m, t) => (m === undefined || ms(t) > ms(m) ? t : m), undefined);
  const pointInTime = lastEvent !== undefined && ms(lastEvent) > ms(newest);
  return { from: fulls[0]!.at, to: pointInTime ? lastEvent! : newest, pointInTime, fulls, binlogs };
}

/** Whether `at` can be asked of a restore: inside the window, and (without binlogs) one of the full backups' times. */
export function restorable(model: RestoreWindowModel | undefined, at: string): boolean {
  if (!model) return false;
  const t = ms(at);
  if (Number.isNaN(t) || t < ms(model.from) || t > ms(model.to)) return false;
  return model.pointInTime || model.fulls.some((f) => ms(f.at) === t);
}
