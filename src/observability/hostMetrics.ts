import { readFileSync, statfsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The platform's own host figures (SPEC MON-3), so the embedded mode can watch CPU, memory, disk
 * and network without node_exporter. Values are read at scrape time.
 */
export function registerHostMetrics(registry: Registry, diskPaths: readonly string[]): void {
  let last = cpuTimes();
  new Gauge({
    name: 'mcp_host_cpu_utilization_ratio',
    help: 'Share of CPU time the host spent busy since the previous scrape (0-1)',
    registers: [registry],
    collect() {
      const now = cpuTimes();
      const total = now.total - last.total;
      const idle = now.idle - last.idle;
      if (total > 0) this.set(Math.min(1, Math.max(0, 1 - idle / total)));
      last = now;
    },
  });
  new Gauge({
    name: 'mcp_host_memory_utilization_ratio',
    help: 'Share of host memory in use, i.e. not available to new work (0-1)',
    registers: [registry],
    collect() {
      this.set(1 - memAvailable() / totalmem());
    },
  });
  new Gauge({
    name: 'mcp_host_disk_utilization_ratio',
    help: 'Share of the file system holding each platform directory that is used (0-1)',
    labelNames: ['path'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const p of new Set(diskPaths.map((d) => resolve(d)))) {
        try {
          const s = statfsSync(p);
          if (s.blocks > 0) this.set({ path: p }, 1 - s.bavail / s.blocks);
        } catch {
          // a directory not created yet has no figure
        }
      }
    },
  });
  // One read of /proc/net/dev serves both counters of a scrape.
  let netReadAt = 0;
  let net = new Map<string, { rx: number; tx: number }>();
  for (const [name, help, dir] of [
    ['mcp_host_network_receive_bytes_total', 'Bytes received per network device', 'rx'],
    ['mcp_host_network_transmit_bytes_total', 'Bytes sent per network device', 'tx'],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ['device'] as const,
      registers: [registry],
      collect() {
        if (Date.now() - netReadAt > 1000) {
          netReadAt = Date.now();
          net = networkDevices();
        }
        this.reset();
        for (const [device, v] of net) this.inc({ device }, v[dir]);
      },
    });
  }
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  return { idle, total };
}

/** MemAvailable from /proc/meminfo (what node_exporter's rules use); free memory elsewhere. */
function memAvailable(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return freemem();
}

function networkDevices(): Map<string, { rx: number; tx: number }> {
  const out = new Map<string, { rx: number; tx: number }>();
  try {
    for (const line of readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2)) {
      const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
      if (!m || m[1] === 'lo') continue;
      const f = m[2]!.trim().split(/\s+/).map(Number);
      out.set(m[1]!, { rx: f[0] ?? 0, tx: f[8] ?? 0 });
    }
  } catch {
    // not Linux: no network figures
  }
  return out;
}
