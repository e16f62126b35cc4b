import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messages } from '../../src/i18n/messages.js';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli, startServe } from '../support/cli.js';
import { startMariadb, type MariadbServer } from '../support/mariadbServer.js';
import { freePort } from '../support/mariadbServer.js';

/**
 * Issue 9 C1: `kill -9` of a CLI live restore at its worst moment. Afterwards the data is wholly
 * the old or wholly the new, the maintenance flag is gone, the server starts, and it reports the
 * interrupted restore (job failed "interrupted") and removes the staging leftovers.
 */
const PASSWORD = 'Kill-Restore-Pass!1';

/** Starts `restore` and SIGKILLs it `delayMs` after it announces `step` on stderr; resolves once it is dead. */
async function killRestoreAt(args: string[], env: Record<string, string>, step: string, delayMs: number): Promise<string> {
  // steps are announced in the run's language: English here, to match the step keys
  const child = spawn(process.execPath, [CLI, 'restore', ...args], { env: { PATH: process.env.PATH ?? '', ...env, MCP_LANG: 'en' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(`… ${messages('en')['restore.step'](step)}\n`)) {
        child.stderr.off('data', onData);
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, delayMs);
      }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(() => reject(new Error(`restore ended before "${step}":\n${out}`)));
  });
  expect(await exited).toBe(null); // killed, not finished
  return out;
}

