// The shared services a benchmark run uses for its own database and keys (MariaDB, Redis).
import { createConnection } from 'mysql2/promise';

/** mysql2 connection options from a `mysql://user:pass@host:port` URL. */
export function mysqlOptions(url) {
  const u = new URL(url);
  return { host: u.hostname, port: u.port ? Number(u.port) : 3306, user: decodeURIComponent(u.username) || 'root', password: decodeURIComponent(u.password), connectTimeout: 5000 };
}

/** One statement on `settings.mysqlUrl`, on a connection of its own. */
export async function mysqlQuery(settings, sql) {
  const conn = await createConnection(mysqlOptions(settings.mysqlUrl));
  try {
    return await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** Deletes every Redis key under `prefix`; returns how many. */
export async function deleteKeys(redis, prefix) {
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 })) if (keys.length) deleted += await redis.unlink(...keys);
  return deleted;
}
