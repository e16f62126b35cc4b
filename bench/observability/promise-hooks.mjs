#!/usr/bin/env node
// bench/observability/promise-hooks.mjs — why tracing carries its context explicitly (src/observability/tracing.ts).
//
//   node bench/observability/promise-hooks.mjs
//
// Times an await-heavy loop (2 million calls of an async function awaiting two others) in three
// fresh node processes, each measuring itself before and after one step:
//   none     nothing in between (the baseline: how much a second measurement differs by itself)
//   toggled  one AsyncLocalStorage run() and then disable() in between: its promise hooks are
//            removed again, nothing is left enabled
//   enabled  an AsyncLocalStorage left enabled (what a context manager built on it does)
// and prints each "after" against its own "before" (ratios in one process, so the machine's
// speed cancels out). On Node 20 "toggled" stays slower for the life of the process: once V8 has
// run promise hooks, its fast paths for promises are off for good — so switching the storage on
// only while a recorded trace runs does not help; only never using it does.
// Settings: PH_CALLS=2000000, PH_REPEAT=3 (measurements before and after, the best is kept).
import { spawnSync } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';

const CALLS = Number(process.env.PH_CALLS ?? 2_000_000);
const REPEAT = Number(process.env.PH_REPEAT ?? 3);

async function leaf(i) {
  return i + 1;
}
async function mid(i) {
  return (await leaf(i)) + (await leaf(i));
}
async function best() {
  let fastest = Infinity;
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    let s = 0;
    for (let i = 0; i < CALLS; i++) s += await mid(i);
    if (s < 0) throw new Error('unreachable');
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return fastest;
}

const mode = process.argv[2];
if (mode) {
  await best(); // warm-up
  const before = await best();
  const als = new AsyncLocalStorage();
  if (mode === 'toggled') {
    als.run(1, () => {});
    als.disable();
  } else if (mode === 'enabled') als.enterWith(1);
  const after = await best();
  process.stdout.write(JSON.stringify({ before, after }));
} else {
  console.log(`# bench/observability/promise-hooks — ${new Date().toISOString()}, node ${process.version}, ${CALLS} calls, best of ${REPEAT}`);
  console.log('| step between the measurements | before ms | after ms | after / before |');
  console.log('|---|---:|---:|---:|');
  for (const m of ['none', 'toggled', 'enabled']) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), m], { encoding: 'utf8', env: process.env });
    if (r.status !== 0) throw new Error(`${m}: ${r.stderr}`);
    const { before, after } = JSON.parse(r.stdout);
    console.log(`| ${m} | ${before.toFixed(0)} | ${after.toFixed(0)} | ${(after / before).toFixed(2)}x |`);
  }
}