async function serveAndCheck(env: Record<string, string>): Promise<{ jobs: { kind: string; status: string; error?: { message: string } }[]; ready: number }> {
  const port = await freePort();
  const serve = await startServe({ ...env, MCP_PORT: String(port), MCP_SCHEDULER: 'false' });
  try {
    const ready = await fetch(`${serve.url}/ready`);
    const login = (await (
      await fetch(`${serve.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      })
    ).json()) as { accessToken: string };
    const jobs = (await (await fetch(`${serve.url}/api/ops/jobs`, { headers: { authorization: `Bearer ${login.accessToken}` } })).json()) as {
      items?: { kind: string; status: string; error?: { message: string } }[];
    };
    if (!jobs.items) throw new Error(`jobs: ${JSON.stringify(jobs)} login: ${JSON.stringify(login)}`);
    return { jobs: jobs.items, ready: ready.status };
  } finally {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
}

describe('kill -9 during a live restore on SQLite', () => {
  let dir: string;
  let env: Record<string, string>;
  const file = () => join(dir, 'data', 'mcp_platform.db');
  const state = () => {
    const db = new SQLite(file(), { readonly: true });
    try {
      const marker = (db.prepare(`select value from settings where name = 'marker'`).get() as { value: string } | undefined)?.value;
      const bulk = (db.prepare(`select count(*) as n from settings where name like 'bulk.%'`).get() as { n: number }).n;
      return { marker, bulk };
    } finally {
      db.close();
    }
  };
  const fill = (marker: string, from: number, to: number) => {
    const db = new SQLite(file());
    try {
      db.pragma('busy_timeout = 5000');
      const put = db.prepare(`insert or replace into settings (name, value, updated_at, updated_by) values (?, ?, '2026-11-30 00:00:00.000', 'test')`);
      db.transaction(() => {
        put.run('marker', marker);
        for (let i = from; i < to; i++) put.run(`bulk.${i}`, `${i}-${'x'.repeat(180)}`);
      })();
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-kill-restore-'));
    env = {
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_ADMIN_PASSWORD: PASSWORD,
      MCP_BACKUP_KEY: 'kill-restore-backup-secret-0123456789',
    };
    expect((await runCli(['admin', 'create', '--username', 'admin', '--password-stdin'], env, PASSWORD)).code).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('killed inside the switch: the old data whole, no flag, the server starts and reports the interrupted restore', async () => {
    fill('backup', 0, 300_000);
    const full = await runCli(['backup', 'full'], env, undefined, 120_000);
    expect(full.code, full.stderr).toBe(0);
    fill('live', 300_000, 320_000);
    expect(state()).toEqual({ marker: 'live', bulk: 320_000 });

    await killRestoreAt(['latest', '--force', '--confirm', 'mcp_platform.db'], env, 'switch', 150);
    expect(existsSync(join(dir, 'data', 'maintenance.json'))).toBe(true); // left behind by the dead process…
    expect(state()).toEqual({ marker: 'live', bulk: 320_000 }); // …but the data is the old one, whole

    const after = await serveAndCheck(env); // …and the flag is off: the server is ready
    expect(after.ready).toBe(200);
    const restore = after.jobs.find((j) => j.kind === 'restore');
    expect(restore).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/interrupted/) } });
    expect(readdirSync(join(dir, 'data', 'restores')).filter((n) => n.startsWith('.staging-'))).toEqual([]);
    const audit = await runCli(['audit', 'verify'], env);
    expect(audit.code, audit.stdout).toBe(0);

    // the same restore run to its end gives the new data, whole
    const done = await runCli(['restore', 'latest', '--force', '--confirm', 'mcp_platform.db'], env, undefined, 120_000);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/数据时间点 \d{4}-\d{2}-\d{2}T/);
    expect(done.stderr).toContain('… 切换到恢复的数据'); // the steps in the run's language
    const list = await runCli(['backup', 'list'], env);
    expect(list.stdout).toMatch(/complete .*\[恢复前安全备份，不作为 latest\]/); // the safety backup is marked
    expect(state()).toEqual({ marker: 'backup', bulk: 300_000 });
  }, 300_000);
});

describe('kill -9 during a live restore on MariaDB', () => {
  let db: MariadbServer;
  let dir: string;
  let env: Record<string, string>;
  const state = async () => ({
    marker: (await db.query<{ value: string }>(`SELECT value FROM mcp_platform.settings WHERE name = 'marker'`))[0]?.value,
    bulk: Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM mcp_platform.bulk'))[0]!.n),
  });
  const stages = async () =>
    (await db.query<{ name: string }>(`SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE 'mcp\\_stage\\_%'`)).map((r) => r.name);

  beforeAll(async () => {
    db = await startMariadb();
    dir = mkdtempSync(join(tmpdir(), 'mcp-kill-restore-my-'));
    env = {
      MCP_DB_URL: db.url('mcp_platform'),
      MCP_DATA_DIR: join(dir, 'data'),
      MCP_LOG_DIR: join(dir, 'logs'),
      MCP_LOG_LEVEL: 'warn',
      MCP_ADMIN_PASSWORD: PASSWORD,
      MCP_BACKUP_KEY: 'kill-restore-backup-secret-0123456789',
    };
    expect((await runCli(['admin', 'create', '--username', 'admin', '--password-stdin'], env, PASSWORD)).code).toBe(0);
    // ~60 MB of poorly compressible rows so loading takes a while
    await db.query('CREATE TABLE mcp_platform.bulk (id INT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(2000)) ENGINE=InnoDB');
    await db.query('INSERT INTO mcp_platform.bulk (payload) VALUES (REPEAT(MD5(RAND()), 60))');
    for (let i = 0; i < 15; i++) await db.query('INSERT INTO mcp_platform.bulk (payload) SELECT CONCAT(MD5(RAND()), SUBSTRING(payload, 33)) FROM mcp_platform.bulk');
    await db.query(`INSERT INTO mcp_platform.settings (name, value, updated_at, updated_by) VALUES ('marker', 'backup', '2026-11-30 00:00:00.000', 'test')`);
  }, 180_000);
  afterAll(async () => {
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('killed while loading: the live data untouched, no flag, the server starts, reports it and drops the staging database', async () => {
    const full = await runCli(['backup', 'full'], env, undefined, 180_000);
    expect(full.code, full.stderr).toBe(0);
    await db.query(`UPDATE mcp_platform.settings SET value = 'live' WHERE name = 'marker'`);
    await db.query('DELETE FROM mcp_platform.bulk WHERE id NOT IN (SELECT id FROM (SELECT id FROM mcp_platform.bulk ORDER BY id LIMIT 1000) AS keep)');
    expect(await state()).toEqual({ marker: 'live', bulk: 1000 });

    await killRestoreAt(['latest', '--force', '--confirm', 'mcp_platform'], env, 'load', 1500);
    expect(await state()).toEqual({ marker: 'live', bulk: 1000 });
    expect((await stages()).length).toBe(1); // the half-loaded staging database, beside the live one

    const after = await serveAndCheck(env);
    expect(after.ready).toBe(200);
    expect(after.jobs.find((j) => j.kind === 'restore')).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/interrupted/) } });
    expect(await stages()).toEqual([]);
    expect(await state()).toEqual({ marker: 'live', bulk: 1000 });

    const done = await runCli(['restore', 'latest', '--force', '--confirm', 'mcp_platform'], env, undefined, 180_000);
    expect(done.code, done.stderr).toBe(0);
    expect(await state()).toEqual({ marker: 'backup', bulk: 32_768 });
    expect(await stages()).toEqual([]);
    const audit = await runCli(['audit', 'verify'], env);
    expect(audit.code, audit.stdout).toBe(0);
  }, 400_000);
});
