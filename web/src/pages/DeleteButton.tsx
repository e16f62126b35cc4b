import { Button, Popconfirm } from 'antd';
import { useI18n } from '../i18n/I18nProvider';

/** A table row's 删除 link: asks "delete NAME?" first, then runs `onConfirm` (the popup waits for it). */
export function DeleteButton({ name, onConfirm }: { name: string; onConfirm: () => Promise<unknown> }) {
  const { t } = useI18n();
  return (
    <Popconfirm title={t('common.confirmDelete', { name })} okText={t('common.delete')} okButtonProps={{ danger: true }} cancelText={t('common.cancel')} onConfirm={onConfirm}>
      <Button type="link" size="small" danger>
        {t('common.delete')}
      </Button>
    </Popconfirm>
  );
}
