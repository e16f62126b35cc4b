/**
 * One read per scrape for gauges computed from the database: every gauge's `collect` calls the
 * returned function, which runs `read` once and shares it with the calls of the next `reuseMs`.
 * A failed read keeps the gauges' last values — it must not fail the whole scrape, which would hide
 * mcp_dependency_up and every other series exactly when they matter.
 */
export function scrapeRead(read: () => Promise<void>, reuseMs = 1000): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () =>
    (pending ??= (async () => {
      try {
        await read();
      } catch {
        // keep the last values
      } finally {
        setTimeout(() => (pending = undefined), reuseMs).unref();
      }
    })());
}
