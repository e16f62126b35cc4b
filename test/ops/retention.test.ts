import { describe, expect, it } from 'vitest';
import type { BackupRow } from '../../src/ops/backup/catalog.js';
import { planRetention } from '../../src/ops/backup/retention.js';
import { toDbTime } from '../../src/infra/db/time.js';

const now = new Date('2026-11-26T02:00:00Z');
const DAY = 86_400_000;
const policy = { full: 30, incremental: 7, binlog: 7, schema: 90, config: 90, logs: 30 };

function row(id: string, type: BackupRow['type'], daysAgo: number, extra: Partial<BackupRow> = {}): BackupRow {
  return {
    id,
    type,
    status: 'complete',
    started_at: toDbTime(new Date(now.getTime() - daysAgo * DAY)),
    finished_at: null,
    data_key: `${type}/${id}/data`,
    locations: 'local',
    raw_bytes: 1,
    stored_bytes: 1,
    sha256: null,
    binlog_file: null,
    binlog_pos: null,
    gtid: null,
    first_event_at: null,
    last_event_at: null,
    server_id: 1,
    key_id: 'k',
    verified_at: null,
    verify_result: null,
    holder: null,
    error: null,
    manifest: null,
    safety: 0,
    ...extra,
  };
}
const decisions = (rows: BackupRow[]) => Object.fromEntries(planRetention(rows, policy, now).map((d) => [d.id, d.action]));

describe('retention', () => {
  it('deletes by age per type', () => {
    expect(
      decisions([
        row('schema-old', 'schema', 91),
        row('schema-new', 'schema', 89),
        row('logs-old', 'logs', 31),
        row('config-new', 'config', 60),
        row('full-old', 'full', 40),
        row('full-new', 'full', 1),
      ]),
    ).toEqual({ 'schema-old': 'delete', 'schema-new': 'keep', 'logs-old': 'delete', 'config-new': 'keep', 'full-old': 'delete', 'full-new': 'keep' });
  });

  it('never deletes the newest full backup or the newest verified one, however old', () => {
    expect(decisions([row('verified', 'full', 50, { verify_result: 'passed' }), row('newest', 'full', 45)])).toEqual({ verified: 'keep', newest: 'keep' });
  });

  it('keeps the full backup at the start of the binlog window and every binlog after its coordinates', () => {
    const rows = [
      row('full-20d', 'full', 20, { binlog_file: 'mysql-bin.000003' }),
      row('full-9d', 'full', 9, { binlog_file: 'mysql-bin.000010' }),
      row('full-2d', 'full', 2, { binlog_file: 'mysql-bin.000020' }),
      row('bin-3', 'incremental', 19, { binlog_file: 'mysql-bin.000003' }),
      row('bin-9', 'incremental', 10, { binlog_file: 'mysql-bin.000009' }),
      row('bin-10', 'incremental', 9, { binlog_file: 'mysql-bin.000010' }),
      row('bin-11', 'binlog', 8, { binlog_file: 'mysql-bin.000011' }),
      row('bin-21', 'binlog', 1, { binlog_file: 'mysql-bin.000021' }),
      row('bin-other-server', 'binlog', 8, { binlog_file: 'mysql-bin.000001', server_id: 2 }),
    ];
    expect(decisions(rows)).toEqual({
      'full-20d': 'keep', // within 30 days
      'full-9d': 'keep', // base of the 7-day point-in-time window
      'full-2d': 'keep',
      'bin-3': 'delete', // older than 7 days; the window starts from full-9d at .000010
      'bin-9': 'delete',
      'bin-10': 'keep', // older than 7 days but full-9d needs it
      'bin-11': 'keep',
      'bin-21': 'keep',
      'bin-other-server': 'delete',
    });
  });

  it('removes failed attempts after a day and never touches running ones', () => {
    expect(
      decisions([
        row('f-old', 'full', 2, { status: 'failed' }),
        row('f-new', 'full', 0.5, { status: 'failed' }),
        row('run', 'full', 3, { status: 'running' }),
        row('ok', 'full', 1),
      ]),
    ).toEqual({
      'f-old': 'delete',
      'f-new': 'keep',
      run: 'keep',
      ok: 'keep',
    });
  });
});
