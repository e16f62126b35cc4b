import { Button, Card, Col, Descriptions, Row, Space, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useNavigate } from 'react-router';
import { useSession } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import { PasswordForm } from './PasswordForm';

/** 个人中心: the signed-in account, its session in this browser, and the password change. */
export default function ProfilePage() {
  const { t } = useI18n();
  const { state, store } = useSession();
  const navigate = useNavigate();
  if (state.status !== 'authenticated') return null;
  const { user } = state;
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={12}>
        <Card title={t('profile.account')}>
          <Descriptions column={1} size="small">
            <Descriptions.Item label={t('users.username')}>{user.username}</Descriptions.Item>
            <Descriptions.Item label={t('users.roles')}>
              {user.roles.map((r) => (
                <Tag key={r}>{r}</Tag>
              ))}
            </Descriptions.Item>
            <Descriptions.Item label={t('profile.permissions')}>
              <Space wrap size={4}>
                {user.permissions.map((p) => (
                  <Typography.Text key={p} code>
                    {p}
                  </Typography.Text>
                ))}
              </Space>
            </Descriptions.Item>
          </Descriptions>
        </Card>
        <Card title={t('profile.sessions')} style={{ marginTop: 16 }}>
          <Typography.Paragraph type="secondary">{t('profile.sessionsHint')}</Typography.Paragraph>
          <Descriptions column={1} size="small">
            <Descriptions.Item label={t('profile.expiresAt')}>{dayjs(state.expiresAt).format('YYYY-MM-DD HH:mm:ss')}</Descriptions.Item>
          </Descriptions>
          <Button
            danger
            onClick={async () => {
              await store.logout();
              navigate('/login', { replace: true });
            }}
          >
            {t('header.logout')}
          </Button>
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('pwd.title')}>
          <PasswordForm />
        </Card>
      </Col>
    </Row>
  );
}
