import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, ensureMysqlDatabase, type Database } from '../../src/infra/db/database.js';
import { migrateToLatest } from '../../src/infra/db/migrate.js';
import { SERVICES, uniqueName } from '../support/services.js';
import { dropDatabase } from '../support/testPlatform.js';

const pool = { size: 10, overflow: 20, timeoutSeconds: 30, recycleSeconds: 3600 };

describe('database adapter on MariaDB', () => {
  const name = uniqueName('mcp_dbtest');
  const url = `${SERVICES.mysql}/${name}`;
  beforeAll(() => ensureMysqlDatabase(url));
  afterAll(() => dropDatabase(name));

  it('waits at most the pool timeout for a connection, then fails with UNAVAILABLE; reports in-use and waiting', async () => {
    const db = createDatabase(url, { size: 1, overflow: 0, timeoutSeconds: 1, recycleSeconds: 3600 });
    try {
      let release!: () => void;
      const held = db.db.connection().execute(async (conn) => {
        await sql`select 1`.execute(conn);
        await new Promise<void>((r) => (release = r));
      });
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const waiting = sql`select 1`.execute(db.db).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(db.poolStats()).toMatchObject({ max: 1, inUse: 1, waiting: 1 });
      expect(await waiting).toBe('UNAVAILABLE');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      release();
      await held;
      await new Promise((r) => setTimeout(r, 50));
      expect(db.poolStats()).toMatchObject({ inUse: 0, waiting: 0, idle: 1 });
      await sql`select 1`.execute(db.db); // the pool works again
    } finally {
      await db.close();
    }
  });

  it('replaces connections older than the recycle age', async () => {
    const db = createDatabase(url, { size: 1, overflow: 0, timeoutSeconds: 5, recycleSeconds: 1 });
    try {
      const id = async () => Number((await sql<{ id: number }>`select connection_id() as id`.execute(db.db)).rows[0]!.id);
      const first = await id();
      expect(await id()).toBe(first);
      await new Promise((r) => setTimeout(r, 1200));
      expect(await id()).not.toBe(first);
    } finally {
      await db.close();
    }
  });

  it('runs overflow connections under load up to size + overflow', async () => {
    const db = createDatabase(url, pool);
    try {
      await Promise.all(Array.from({ length: 40 }, () => sql`select sleep(0.2)`.execute(db.db)));
      const s = db.poolStats();
      expect(s.max).toBe(30);
      expect(s.total).toBeLessThanOrEqual(30);
      expect(s.total).toBeGreaterThan(10);
    } finally {
      await db.close();
    }
  });
});

describe('migrations give both dialects the same schema', () => {
  let mysql: Database;
  let sqlite: Database;
  const name = uniqueName('mcp_schema');

  beforeAll(async () => {
    await ensureMysqlDatabase(`${SERVICES.mysql}/${name}`);
    mysql = createDatabase(`${SERVICES.mysql}/${name}`, pool);
    sqlite = createDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), 'mcp-schema-')), 'x.db')}`, pool);
    await migrateToLatest(mysql);
    await migrateToLatest(sqlite);
  });
  afterAll(async () => {
    await mysql.close();
    await sqlite.close();
    await dropDatabase(name);
  });

  it('same tables and columns', async () => {
    // MariaDB: SHOW TABLES / SHOW COLUMNS, not Kysely's information_schema join, which has crashed
    // MariaDB 10.11 (signal 11) while other tests create and drop databases on the shared server
    const mysqlShape = async (d: Database) => {
      const tables = (await sql<Record<string, string>>`show tables`.execute(d.db)).rows.map((r) => Object.values(r)[0]!);
      const out: Record<string, string[]> = {};
      for (const t of tables.filter((x) => !x.startsWith('schema_migrations')).sort()) {
        const cols = (await sql<{ Field: string; Null: string }>`show columns from ${sql.id(t)}`.execute(d.db)).rows;
        out[t] = cols.map((c) => `${c.Field}${c.Null === 'YES' ? '?' : ''}`).sort();
      }
      return out;
    };
    const shape = async (d: Database) =>
      Object.fromEntries(
        (await d.db.introspection.getTables())
          .filter((t) => !t.name.startsWith('schema_migrations'))
          .map((t) => [t.name, t.columns.map((c) => `${c.name}${c.isNullable ? '?' : ''}`).sort()]),
      );
    const m = await mysqlShape(mysql);
    expect(Object.keys(m).sort()).toEqual([
      'alert_events',
      'alerts',
      'audit_chain',
      'audit_log',
      'backup_stream_status',
      'backups',
      'db_topology',
      'incident_alerts',
      'incident_checklist',
      'incident_events',
      'incidents',
      'jobs',
      'login_log',
      'login_throttle',
      'notify_attempts',
      'notify_channels',
      'notify_contacts',
      'notify_group_members',
      'notify_groups',
      'notify_outbox',
      'notify_outbox_alerts',
      'notify_pacing',
      'notify_routes',
      'notify_silences',
      'ops_locks',
      'permissions',
      'refresh_tokens',
      'restore_targets',
      'role_permissions',
      'roles',
      'settings',
      'user_roles',
      'users',
    ]);
    expect(await shape(sqlite)).toEqual(m);
  });

  it('usernames and emails are unique and indexed (manual §7.1) on both', async () => {
    const mysqlIdx = (await sql<{ Key_name: string; Non_unique: number }>`show index from users`.execute(mysql.db)).rows;
    expect(mysqlIdx.filter((i) => ['idx_username', 'idx_email'].includes(i.Key_name)).map((i) => Number(i.Non_unique))).toEqual([0, 0]);
    const sqliteIdx = (await sql<{ name: string; unique: number }>`pragma index_list('users')`.execute(sqlite.db)).rows;
    expect(
      sqliteIdx
        .filter((i) => ['idx_username', 'idx_email'].includes(i.name))
        .map((i) => i.unique)
        .sort(),
    ).toEqual([1, 1]);
  });
});

describe('SQLite files are private', () => {
  it('creates the data directory 0700 and the database, -wal and -shm files 0600; tightens an existing 0644 file', async () => {
    const base = mkdtempSync(join(tmpdir(), 'mcp-sqlite-modes-'));
    try {
      const dataDir = join(base, 'data');
      const file = join(dataDir, 'mcp_platform.db');
      const db = createDatabase(`sqlite:${file}`, pool);
      await migrateToLatest(db);
      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(mode(dataDir)).toBe(0o700);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
      await db.close();
      chmodSync(file, 0o644);
      const again = createDatabase(`sqlite:${file}`, pool);
      await migrateToLatest(again);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
      await again.close();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
