import { CompiledQuery, Kysely, MysqlDialect, sql } from 'kysely';
import type { PoolConfig } from '../../config/config.js';
import { type Endpoint, endpointLabel, createMysqlPool, isMysqlUnreachable } from './mysqlPool.js';
import type { Schema } from './schema.js';

/**
 * Read/write split (issue 12 item 5, SPEC HA-4): a read that tolerates some lag may run on a
 * replica; it runs on the primary when no replica is replicating (IO and SQL threads running)
 * within that lag, and again on the primary when the replica it was given fails to answer. The
 * replicas' state is checked every `intervalMs` (`SHOW SLAVE STATUS`, which the replica account
 * may read with REPLICATION CLIENT / SLAVE MONITOR; without it a replica is never used).
 */
export interface ReplicaState {
  endpoint: string;
  reachable: boolean;
  replicating: boolean;
  /** Seconds_Behind_Master; null when unknown (SQL thread stopped, no privilege, unreachable). */
  lagSeconds: number | null;
}

export interface ReadRouting {
  /** Runs `read` on a replica within `maxLagSeconds` (default: the configured one), else on the primary. */
  read<T>(read: (db: Kysely<Schema>) => Promise<T>, o?: { maxLagSeconds?: number }): Promise<T>;
  status(): ReplicaState[];
  close(): Promise<void>;
}

interface Replica {
  endpoint: Endpoint;
  db: Kysely<Schema>;
  state: ReplicaState;
}

export function createReadRouting(o: { replicaUrls: readonly string[]; pool: PoolConfig; primary: Kysely<Schema>; maxLagSeconds: number; intervalMs: number }): ReadRouting {
  const replicas: Replica[] = o.replicaUrls.map((url) => {
    const u = new URL(url);
    const endpoint = { host: u.hostname, port: u.port ? Number(u.port) : 3306 };
    const pool = createMysqlPool(url, { ...o.pool, size: Math.min(o.pool.size, 4), overflow: Math.min(o.pool.overflow, 4), timeoutSeconds: Math.min(o.pool.timeoutSeconds, 5) });
    const db = new Kysely<Schema>({
      dialect: new MysqlDialect({ pool, onCreateConnection: async (conn) => void (await conn.executeQuery(CompiledQuery.raw("set time_zone = '+00:00'"))) }),
    });
    return { endpoint, db, state: { endpoint: endpointLabel(endpoint), reachable: false, replicating: false, lagSeconds: null } };
  });

  const check = async (r: Replica) => {
    try {
      const { rows } = await sql<Record<string, unknown>>`show slave status`.execute(r.db);
      const s = rows[0];
      const lag = s?.Seconds_Behind_Master;
      r.state = {
        ...r.state,
        reachable: true,
        replicating: s?.Slave_IO_Running === 'Yes' && s?.Slave_SQL_Running === 'Yes',
        lagSeconds: lag === null || lag === undefined ? null : Number(lag),
      };
    } catch (e) {
      r.state = { ...r.state, reachable: !isMysqlUnreachable(e), replicating: false, lagSeconds: null };
    }
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<unknown> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    checking = Promise.all(replicas.map(check)).finally(() => {
      if (!stopped) timer = setTimeout(loop, o.intervalMs);
      timer?.unref();
    });
  };
  loop();

  let next = 0;
  const eligible = (maxLag: number) => replicas.filter((r) => r.state.replicating && r.state.lagSeconds !== null && r.state.lagSeconds <= maxLag);

  return {
    async read(read, opts = {}) {
      const candidates = eligible(opts.maxLagSeconds ?? o.maxLagSeconds);
      if (candidates.length === 0) return read(o.primary);
      const r = candidates[next++ % candidates.length]!;
      try {
        return await read(r.db);
      } catch (e) {
        if (!isMysqlUnreachable(e)) throw e;
        // the replica went away since its last check: the primary answers, the replica waits for its next check
        r.state = { ...r.state, reachable: false, replicating: false, lagSeconds: null };
        return read(o.primary);
      }
    },
    status: () => replicas.map((r) => ({ ...r.state })),
    async close() {
      stopped = true;
      clearTimeout(timer);
      await checking;
      await Promise.allSettled(replicas.map((r) => r.db.destroy()));
    },
  };
}
