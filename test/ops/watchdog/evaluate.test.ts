import { describe, expect, it } from 'vitest';
import { delivered, EMPTY_STATE, evaluate, type Figures, type Outgoing, type WatchdogState } from '../../../src/ops/alerting/watchdog/evaluate.js';
import { WATCHDOG_RULES } from '../../../src/ops/alerting/watchdog/rules.js';

/** The evaluator's semantics are Prometheus's: pending for `for`, then firing; resolved when the condition stops; traffic floors. */
const T0 = Date.parse('2026-11-30T01:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const opts = { instance: 'app1:8000', lang: 'zh-CN' as const, repeatMs: () => 3600_000 };
const dbRule = WATCHDOG_RULES.filter((r) => r.name === '数据库不可用');
const errorRules = WATCHDOG_RULES.filter((r) => r.name === '应用错误率过高');

/** Runs rounds of (seconds, figures), delivering everything sent; returns what each round sent. */
function rounds(rules: typeof WATCHDOG_RULES, steps: [number, Figures][], start: WatchdogState = EMPTY_STATE) {
  let state = start;
  const sent: Outgoing[][] = [];
  for (const [s, figures] of steps) {
    const r = evaluate(rules, figures, state, at(s), opts);
    state = delivered(r.state, r.send, at(s));
    sent.push(r.send);
  }
  return { state, sent };
}

describe('watchdog evaluator', () => {
  it('fires only once the condition has held for the rule’s `for`, with the labels of the YAML rule and a stable fingerprint', () => {
    const down: Figures = { db_up: [{ value: 0 }] };
    const { state, sent } = rounds(dbRule, [
      [0, down],
      [30, down],
      [59, down],
      [60, down],
      [90, down],
    ]);
    expect(sent.slice(0, 3)).toEqual([[], [], []]);
    expect(sent[3]).toHaveLength(1);
    const a = sent[3]![0]!;
    expect(a).toMatchObject({ status: 'firing', startsAt: T0 + 60_000 });
    expect(a.labels).toEqual({ alertname: '数据库不可用', severity: 'critical', severity_zh: '紧急', category: 'database', instance: 'app1:8000', source: 'watchdog' });
    expect(a.annotations.summary).toBe('数据库不可用');
    expect(a.annotations.description).toContain('无法连接数据库');
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(sent[4]).toEqual([]); // delivered: not sent again before the repeat interval
    expect(Object.keys(state.active)).toEqual([a.fingerprint]);
    // the same alert in a fresh evaluation has the same fingerprint
    expect(rounds(dbRule, [[0, down]]).state.active[a.fingerprint]).toBeDefined();
  });

  it('a pending alert whose condition stops starts its `for` again', () => {
    const { sent, state } = rounds(dbRule, [
      [0, { db_up: [{ value: 0 }] }],
      [30, { db_up: [{ value: 1 }] }],
      [45, { db_up: [{ value: 0 }] }],
      [90, { db_up: [{ value: 0 }] }],
      [105, { db_up: [{ value: 0 }] }],
    ]);
    expect(sent.slice(0, 4).flat()).toEqual([]); // 60 s after t=0, but only 45 s after the condition returned
    expect(sent[4]).toMatchObject([{ status: 'firing', startsAt: T0 + 105_000 }]);
    expect(Object.values(state.active)[0]!.activeSince).toBe(T0 + 45_000);
  });

  it('resolves a firing alert when the condition stops, with endsAt, then forgets it', () => {
    const { sent, state } = rounds(dbRule, [
      [0, { db_up: [{ value: 0 }] }],
      [60, { db_up: [{ value: 0 }] }],
      [120, { db_up: [{ value: 1 }] }],
      [150, { db_up: [{ value: 1 }] }],
    ]);
    expect(sent[2]).toEqual([expect.objectContaining({ status: 'resolved', startsAt: T0 + 60_000, endsAt: T0 + 120_000, fingerprint: sent[1]![0]!.fingerprint })]);
    expect(sent[3]).toEqual([]);
    expect(state).toEqual({ active: {}, resolved: [] });
  });

  it('an alert whose delivery failed is sent again; resolved before it was ever delivered, it is sent firing then resolved', () => {
    const down = { db_up: [{ value: 0 }] };
    let r = evaluate(dbRule, down, EMPTY_STATE, at(0), opts);
    r = evaluate(dbRule, down, r.state, at(60), opts);
    expect(r.send).toMatchObject([{ status: 'firing' }]); // not delivered (receiver down)
    r = evaluate(dbRule, down, r.state, at(90), opts);
    expect(r.send).toMatchObject([{ status: 'firing', startsAt: T0 + 60_000 }]);
    r = evaluate(dbRule, { db_up: [{ value: 1 }] }, r.state, at(120), opts);
    expect(r.send.map((s) => s.status)).toEqual(['firing', 'resolved']);
    r = evaluate(dbRule, { db_up: [{ value: 1 }] }, r.state, at(150), opts); // still not delivered: kept
    expect(r.send.map((s) => s.status)).toEqual(['firing', 'resolved']);
    expect(delivered(r.state, r.send, at(150))).toEqual({ active: {}, resolved: [] });
  });

  it('re-sends a firing alert after the repeat interval', () => {
    const down = { db_up: [{ value: 0 }] };
    const { sent } = rounds(dbRule, [
      [0, down],
      [60, down],
      [60 + 3599, down],
      [60 + 3600, down],
    ]);
    expect(sent.map((s) => s.length)).toEqual([0, 1, 0, 1]);
    expect(sent[3]![0]!.startsAt).toBe(T0 + 60_000); // the same episode
  });

  it('a figure that could not be read changes nothing: a firing alert is neither resolved nor re-sent early', () => {
    const { sent, state } = rounds(dbRule, [
      [0, { db_up: [{ value: 0 }] }],
      [60, { db_up: [{ value: 0 }] }],
      [90, {}],
      [120, {}],
    ]);
    expect(sent.slice(2)).toEqual([[], []]);
    expect(Object.values(state.active)).toMatchObject([{ firingSince: T0 + 60_000 }]);
  });

  it('ratio rules apply the traffic floor: a high error rate on almost no traffic raises nothing', () => {
    const errors = (traffic: number): Figures => ({ http_error_ratio: [{ value: 0.5, traffic }] });
    const quiet = rounds(errorRules, [
      [0, errors(0.05)],
      [600, errors(0.05)],
    ]);
    expect(quiet.sent.flat()).toEqual([]);
    expect(quiet.state.active).toEqual({});
    expect(rounds(errorRules, [[0, errors(0.1)]]).state.active).toEqual({}); // the floor itself is not above it

    const busy = rounds(errorRules, [
      [0, errors(2)],
      [120, errors(2)],
      [300, errors(2)],
      [330, errors(0.01)], // traffic fell under the floor: both resolve
    ]);
    expect(busy.sent[1]!.map((a) => a.labels.severity)).toEqual(['major']); // for 2m
    expect(busy.sent[2]!.map((a) => a.labels.severity)).toEqual(['minor']); // for 5m
    expect(busy.sent[1]![0]!.fingerprint).not.toBe(busy.sent[2]![0]!.fingerprint);
    expect(busy.sent[3]!.map((a) => `${a.labels.severity}:${a.status}`).sort()).toEqual(['major:resolved', 'minor:resolved']);
  });

  it('one alert per series: each disk path and backup type is its own alert, labelled with it', () => {
    const rules = WATCHDOG_RULES.filter((r) => r.figure === 'host_disk_ratio' || r.figure === 'backup_failures');
    const figures: Figures = {
      host_disk_ratio: [
        { labels: { path: '/data' }, value: 0.95 },
        { labels: { path: '/logs' }, value: 0.5 },
      ],
      backup_failures: [
        { labels: { type: 'full' }, value: 2 },
        { labels: { type: 'schema' }, value: 0 },
      ],
    };
    const { sent } = rounds(rules, [
      [0, figures],
      [300, figures],
    ]);
    expect(sent[1]!.map((a) => `${a.labels.alertname}:${a.labels.path ?? a.labels.type}`).sort()).toEqual(['备份失败:full', '磁盘使用率过高:/data']);
    expect(sent[1]!.find((a) => a.labels.path)!.annotations.description).toContain('/data');
  });

  it('writes English descriptions when the platform’s language is English', () => {
    const r = evaluate(dbRule, { db_up: [{ value: 0 }] }, EMPTY_STATE, at(0), { ...opts, lang: 'en' });
    expect(Object.values(r.state.active)[0]!.annotations.description).toBe('Instance app1:8000 has not reached the database for 1 minute.');
  });
});
