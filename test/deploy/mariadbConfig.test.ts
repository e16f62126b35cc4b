import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MariadbServer } from '../support/mariadbServer.js';
import { connectAs, type ReplicaSet, startReplicaSet } from '../support/replicaSet.js';
import { uniqueName } from '../support/services.js';
import { waitFor } from '../support/waitFor.js';
import { DEPLOY } from './helpers.js';

/**
 * deploy/mariadb/60-mcp-ha.cnf, checked by the server itself: three real mariadbd started with its
 * [mariadbd] section (mariadbd refuses an option it does not know), reporting what the file says —
 * read-only at start, the primary too; semi-sync on both sides and active once the primary is
 * made writable.
 */
const CNF = path.join(DEPLOY, 'mariadb', '60-mcp-ha.cnf');
/** Set per server by the test harness (ports, ids, file names). */
const PER_SERVER = new Set(['server_id', 'report_host']);

function mariadbdSection(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inSection = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      inSection = header[1] === 'mariadbd';
      continue;
    }
    if (!inSection) continue;
    const m = /^([a-z_]+)\s*=\s*(.+)$/.exec(line);
    if (!m) throw new Error(`unexpected line in ${CNF}: ${raw}`);
    out[m[1]!] = m[2]!.trim();
  }
  return out;
}

describe('deploy/mariadb/60-mcp-ha.cnf on real servers', () => {
  const settings = mariadbdSection(readFileSync(CNF, 'utf8'));
  let rs: ReplicaSet;
  const dbName = uniqueName('mcp_cnf');

  beforeAll(async () => {
    const args = Object.entries(settings)
      .filter(([k]) => !PER_SERVER.has(k))
      .map(([k, v]) => `--${k.replaceAll('_', '-')}=${v}`);
    rs = await startReplicaSet({ replicas: 2, extraArgs: args, database: dbName });
  }, 90_000);

  afterAll(async () => {
    await rs?.destroy();
  });

  it('ships what HA needs: GTID binlogs on every server, durability, read_only and semi-sync', () => {
    expect(settings).toMatchObject({
      log_bin: 'mysql-bin',
      binlog_format: 'ROW',
      log_slave_updates: 'ON',
      gtid_strict_mode: 'ON',
      sync_binlog: '1',
      innodb_flush_log_at_trx_commit: '1',
      read_only: 'ON',
      rpl_semi_sync_master_enabled: 'ON',
      rpl_semi_sync_slave_enabled: 'ON',
      rpl_semi_sync_master_wait_point: 'AFTER_SYNC',
    });
  });

  it('every server starts read-only, the primary too; semi-sync acknowledges writes once the primary is made writable', async () => {
    const vars = async (s: MariadbServer) =>
      Object.fromEntries(
        (
          await s.query<{ Variable_name: string; Value: string }>(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only','gtid_strict_mode','log_slave_updates','sync_binlog','binlog_format','rpl_semi_sync_master_enabled','rpl_semi_sync_slave_enabled','rpl_semi_sync_master_wait_point')",
          )
        ).map((r) => [r.Variable_name, r.Value]),
      );
    for (const s of rs.servers) {
      expect(await vars(s)).toMatchObject({
        read_only: 'ON',
        gtid_strict_mode: 'ON',
        log_slave_updates: 'ON',
        sync_binlog: '1',
        binlog_format: 'ROW',
        rpl_semi_sync_master_enabled: 'ON',
        rpl_semi_sync_slave_enabled: 'ON',
        rpl_semi_sync_master_wait_point: 'AFTER_SYNC',
      });
    }
    // an application account (no SUPER / READ_ONLY ADMIN) cannot write to the primary after a restart
    await rs.primary.query("CREATE USER 'cnf_app'@'%' IDENTIFIED BY 'Cnf-App-2026!'");
    await rs.primary.query(`GRANT ALL PRIVILEGES ON \`${dbName}\`.* TO 'cnf_app'@'%'`);
    await rs.primary.query(`CREATE TABLE \`${dbName}\`.t (id INT PRIMARY KEY) ENGINE=InnoDB`);
    const app = await connectAs(rs.primary, 'cnf_app', 'Cnf-App-2026!', dbName);
    try {
      await expect(app.query('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ errno: 1290 });
      await rs.primary.query('SET GLOBAL read_only = 0');
      await waitFor('both replicas to acknowledge as semi-sync clients', async () => {
        const st = Object.fromEntries(
          (await rs.primary.query<{ Variable_name: string; Value: string }>("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'")).map((r) => [r.Variable_name, r.Value]),
        );
        return st.Rpl_semi_sync_master_status === 'ON' && Number(st.Rpl_semi_sync_master_clients) === 2;
      });
      const yes = async () => Number((await rs.primary.query<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_yes_tx'"))[0]?.Value);
      const before = await yes();
      await app.query('INSERT INTO t VALUES (1)');
      expect(await yes()).toBe(before + 1);
    } finally {
      await app.end();
    }
  }, 60_000);
});
