import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp } from 'antd';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { ApiError, createApi, createAuthFetch } from './api/client';
import { createSessionStore } from './api/session';
import { SessionProvider } from './auth/SessionProvider';
import { I18nProvider } from './i18n/I18nProvider';
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
void store.probe();

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
