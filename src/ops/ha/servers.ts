import mysql from 'mysql2/promise';
import { invalid } from '../../errors/appError.js';

/**
 * The database servers HA works on, from config (issue 12 items 1, 8): the configured primary
 * (MCP_DB_URL) and replicas (MCP_DB_REPLICA_URLS), each confirmed by what it reports. HA reads and
 * acts as one account: MCP_DB_REPLICATION_URL's user (defaulting to MCP_DB_URL's), which is also
 * the account replicas connect with (CHANGE MASTER). Its password is never logged or returned.
 */
export interface HaConfig {
  dbUrl: string;
  dbReplicaUrls: string[];
  /** mysql://user:pass@… whose credentials are used; default MCP_DB_URL's. */
  replicationUrl?: string;
}

export interface ServerRef {
  host: string;
  port: number;
  /** host:port */
  address: string;
  configuredAs: 'primary' | 'replica';
}

export interface Credentials {
  user: string;
  password: string;
}

function parse(raw: string, what: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw invalid(`${what} is not a URL`);
  }
}

export function serverOf(raw: string, configuredAs: ServerRef['configuredAs']): ServerRef {
  const u = parse(raw, configuredAs === 'primary' ? 'MCP_DB_URL' : 'MCP_DB_REPLICA_URLS');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 3306);
  return { host, port, address: `${host}:${port}`, configuredAs };
}

/** The configured servers, the primary first; a server listed twice counts once. */
export function configuredServers(cfg: HaConfig): ServerRef[] {
  if (!cfg.dbUrl.startsWith('mysql:')) throw invalid('high availability needs MySQL/MariaDB (MCP_DB_URL is SQLite): there is no replication topology', { field: 'MCP_DB_URL' });
  const out: ServerRef[] = [serverOf(cfg.dbUrl, 'primary')];
  for (const r of cfg.dbReplicaUrls) {
    const s = serverOf(r, 'replica');
    if (!out.some((x) => x.address === s.address)) out.push(s);
  }
  return out;
}

export function haCredentials(cfg: HaConfig): Credentials {
  const u = parse(cfg.replicationUrl ?? cfg.dbUrl, cfg.replicationUrl ? 'MCP_DB_REPLICATION_URL' : 'MCP_DB_URL');
  return { user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

/** The platform's database name (MCP_DB_URL's path). */
export function platformDatabase(cfg: HaConfig): string {
  return decodeURIComponent(parse(cfg.dbUrl, 'MCP_DB_URL').pathname.replace(/^\//, ''));
}

export async function connect(s: Pick<ServerRef, 'host' | 'port'>, cred: Credentials, timeoutMs = 2_000): Promise<mysql.Connection> {
  const c = await mysql.createConnection({ host: s.host, port: s.port, user: cred.user, password: cred.password, connectTimeout: timeoutMs, supportBigNumbers: true });
  c.on('error', () => undefined);
  return c;
}

/** An error message safe to show: the server's message without the SQL text (which may hold a password). */
export function safeMessage(e: unknown): string {
  const err = e as { code?: string; errno?: number; sqlMessage?: string; message?: string };
  const msg = err.sqlMessage ?? err.message ?? String(e);
  return err.code ? `${err.code}${err.errno ? ` (${err.errno})` : ''}: ${msg}` : msg;
}

/** The HA part of the platform's config. */
export function haConfigFrom(c: { dbUrl: string; dbReplicaUrls: string[]; dbReplicationUrl?: string | undefined }): HaConfig {
  return { dbUrl: c.dbUrl, dbReplicaUrls: c.dbReplicaUrls, ...(c.dbReplicationUrl ? { replicationUrl: c.dbReplicationUrl } : {}) };
}

/** The platform database URL with another host:port (same user, password and database). */
export function urlOn(dbUrl: string, s: Pick<ServerRef, 'host' | 'port'>): string {
  const u = new URL(dbUrl);
  u.hostname = s.host.includes(':') ? `[${s.host}]` : s.host;
  u.port = String(s.port);
  return u.toString();
}
