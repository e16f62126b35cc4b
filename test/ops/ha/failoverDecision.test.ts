import { describe, expect, it } from 'vitest';
import { compareGtid, decide, INITIAL_STATE, type MonitorState, type Observation, parseGtidPosition } from '../../../src/ops/ha/failoverDecision.js';

const replica = (endpoint: string, gtid: string | null, over: Partial<Observation['replicas'][number]> = {}) => ({
  endpoint,
  reachable: true,
  ioConnected: false,
  gtid,
  errant: false,
  ...over,
});
const down = (replicas: Observation['replicas']): Observation => ({ primaryReachable: false, replicas });
const run = (obs: Observation[], state: MonitorState = INITIAL_STATE, failuresNeeded = 3) => {
  let s = state;
  const decisions = [];
  for (const o of obs) {
    const r = decide(s, o, { failuresNeeded });
    s = r.state;
    decisions.push(r.decision);
  }
  return { state: s, decisions };
};

describe('failover decision (manual §6.5.2, fixed)', () => {
  it('compares MariaDB GTID positions per domain; diverged positions compare as null', () => {
    const p = parseGtidPosition;
    expect(compareGtid(p('0-1-10'), p('0-1-9'))).toBe(1);
    expect(compareGtid(p('0-1-10'), p('0-2-10'))).toBe(0);
    expect(compareGtid(p('0-1-10,1-3-5'), p('0-1-10'))).toBe(1);
    expect(compareGtid(p('0-1-10,1-3-5'), p('0-1-11'))).toBeNull();
    expect(() => p('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5')).toThrow(/not a MariaDB GTID/);
  });

  it('a blip is not a failure: the primary must fail N consecutive checks', () => {
    const dead = down([replica('r1:3306', '0-1-10'), replica('r2:3306', '0-1-9')]);
    const up: Observation = { primaryReachable: true, replicas: [] };
    const { decisions } = run([dead, dead, up, dead, dead]);
    expect(decisions.map((d) => d.action)).toEqual(['none', 'none', 'none', 'none', 'none']);
    expect(run([dead, dead, dead]).decisions.at(-1)).toEqual({ action: 'promote', candidate: 'r1:3306', others: ['r2:3306'] });
  });

  it('replicas that still see the primary veto it: a partition between the monitor and the primary fails nothing over', () => {
    const partitioned = down([replica('r1:3306', '0-1-10', { ioConnected: true }), replica('r2:3306', '0-1-10')]);
    expect(run([partitioned, partitioned, partitioned]).decisions.at(-1)).toEqual({ action: 'none', reason: 'partition' });
  });

  it('the most advanced clean replica is promoted; an errant one never is; diverged replicas or none need a person', () => {
    expect(run([down([replica('r1', '0-1-9'), replica('r2', '0-1-12')])], INITIAL_STATE, 1).decisions[0]).toMatchObject({ action: 'promote', candidate: 'r2' });
    expect(run([down([replica('r1', '0-1-9'), replica('r2', '0-1-12', { errant: true })])], INITIAL_STATE, 1).decisions[0]).toMatchObject({ action: 'promote', candidate: 'r1' });
    expect(run([down([replica('r1', '0-1-9', { errant: true })])], INITIAL_STATE, 1).decisions[0]).toEqual({ action: 'needs-person', reason: 'errant' });
    expect(run([down([replica('r1', '0-1-9,1-2-4'), replica('r2', '0-1-12')])], INITIAL_STATE, 1).decisions[0]).toEqual({ action: 'needs-person', reason: 'diverged' });
    expect(run([down([replica('r1', null, { reachable: false })])], INITIAL_STATE, 1).decisions[0]).toEqual({ action: 'needs-person', reason: 'no-replica' });
    expect(run([down([])], INITIAL_STATE, 1).decisions[0]).toEqual({ action: 'needs-person', reason: 'no-replica' });
  });

  it('after a failover, another is blocked until a person acknowledges it (anti-flapping)', () => {
    const blocked: MonitorState = { consecutiveFailures: 0, blockedSince: '2026-11-30T05:00:00Z' };
    expect(run([down([replica('r1', '0-1-9')])], blocked, 1).decisions[0]).toEqual({ action: 'needs-person', reason: 'blocked' });
  });
});
