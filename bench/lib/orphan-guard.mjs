// Preloaded (`node --import ./bench/lib/orphan-guard.mjs ...`) into every server the benchmark
// starts: if the benchmark process dies without cleaning up (SIGKILL, crash), the server notices
// that it was re-parented and stops itself with SIGTERM (its own graceful shutdown), then exits
// for sure 10 s later. Costs one unref'd timer per second; no effect on the request path.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  setTimeout(() => process.exit(1), 10_000).unref();
  process.kill(process.pid, 'SIGTERM');
}, 1000);
timer.unref();
