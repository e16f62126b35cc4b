import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp } from 'antd';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { ApiError, createApi, createAuthFetch } from './api/client';
import { createSessionStore } from './api/session';
import { SessionProvider } from './auth/SessionProvider';
import { can } from './auth/permissions';
import { I18nProvider } from './i18n/I18nProvider';
import { PAGES } from './pages';
import { overviewQuery, overviewSeriesQuery } from './pages/overviewQueries';
import { readPrefs } from './prefs';
import './index.css';

const store = createSessionStore();
const api = createApi(createAuthFetch(store, () => readPrefs().lang));
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      refetchOnWindowFocus: false,
      // a 4xx will not change by asking again
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    },
  },
});
// A cold load: fetch the opened page's code and — once the session is known — the overview's data
// while the session is probed, instead of one after the other.
const opened = window.location.pathname === '/' ? '/overview' : window.location.pathname;
void PAGES.find((p) => p.path === opened)?.preload?.();
void store.probe().then(() => {
  const state = store.getState();
  if (opened === '/overview' && state.status === 'authenticated' && can(state.user, 'ops:read') && !state.user.mustChangePassword) {
    void queryClient.prefetchQuery(overviewQuery(api));
    void queryClient.prefetchQuery(overviewSeriesQuery(api));
  }
});

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <I18nProvider>
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <SessionProvider store={store} api={api}>
            <BrowserRouter>
              <App />
            </BrowserRouter>
          </SessionProvider>
        </QueryClientProvider>
      </AntApp>
    </I18nProvider>
  </StrictMode>,
);
