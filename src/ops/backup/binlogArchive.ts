import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { AppError } from '../../errors/appError.js';
import { getBackup, listBackups, reconcileOrphans, registerStored, storedManifest, type BackupRow } from './catalog.js';
import type { DatabaseBackupContext } from './databaseBackup.js';
import { detectTools, parseMysqlUrl, spawnTool } from './mysqlTools.js';
import { syncRemote, writeBackup } from './writeBackup.js';

/**
 * Incremental backups (SPEC BAK-2, manual §6.2.2 done right): rotate the binary log, then archive
 * every *closed* binlog file not archived yet — never the active one, which is still being written.
 * Files are read from the server with `mariadb-binlog --read-from-remote-server --raw` (the server's
 * datadir need not be local) and stored per server id, so a switchover cannot overwrite them.
 */
export const binlogBackupId = (serverId: number, file: string) => `binlog-${serverId}-${file}`;

export function requireMysql(ctx: DatabaseBackupContext, what: string): void {
  if (ctx.database.dialect !== 'mysql') {
    throw new AppError('INVALID', `${what} works from the MySQL/MariaDB binary log; the embedded SQLite database has full backups only (backup full)`);
  }
}

export async function archiveBinlogs(ctx: DatabaseBackupContext): Promise<BackupRow[]> {
  requireMysql(ctx, 'backup incremental');
  await reconcileOrphans(ctx);
  await syncRemote(ctx);
  const info = (await sql<{ server_id: number; log_bin: number }>`select @@server_id as server_id, @@log_bin as log_bin`.execute(ctx.database.db)).rows[0]!;
  if (Number(info.log_bin) !== 1) throw new AppError('INVALID', 'the binary log is off on this server (log_bin); incremental backups need it');
  const serverId = Number(info.server_id);
  await sql`flush binary logs`.execute(ctx.database.db);
  const logs = (await sql<{ Log_name: string }>`show binary logs`.execute(ctx.database.db)).rows.map((r) => r.Log_name);
  const closed = logs.slice(0, -1);
  // complete, or being archived right now by `backup stream`
  const known = new Set((await listBackups(ctx)).filter((r) => r.status === 'complete' || r.status === 'running').map((r) => r.id));
  const archived: BackupRow[] = [];
  for (const file of closed) {
    if (known.has(binlogBackupId(serverId, file))) continue;
    archived.push(await archiveOne(ctx, serverId, file, 'incremental'));
  }
  return archived;
}

/** Fetches one closed binlog file from the server (`--read-from-remote-server --raw`) and archives it. */
async function archiveOne(ctx: DatabaseBackupContext, serverId: number, file: string, type: 'incremental' | 'binlog'): Promise<BackupRow> {
  return archiveBinlogFile(ctx, serverId, file, type, async (tmp) => {
    const tools = await detectTools();
    await spawnTool(tools.binlog, parseMysqlUrl(ctx.dbUrl), ['--read-from-remote-server', '--raw', `--result-file=${tmp}/`, file]).done;
    return join(tmp, file);
  });
}

/**
 * Archives a complete binlog file that is already on this machine (the `backup stream` spool):
 * same layout, manifest and catalog row as `backup incremental`. The local file is left in place.
 */
export function archiveLocalBinlog(ctx: DatabaseBackupContext, serverId: number, localPath: string, file: string, type: 'incremental' | 'binlog'): Promise<BackupRow> {
  return archiveBinlogFile(ctx, serverId, file, type, async () => localPath);
}

export const binlogDataKey = (serverId: number, file: string) => `binlog/${serverId}/${file}/data.zst.enc`;

async function archiveBinlogFile(
  ctx: DatabaseBackupContext,
  serverId: number,
  file: string,
  type: 'incremental' | 'binlog',
  obtain: (tmpDir: string) => Promise<string>,
): Promise<BackupRow> {
  const id = binlogBackupId(serverId, file);
  const dataKey = binlogDataKey(serverId, file);
  // An archived binlog is never written again. The catalog can forget one — a live restore rewinds
  // it to its backup's time while `backup stream` keeps running — and archiving it anew would
  // replace the data under a point-in-time restore that is reading it (new ciphertext, old
  // manifest). What is stored is put back into the catalog instead.
  const stored = await storedManifest(ctx.local, dataKey);
  if (stored?.id === id) {
    const onRemote = ctx.remote && (await storedManifest(ctx.remote, dataKey).catch(() => undefined));
    await registerStored(ctx, stored, onRemote ? ['local', 's3'] : ['local']);
    ctx.log.info({ backup: id }, 'binlog already archived; catalog row restored from its manifest');
    return getBackup(ctx, id);
  }
  await ctx.database.db.deleteFrom('backups').where('id', '=', id).where('status', '=', 'failed').execute();
  const tools = await detectTools();
  const tmp = mkdtempSync(join(tmpdir(), 'mcp-binlog-'));
  let local = '';
  try {
    return await writeBackup(ctx, {
      id,
      type,
      dataKey,
      started: ctx.clock.now(),
      step: 'binlog',
      open: async () => {
        local = await obtain(tmp);
        return { input: { file: local }, dispose: () => {} };
      },
      describe: async () => ({
        source: { dialect: 'mysql', database: parseMysqlUrl(ctx.dbUrl).database, serverId },
        binlog: { file, ...(await eventTimes(tools.binlog, local)) },
        tools: tools.versions,
      }),
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Times of the first and last events of a local binlog file (UTC), from its decoded headers. */
export async function eventTimes(binlogTool: string, file: string): Promise<{ firstEventAt?: string; lastEventAt?: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(binlogTool, ['--no-defaults', '--base64-output=decode-rows', file], { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'] });
  let first: string | undefined;
  let last: string | undefined;
  let rest = '';
  for await (const chunk of child.stdout) {
    const lines = (rest + (chunk as Buffer).toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      const t = parseEventTime(l);
      if (t) {
        first ??= t;
        last = t;
      }
    }
  }
  return { ...(first ? { firstEventAt: first } : {}), ...(last ? { lastEventAt: last } : {}) };
}

/** `#261126  5:20:01 server id 1 …` → ISO time (the tool prints in its TZ, which we set to UTC). */
export function parseEventTime(line: string): string | undefined {
  const m = /^#(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+server id/.exec(line);
  if (!m) return undefined;
  return new Date(Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))).toISOString();
}
