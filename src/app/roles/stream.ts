import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import type { BackupOpsContext } from '../../ops/backup/context.js';
import { startBinlogStream, type StreamStatus } from '../../ops/backup/binlogStream.js';
import { registerBinlogStreamMetrics } from '../../ops/backup/metrics.js';
import { HOLDER } from '../../ops/holder.js';
import { publishStreamStatus, STREAM_PUBLISH_MS } from '../../ops/backup/streamStatus.js';
import type { RunningRole } from './role.js';

export interface StreamRoleDeps {
  backup: BackupOpsContext;
  /** Where the active binlog is kept until it rotates. */
  spoolDir: string;
  /** Replication server id of the stream (default: a stable random one kept in the spool). */
  serverId?: number;
  /** Serve the stream's gauges (mcp_backup_stream_*) on their own `/metrics` port. */
  metricsPort?: number;
  /** Register the gauges in this registry instead (the web role's /metrics, when both run in one process). */
  registry?: Registry;
  /** Called every `reportEveryMs` (default 10 s) with the stream's status. */
  report?: (s: StreamStatus) => void;
  reportEveryMs?: number;
}

export interface RunningStream extends RunningRole {
  status(): StreamStatus;
}

/**
 * The stream role: the binlog streaming daemon (MySQL/MariaDB), supervised by
 * ops/backup/binlogStream.ts, with its gauges on a bare /metrics endpoint when a port is given.
 */
export async function startStreamRole(deps: StreamRoleDeps): Promise<RunningStream> {
  const stream = await startBinlogStream(deps.backup, { spoolDir: deps.spoolDir, serverIdForStream: deps.serverId });
  let metricsServer: Server | undefined;
  let report: NodeJS.Timeout | undefined;
  let published: NodeJS.Timeout | undefined;
  try {
    const registry = deps.registry ?? new Registry();
    registerBinlogStreamMetrics(registry, stream);
    metricsServer = deps.metricsPort === undefined ? undefined : await serveMetrics(registry, deps.metricsPort);
    // the status also goes to the database every STREAM_PUBLISH_MS (GET /api/ops/backups/stream, the console's 备份 page)
    const publish = () =>
      publishStreamStatus(deps.backup.database.db, HOLDER, stream.status(), deps.backup.clock.now()).catch((e: unknown) =>
        deps.backup.log?.warn({ err: (e as Error).message }, 'could not record the binlog stream status'),
      );
    const onReport = deps.report;
    if (onReport) report = setInterval(() => onReport(stream.status()), deps.reportEveryMs ?? 10_000);
    published = setInterval(() => void publish(), STREAM_PUBLISH_MS);
    void publish();
  } catch (e) {
    await stream.stop();
    throw e;
  }
  const done = stream.done.then(async () => {
    clearInterval(report);
    clearInterval(published);
    metricsServer?.close();
    await publishStreamStatus(deps.backup.database.db, HOLDER, stream.status(), deps.backup.clock.now()).catch(() => undefined);
  });
  return {
    name: 'stream',
    status: () => stream.status(),
    done,
    async stop() {
      await stream.stop();
      await done;
    },
  };
}

/** A bare /metrics endpoint for a daemon that is not the HTTP server. */
async function serveMetrics(registry: Registry, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
  return server;
}
