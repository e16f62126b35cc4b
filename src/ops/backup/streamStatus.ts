import type { Kysely } from 'kysely';
import { fromDbTime, toDbTime } from '../../infra/db/time.js';
import type { Schema } from '../../infra/db/schema.js';
import type { StreamStatus } from './binlogStream.js';

const ROW = 'binlog';
/** How often the stream records its status. */
export const STREAM_PUBLISH_MS = 2_000;

/**
 * What the binlog stream last reported, for the API and the console (the stream runs in its own
 * process: `backup stream`, or the stream role). `state`: `running` while reports keep coming,
 * `stale` when the last one is older than three publishing intervals (the process died or hangs),
 * `stopped` when the stream said so, `never` without any report.
 */
export interface PublishedStreamStatus {
  state: 'running' | 'stale' | 'stopped' | 'never';
  holder: string | null;
  reportedAt: string | null;
  status: StreamStatus | null;
}

/** Records the stream's status (one row, replaced). A failure to record never stops the stream. */
export async function publishStreamStatus(db: Kysely<Schema>, holder: string, status: StreamStatus, now: Date): Promise<void> {
  const row = { holder, reported_at: toDbTime(now), status: JSON.stringify(status) };
  const updated = await db.updateTable('backup_stream_status').set(row).where('id', '=', ROW).executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0)
    await db
      .insertInto('backup_stream_status')
      .values({ id: ROW, ...row })
      .execute()
      .catch(async () => {
        // another reporter inserted it first: update it
        await db.updateTable('backup_stream_status').set(row).where('id', '=', ROW).execute();
      });
}

export async function readStreamStatus(db: Kysely<Schema>, now: Date, reportEveryMs: number): Promise<PublishedStreamStatus> {
  const row = await db.selectFrom('backup_stream_status').selectAll().where('id', '=', ROW).executeTakeFirst();
  if (!row) return { state: 'never', holder: null, reportedAt: null, status: null };
  const reportedAt = fromDbTime(row.reported_at);
  const status = JSON.parse(row.status) as StreamStatus;
  const state = !status.running ? 'stopped' : now.getTime() - reportedAt.getTime() > 3 * reportEveryMs ? 'stale' : 'running';
  return { state, holder: row.holder, reportedAt: reportedAt.toISOString(), status };
}
