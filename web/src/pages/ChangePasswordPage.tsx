import { Alert, Button } from 'antd';
import { useNavigate } from 'react-router';
import { useSession } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import { AuthCard } from './AuthCard';
import { PasswordForm } from './PasswordForm';

/** The forced password change after a first login (or an administrator's reset): a page, not an error. */
export function ChangePasswordPage() {
  const { t } = useI18n();
  const { state, store } = useSession();
  const navigate = useNavigate();
  const forced = state.status === 'authenticated' && state.user.mustChangePassword;
  return (
    <AuthCard title={t('pwd.title')}>
      {forced && <Alert type="info" showIcon title={t('pwd.forced')} style={{ marginBottom: 16 }} />}
      <PasswordForm onDone={() => navigate('/', { replace: true })} />
      <Button
        type="link"
        style={{ paddingLeft: 0, marginTop: 8 }}
        onClick={async () => {
          await store.logout();
          navigate('/login', { replace: true });
        }}
      >
        {t('header.logout')}
      </Button>
    </AuthCard>
  );
}
