/** The machine's shared services (never stopped or reconfigured by tests). */
export const SERVICES = {
  mysql: process.env.MCP_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  redis: process.env.MCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  amqp: process.env.MCP_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

/** host and port of a service URL, for pointing a TCP proxy at it. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}
