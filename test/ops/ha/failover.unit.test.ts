import { describe, expect, it } from 'vitest';
import { formerPrimary, laterGtid, observationOf } from '../../../src/ops/ha/failover.js';
import type { Topology } from '../../../src/ops/ha/topology.js';

const replica = (address: string, gtid: string, o: { io?: boolean; sqlError?: string; errant?: string; source?: string } = {}) => ({
  address,
  configuredAs: 'replica' as const,
  reachable: true,
  role: 'replica' as const,
  flavor: 'mariadb' as const,
  gtid,
  errantGtids: o.errant ?? '',
  replication: {
    source: o.source ?? 'p:3306',
    sourceHost: 'p',
    sourcePort: 3306,
    ioRunning: o.io ?? false,
    sqlRunning: true,
    ioState: o.io ? 'Yes' : 'Connecting',
    lagSeconds: null,
    lastIoError: '',
    lastSqlError: o.sqlError ?? '',
  },
});
const topo = (servers: ReturnType<typeof replica>[]): Topology => ({
  applicable: true,
  primary: null,
  splitBrain: false,
  servers: [{ address: 'p:3306', configuredAs: 'primary', reachable: false, role: 'unknown' }, ...servers],
  epoch: null,
  readAt: '',
});

describe('failover observation (pure)', () => {
  it('laterGtid: per domain the later sequence of applied and received', () => {
    expect(laterGtid('0-1-5', '0-1-9')).toBe('0-1-9');
    expect(laterGtid('0-1-9', '0-1-5')).toBe('0-1-9');
    expect(laterGtid('0-1-5,1-2-3', '1-2-7')).toBe('0-1-5,1-2-7');
    expect(laterGtid('0-1-5', undefined)).toBe('0-1-5');
  });

  it('a replica counts as far as it received; a failed SQL thread is unusable; errant ones are marked', () => {
    const t = topo([replica('a:1', '0-1-3'), replica('b:1', '0-1-5', { sqlError: 'duplicate key' }), replica('c:1', '0-1-4', { errant: '0-9-1', io: true })]);
    const o = observationOf(t, 'p:3306', false, ['a:1'], new Map([['a:1', '0-1-8']]));
    expect(o.primaryReachable).toBe(false);
    expect(o.replicas).toEqual([
      { endpoint: 'a:1', reachable: true, ioConnected: false, gtid: '0-1-8', errant: true },
      { endpoint: 'b:1', reachable: true, ioConnected: false, gtid: null, errant: false },
      { endpoint: 'c:1', reachable: true, ioConnected: true, gtid: '0-1-4', errant: true },
    ]);
  });

  it('formerPrimary: what most replicas replicate from, else the configured primary', () => {
    const servers = [
      { host: 'p', port: 3306, address: 'p:3306', configuredAs: 'primary' as const },
      { host: 'a', port: 1, address: 'a:1', configuredAs: 'replica' as const },
      { host: 'b', port: 1, address: 'b:1', configuredAs: 'replica' as const },
    ];
    expect(formerPrimary(topo([replica('a:1', '0-1-1', { source: 'b:1' }), replica('b:1', '0-1-1', { source: 'b:1' })]), servers)).toBe('b:1');
    expect(formerPrimary(topo([replica('a:1', '0-1-1', { source: 'elsewhere:9' })]), servers)).toBe('p:3306');
  });
});
