import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';

/**
 * Table filters kept in the URL (so a view can be bookmarked, shared and survives a reload). A
 * spec names each parameter's kind: `'string'`, `'int'`, or the list of allowed values; a value
 * that does not fit its kind is dropped rather than sent to the API.
 */
export type FilterKind = 'string' | 'int' | readonly string[];
export type FilterSpec = Record<string, FilterKind>;
export type FilterValues<S extends FilterSpec> = { [K in keyof S]?: S[K] extends 'int' ? number : string };

export function readFilters<S extends FilterSpec>(params: URLSearchParams, spec: S): FilterValues<S> {
  const out: Record<string, string | number> = {};
  for (const [name, kind] of Object.entries(spec)) {
    const raw = params.get(name)?.trim();
    if (!raw) continue;
    if (kind === 'int') {
      const n = Number(raw);
      if (Number.isSafeInteger(n) && n > 0) out[name] = n;
    } else if (kind === 'string' || kind.includes(raw)) out[name] = raw;
  }
  return out as FilterValues<S>;
}

/** The URL parameters for `values` over `current`; empty values are removed. A changed filter returns to page 1. */
export function writeFilters(current: URLSearchParams, patch: Record<string, string | number | undefined | null>): URLSearchParams {
  const next = new URLSearchParams(current);
  let filterChanged = false;
  for (const [k, v] of Object.entries(patch)) {
    const value = v === undefined || v === null || v === '' ? null : String(v);
    if (value === next.get(k)) continue;
    if (k !== 'page' && k !== 'pageSize') filterChanged = true;
    if (value === null) next.delete(k);
    else next.set(k, value);
  }
  if (filterChanged && !('page' in patch)) next.delete('page');
  return next;
}

export function useUrlFilters<S extends FilterSpec>(spec: S) {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params, spec), [params, spec]);
  const setFilters = useCallback((patch: Record<string, string | number | undefined | null>) => setParams((p) => writeFilters(p, patch)), [setParams]);
  return [filters, setFilters] as const;
}
