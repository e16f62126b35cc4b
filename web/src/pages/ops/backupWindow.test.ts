import { describe, expect, it } from 'vitest';
import { type CatalogRow, restorable, restoreWindow } from './backupWindow';

const row = (id: string, type: CatalogRow['type'], started_at: string, extra: Partial<CatalogRow> = {}): CatalogRow => ({
  id,
  type,
  status: 'complete',
  started_at,
  finished_at: started_at,
  first_event_at: null,
  last_event_at: null,
  safety: 0,
  ...extra,
});

describe('the restorable window drawn on the backups page', () => {
  it('is absent without a complete full backup (a failed one or a schema backup restores nothing)', () => {
    expect(restoreWindow([])).toBeUndefined();
    expect(restoreWindow([row('a', 'schema', '2026-11-01T00:00:00Z'), row('b', 'full', '2026-11-02T00:00:00Z', { status: 'failed' })])).toBeUndefined();
  });

  it('without binlogs spans the full backups and only their own times are restorable', () => {
    const w = restoreWindow([row('f2', 'full', '2026-11-02T02:00:00Z'), row('f1', 'full', '2026-11-01T02:00:00Z'), row('s', 'schema', '2026-11-03T00:00:00Z')])!;
    expect(w).toMatchObject({ from: '2026-11-01T02:00:00Z', to: '2026-11-02T02:00:00Z', pointInTime: false });
    expect(w.fulls.map((f) => f.id)).toEqual(['f1', 'f2']);
    expect(restorable(w, '2026-11-01T02:00:00Z')).toBe(true);
    expect(restorable(w, '2026-11-01T12:00:00Z')).toBe(false);
    expect(restorable(w, '2026-11-03T00:00:00Z')).toBe(false);
  });

  it('binlogs archived after the newest full backup extend the window to their last event and make every second restorable', () => {
    const w = restoreWindow([
      row('f1', 'full', '2026-11-01T02:00:00Z'),
      row('i1', 'incremental', '2026-11-01T03:00:00Z', { first_event_at: '2026-11-01T02:00:01Z', last_event_at: '2026-11-01T03:00:00Z' }),
      row('b2', 'binlog', '2026-11-01T04:00:00Z', { first_event_at: '2026-11-01T03:00:01Z', last_event_at: '2026-11-01T03:59:30Z' }),
      row('b3', 'binlog', '2026-11-01T05:00:00Z', { status: 'running', first_event_at: '2026-11-01T04:00:01Z', last_event_at: '2026-11-01T04:30:00Z' }),
    ])!;
    expect(w).toMatchObject({ from: '2026-11-01T02:00:00Z', to: '2026-11-01T03:59:30Z', pointInTime: true });
    expect(w.binlogs.map((b) => b.id)).toEqual(['i1', 'b2']);
    expect(restorable(w, '2026-11-01T03:30:00Z')).toBe(true);
    expect(restorable(w, '2026-11-01T04:10:00Z')).toBe(false);
    expect(restorable(w, 'not a time')).toBe(false);
  });
});
