import { Button, Result, Spin } from 'antd';
import { Suspense } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { can, visibleFor } from './auth/permissions';
import { useSession, useUser } from './auth/SessionProvider';
import { useI18n } from './i18n/I18nProvider';
import { ConsoleLayout } from './layout/ConsoleLayout';
import { PAGES, type PageDef } from './pages';
import { ChangePasswordPage } from './pages/ChangePasswordPage';
import { LoginPage } from './pages/LoginPage';

function Loading() {
  const { t } = useI18n();
  return <Spin aria-label={t('app.loading')} size="large" style={{ display: 'block', marginTop: '30vh' }} />;
}

/** Signed in, with a password that needs no change: otherwise to the login or password page. */
function RequireSession({ children, allowPasswordChange = false }: { children: React.ReactNode; allowPasswordChange?: boolean }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'anonymous') return <Navigate to="/login" replace state={{ from: location.pathname + location.search, expired: state.expired === true }} />;
  if (state.user.mustChangePassword && !allowPasswordChange) return <Navigate to="/change-password" replace />;
  return children;
}

function Forbidden() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Result
      status="403"
      title="403"
      subTitle={t('common.forbidden')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('common.backHome')}
        </Button>
      }
    />
  );
}

function NotFound() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title="404"
      subTitle={t('common.notFound')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('common.backHome')}
        </Button>
      }
    />
  );
}

function PageRoute({ page }: { page: PageDef }) {
  const user = useUser();
  if (!can(user, page.permission)) return <Forbidden />;
  const Page = page.component;
  return <Page />;
}

/** `/`: the first page the user may see (the overview for most). */
function Home() {
  const user = useUser();
  const first = visibleFor(PAGES, user).find((p) => !p.hidden) ?? PAGES.find((p) => p.path === '/profile');
  return <Navigate to={first?.path ?? '/profile'} replace />;
}

export function App() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          path="/change-password"
          element={
            <RequireSession allowPasswordChange>
              <ChangePasswordPage />
            </RequireSession>
          }
        />
        <Route
          element={
            <RequireSession>
              <ConsoleLayout />
            </RequireSession>
          }
        >
          <Route index element={<Home />} />
          {PAGES.map((p) => (
            <Route key={p.path} path={p.path} element={<PageRoute page={p} />} />
          ))}
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}
