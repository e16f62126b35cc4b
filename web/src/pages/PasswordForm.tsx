import { App, Button, Form, Input } from 'antd';
import { useState } from 'react';
import { unwrap } from '../api/client';
import { useApi, useSession } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';

/** Changes the signed-in user's own password (POST /api/auth/password); used by the forced page and 个人中心. */
export function PasswordForm({ onDone }: { onDone?: () => void }) {
  const { t, errorText } = useI18n();
  const api = useApi();
  const { store } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);

  const submit = async (v: { currentPassword: string; newPassword: string }) => {
    setBusy(true);
    try {
      unwrap(await api.POST('/api/auth/password', { body: { currentPassword: v.currentPassword, newPassword: v.newPassword } }));
      await store.reloadUser();
      form.resetFields();
      message.success(t('pwd.done'));
      onDone?.();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} style={{ maxWidth: 400 }}>
      <Form.Item label={t('pwd.current')} name="currentPassword" rules={[{ required: true, message: t('login.required', { field: t('pwd.current') }) }]}>
        <Input.Password autoComplete="current-password" />
      </Form.Item>
      <Form.Item label={t('pwd.new')} name="newPassword" rules={[{ required: true, message: t('login.required', { field: t('pwd.new') }) }]}>
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        label={t('pwd.confirm')}
        name="confirm"
        dependencies={['newPassword']}
        rules={[
          { required: true, message: t('login.required', { field: t('pwd.confirm') }) },
          ({ getFieldValue }) => ({
            validator: (_, value) => (!value || value === getFieldValue('newPassword') ? Promise.resolve() : Promise.reject(new Error(t('pwd.mismatch')))),
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={busy}>
        {t('pwd.submit')}
      </Button>
    </Form>
  );
}
