// Output of a benchmark: results on stdout, progress on stderr, numbers formatted alike.

/** A progress line on stderr: `[<tag> HH:MM:SS] message`. */
export const progressLine = (tag) => (msg) => process.stderr.write(`[${tag} ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** A result line on stdout. */
export const out = (s = '') => process.stdout.write(`${s}\n`);

/** `n` with `d` decimals; `–` for a number that is not finite. */
export const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');

/** Median of `xs` (NaN when empty). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};

/** The `q` quantile (0..1) of an ascending array (nearest rank; NaN when empty). */
export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
