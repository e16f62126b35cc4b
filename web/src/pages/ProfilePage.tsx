import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Col, Descriptions, Popconfirm, Row, Space, Table, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { useNavigate } from 'react-router';
import { unwrap } from '../api/client';
import { useApi, useSession } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import { PasswordForm } from './PasswordForm';

/** The caller's active sessions (every browser and script signed in as them); any but this one can be ended. */
function OwnSessions() {
  const { t, errorText } = useI18n();
  const api = useApi();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const sessions = useQuery({ queryKey: ['own-sessions'], queryFn: async () => unwrap(await api.GET('/api/auth/sessions')).items });
  const end = useMutation({
    mutationFn: async (id: string) => unwrap(await api.DELETE('/api/auth/sessions/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      message.success(t('profile.sessionEnded'));
      void qc.invalidateQueries({ queryKey: ['own-sessions'] });
    },
    onError: (e) => message.error(errorText(e)),
  });
  const time = (iso: string) => dayjs(iso).format('YYYY-MM-DD HH:mm:ss');
  return (
    <Table
      rowKey="id"
      size="small"
      loading={sessions.isLoading}
      dataSource={sessions.data ?? []}
      pagination={false}
      scroll={{ x: true }}
      locale={{ emptyText: sessions.isError ? errorText(sessions.error) : t('common.empty') }}
      columns={[
        {
          title: t('profile.client'),
          key: 'client',
          render: (_, s) => (
            <Space direction="vertical" size={0}>
              <Typography.Text ellipsis style={{ maxWidth: 420 }}>
                {s.userAgent ?? '—'}
              </Typography.Text>
              {s.current ? <Tag color="blue">{t('profile.thisSession')}</Tag> : null}
            </Space>
          ),
        },
        { title: 'IP', dataIndex: 'ip', render: (ip: string | null) => ip ?? '—' },
        { title: t('profile.startedAt'), dataIndex: 'startedAt', render: time },
        { title: t('profile.lastRefreshedAt'), dataIndex: 'lastRefreshedAt', render: time },
        {
          title: t('common.actions'),
          key: 'actions',
          render: (_, s) =>
            s.current ? null : (
              <Popconfirm title={t('profile.confirmEnd')} onConfirm={() => end.mutateAsync(s.id)} okText={t('common.ok')} cancelText={t('common.cancel')}>
                <Button type="link" size="small" danger>
                  {t('profile.endSession')}
                </Button>
              </Popconfirm>
            ),
        },
      ]}
    />
  );
}

/** 个人中心: the signed-in account, its sessions, and the password change. */
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
      <Col xs={24}>
        <Card title={t('profile.allSessions')}>
          <OwnSessions />
        </Card>
      </Col>
    </Row>
  );
}
