// Cleanup of a benchmark run: registered steps run once, last registered first, on success,
// failure or a signal; a failed step is reported and makes the run's exit code non-zero.

/** `report(message)` prints a failed step. Returns `{ onCleanup, cleanup, cleanupFailed }`. */
export function createCleanup(report) {
  const steps = [];
  let run;
  let failed = false;
  return {
    onCleanup: (name, fn) => steps.push({ name, fn }),
    cleanup() {
      run ??= (async () => {
        while (steps.length) {
          const { name, fn } = steps.pop();
          try {
            await fn();
          } catch (e) {
            failed = true;
            report(`cleanup step "${name}" failed: ${e?.message ?? e}`);
          }
        }
      })();
      return run;
    },
    /** Whether a step has failed so far. */
    cleanupFailed: () => failed,
  };
}

/**
 * SIGINT, SIGTERM, SIGHUP: `onInterrupt()` (note it, stop the load), then the cleanup and exit 130;
 * a second signal exits at once without waiting for the cleanup.
 */
export function stopOnSignals(progress, cleanup, onInterrupt) {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) {
        progress(`${signal} again: exiting without waiting for cleanup`);
        process.exit(130);
      }
      stopping = true;
      progress(`${signal}: stopping and cleaning up…`);
      onInterrupt();
      cleanup().finally(() => process.exit(130));
    });
  }
}
