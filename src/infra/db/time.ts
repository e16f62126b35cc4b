/** Time as the database stores it: UTC `YYYY-MM-DD HH:mm:ss.SSS`, sortable as text. */
export function toDbTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export function fromDbTime(s: string): Date {
  return new Date(`${s.replace(' ', 'T')}Z`);
}

/**
 * A stored time as the API shows it: ISO 8601 with its zone, `2026-11-30T02:03:04.567Z` — the one
 * timestamp format of every API field. `null` stays `null`.
 */
export function isoTime(s: string): string;
export function isoTime(s: string | null): string | null;
export function isoTime(s: string | null): string | null {
  return s === null ? null : fromDbTime(s).toISOString();
}

/** A catalog row with each `…_at` field that holds a stored time turned into ISO 8601 (see `isoTime`). */
export function withIsoTimes<T extends object>(row: T): T {
  const out = { ...row } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (k.endsWith('_at') && typeof v === 'string' && STORED.test(v)) out[k] = isoTime(v);
  return out as T;
}

const STORED = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

/**
 * Pattern of a time a client may give in a query parameter: the stored form, read as UTC
 * (`2026-11-30`, `2026-11-30 02:03`, `2026-11-30 02:03:04.567`), or ISO 8601 (`2026-11-30T02:03:04.567Z`,
 * `…+08:00`; without a zone it is UTC too).
 */
export const TIME_PARAM_PATTERN = '^\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})?)?$';

/** A query parameter's time (see TIME_PARAM_PATTERN) in the stored form, so it compares with stored times as text. */
export function dbTimeParam(s: string): string;
export function dbTimeParam(s: string | undefined): string | undefined;
export function dbTimeParam(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (/(Z|[+-]\d{2}:\d{2})$/i.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return toDbTime(d);
  }
  return s.replace('T', ' ');
}
