import { TranslationOutlined } from '@ant-design/icons';
import { Card, Flex, Select, Space, Typography, theme } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/I18nProvider';

/** The centred card of the login and forced password-change pages, with the language switch. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  const { token } = theme.useToken();
  return (
    <Flex vertical align="center" justify="center" style={{ minHeight: '100vh', padding: 16, background: token.colorBgLayout }}>
      <main style={{ width: '100%', maxWidth: 400 }}>
        <Flex justify="flex-end" style={{ marginBottom: 8 }}>
          <Space size={4}>
            <TranslationOutlined aria-hidden />
            <Select
              aria-label={t('header.language')}
              value={lang}
              onChange={setLang}
              variant="borderless"
              style={{ width: 100 }}
              options={[
                { value: 'zh-CN', label: '简体中文' },
                { value: 'en', label: 'English' },
              ]}
            />
          </Space>
        </Flex>
        <Card>
          <Flex vertical align="center" style={{ marginBottom: 16 }}>
            <img src="/favicon.svg" alt="" width={48} height={48} />
            <Typography.Title level={1} style={{ fontSize: 22, margin: '12px 0 4px' }}>
              {t('app.title')}
            </Typography.Title>
            <Typography.Text type="secondary">{title}</Typography.Text>
          </Flex>
          {children}
        </Card>
      </main>
    </Flex>
  );
}
