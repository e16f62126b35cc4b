import type { Api } from '../api/client';
import { unwrap } from '../api/client';

/**
 * The overview's two reads, one definition for the page and for the start-up prefetch (main.tsx
 * starts them as soon as the session is known, while the page's code is still loading).
 */
export const overviewQuery = (api: Api) => ({
  queryKey: ['overview'],
  queryFn: async () => unwrap(await api.GET('/api/ops/overview')),
});

export const overviewSeriesQuery = (api: Api) => ({
  queryKey: ['overview-series'],
  queryFn: async () => unwrap(await api.GET('/api/ops/overview/series', { params: { query: { minutes: 60 } } })),
});
