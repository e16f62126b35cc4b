import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Form, Input } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { useSession } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import { AuthCard } from './AuthCard';

export function LoginPage() {
  const { t, errorText } = useI18n();
  const { state, store } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string; expired?: boolean } | null)?.from;
  const expired = (location.state as { expired?: boolean } | null)?.expired === true;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (state.status === 'authenticated') return <Navigate to={state.user.mustChangePassword ? '/change-password' : (from ?? '/')} replace />;

  const submit = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const err = await store.login(v.username, v.password);
      // a 401 from login means the credentials; other errors (locked, rate limited …) say what they are
      if (err) setError(err.code === 'UNAUTHORIZED' ? t('login.failed') : errorText(new ApiError(0, err.code, err.message)));
      else navigate(from ?? '/', { replace: true });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard title={t('login.title')}>
      {expired && !error && <Alert type="warning" showIcon title={t('login.expired')} style={{ marginBottom: 16 }} />}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
      <Form layout="vertical" onFinish={submit} requiredMark={false} disabled={state.status === 'loading'}>
        <Form.Item label={t('login.username')} name="username" rules={[{ required: true, message: t('login.required', { field: t('login.username') }) }]}>
          <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
        </Form.Item>
        <Form.Item label={t('login.password')} name="password" rules={[{ required: true, message: t('login.required', { field: t('login.password') }) }]}>
          <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('login.submit')}
        </Button>
      </Form>
    </AuthCard>
  );
}
