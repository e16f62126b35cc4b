import { describe, expect, it } from 'vitest';
import { readFilters, writeFilters } from './urlFilters';

const SPEC = { page: 'int', pageSize: 'int', search: 'string', status: ['active', 'disabled'] } as const;

describe('URL filter state', () => {
  it('reads filters from the URL and drops values that do not fit', () => {
    expect(readFilters(new URLSearchParams('page=3&search=%20ann%20&status=active'), SPEC)).toEqual({ page: 3, search: 'ann', status: 'active' });
    expect(readFilters(new URLSearchParams('page=-1&pageSize=abc&status=deleted&search='), SPEC)).toEqual({});
  });

  it('a changed filter goes back to page 1; paging keeps the filters', () => {
    const start = new URLSearchParams('search=ann&page=4');
    expect(writeFilters(start, { status: 'disabled' }).toString()).toBe('search=ann&status=disabled');
    expect(writeFilters(start, { page: 5 }).toString()).toBe('search=ann&page=5');
    expect(writeFilters(start, { search: '' }).toString()).toBe('');
  });
});
