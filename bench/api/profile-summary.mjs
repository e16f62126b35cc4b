#!/usr/bin/env node
// Summarises a V8 .cpuprofile (written by `node --cpu-prof`): top functions by self time, by
// inclusive time, and self time grouped by where the code lives (package, node core, platform).
//
//   node bench/api/profile-summary.mjs <file.cpuprofile> [--top N] [--from µs] [--to µs]
//
// --from/--to restrict the summary to samples taken in that window (microseconds on the
// monotonic clock, i.e. process.hrtime.bigint() / 1000n of any process on the same machine);
// run.mjs passes the window of the measured run so start-up and warm-up are left out.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where a script lives, for grouping: an npm package, node core, the platform's dist/, or a V8 pseudo-frame. */
export function locationOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const file = url.replace(/^file:\/\//, '');
  if (file.startsWith(`${path.join(ROOT, 'dist')}/`)) return 'platform (dist/)';
  if (file.startsWith(`${path.join(ROOT, 'bench')}/`)) return 'bench';
  return file;
}

function shortUrl(url) {
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return file.slice(nm + '/node_modules/'.length);
  if (file.startsWith(`${ROOT}/`)) return file.slice(ROOT.length + 1);
  return file;
}

/**
 * @returns {{ totalMs: number, busyMs: number, window: string, self: Row[], inclusive: Row[], byLocation: Row[] }}
 * where Row = { name, ms, pct } and pct is relative to busy time (everything but "(idle)").
 */
export function summarize(profile, { top = 25, from, to } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const cf = n.callFrame;
    const fn = cf.functionName || '(anonymous)';
    return cf.url ? `${fn}  ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : fn;
  };

  // Timestamp of each sample; a sample's weight is the time until the next one.
  const { samples, timeDeltas } = profile;
  const ts = new Array(samples.length);
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) ts[i] = t += timeDeltas[i];
  let lo = from ?? -Infinity;
  let hi = to ?? Infinity;
  let window = 'whole profile';
  if (from !== undefined || to !== undefined) {
    const inside = ts.filter((x) => x >= lo && x <= hi).length;
    if (inside === 0) {
      lo = -Infinity;
      hi = Infinity;
      window = 'whole profile (the requested window matched no sample)';
    } else window = `measured run only (${inside} samples)`;
  }

  const self = new Map();
  const incl = new Map();
  const loc = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    if (ts[i] < lo || ts[i] > hi) continue;
    const w = i + 1 < samples.length ? ts[i + 1] - ts[i] : 0;
    const node = byId.get(samples[i]);
    total += w;
    if (node.callFrame.functionName === '(idle)') {
      idle += w;
      continue;
    }
    const k = keyOf(node);
    self.set(k, (self.get(k) ?? 0) + w);
    const l = locationOf(node.callFrame.url, node.callFrame.functionName);
    loc.set(l, (loc.get(l) ?? 0) + w);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const kk = keyOf(byId.get(id));
      if (kk === '(root)' || seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) ?? 0) + w);
    }
  }
  const busy = total - idle;
  const rows = (m, n) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busy > 0 ? (100 * us) / busy : 0 }));
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    window,
    self: rows(self, top),
    inclusive: rows(incl, top),
    byLocation: rows(loc, 20),
    // Full maps (µs), for comparing two profiles.
    selfMicros: self,
    locationMicros: loc,
  };
}

/**
 * Per-request difference between two summaries (e.g. platform read vs minimal baseline):
 * µs of self time per request, by location and by function, largest increases first.
 */
export function diffPerRequest(a, aRequests, b, bRequests, top = 15) {
  const diff = (ma, mb) => {
    const keys = new Set([...ma.keys(), ...mb.keys()]);
    return [...keys]
      .map((k) => {
        const ua = (ma.get(k) ?? 0) / aRequests;
        const ub = (mb.get(k) ?? 0) / bRequests;
        return { name: k, a: ua, b: ub, delta: ua - ub };
      })
      .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta))
      .slice(0, top);
  };
  const busyA = (a.busyMs * 1000) / aRequests;
  const busyB = (b.busyMs * 1000) / bRequests;
  return { busyA, busyB, byLocation: diff(a.locationMicros, b.locationMicros), byFunction: diff(a.selfMicros, b.selfMicros) };
}

export function formatDiff(d, nameA, nameB) {
  const lines = [`Busy main-thread time per request: ${nameA} ${d.busyA.toFixed(1)} µs, ${nameB} ${d.busyB.toFixed(1)} µs (difference ${(d.busyA - d.busyB).toFixed(1)} µs)`];
  const table = (head, rows) => {
    lines.push('', head, `| ${nameA} µs/req | ${nameB} µs/req | difference | function / location |`, '|---:|---:|---:|---|');
    for (const r of rows) lines.push(`| ${r.a.toFixed(2)} | ${r.b.toFixed(2)} | ${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(2)} | \`${r.name.replace(/\|/g, '\\|')}\` |`);
  };
  table('Self time per request by location, largest differences first', d.byLocation);
  table('Self time per request by function, largest differences first', d.byFunction);
  return lines.join('\n');
}

export function formatSummary(s, title = 'profile') {
  const lines = [];
  const table = (head, rows) => {
    lines.push('', `${head}`, '| % of busy | ms | function / location |', '|---:|---:|---|');
    for (const r of rows) lines.push(`| ${r.pct.toFixed(1)} | ${r.ms.toFixed(0)} | \`${r.name.replace(/\|/g, '\\|')}\` |`);
  };
  lines.push(`${title}: ${s.window}; ${s.totalMs.toFixed(0)} ms sampled, ${s.busyMs.toFixed(0)} ms busy (not idle)`);
  table('Self time by location', s.byLocation);
  table('Top functions by self time', s.self);
  table('Top functions by inclusive time', s.inclusive);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  if (!file) {
    process.stderr.write('usage: node bench/api/profile-summary.mjs <file.cpuprofile> [--top N] [--from µs] [--to µs]\n');
    process.exit(2);
  }
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')), { top: opt('top') ?? 25, from: opt('from'), to: opt('to') });
  process.stdout.write(`${formatSummary(s, path.basename(file))}\n`);
}
