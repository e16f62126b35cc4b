import { describe, expect, it } from 'vitest';
import { createAlerting } from '../../../src/app/alerting.js';
import { SWITCHOVER_ALERT, switchoverAnnouncer } from '../../../src/ops/ha/announce.js';
import { startTestPlatform } from '../../support/testPlatform.js';

describe('switchover notice through the alerting pipeline', () => {
  it('records a minor 数据库主从切换 alert, fired and resolved, with the summary', async () => {
    const tp = await startTestPlatform('embedded');
    try {
      const { alerts } = createAlerting(tp.platform);
      await switchoverAnnouncer(alerts)('数据库主从切换完成：127.0.0.1:3306 → 127.0.0.1:3307');
      const items = await alerts.list({});
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ name: SWITCHOVER_ALERT, severity: 'minor', status: 'resolved', summary: '数据库主从切换完成：127.0.0.1:3306 → 127.0.0.1:3307' });
    } finally {
      await tp.close();
    }
  });
});
