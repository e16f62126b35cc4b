import { describe, expect, it } from 'vitest';
import { PAGES } from '../pages';
import { can, visibleFor } from './permissions';

// the built-in roles' permissions (src/services/permission/catalog.ts)
const viewer = { permissions: ['users:read', 'roles:read', 'settings:read', 'ops:read'] };

describe('permission gating', () => {
  it('a viewer sees the read pages it holds, not the audit log, and no write action', () => {
    expect(visibleFor(PAGES, viewer).map((p) => p.path)).toEqual([
      '/overview',
      '/backups',
      '/ha',
      '/alerts',
      '/notify',
      '/services',
      '/incidents',
      '/users',
      '/roles',
      '/settings',
      '/profile',
    ]);
    expect(can(viewer, 'users:write')).toBe(false);
    expect(can(viewer, 'users:read')).toBe(true);
  });

  it('a viewer sees the ops pages (ops:read) but none of their actions', () => {
    for (const action of ['ops:backup', 'ops:verify', 'ops:restore', 'ops:restore-live', 'ops:failover', 'ops:incidents', 'ops:notify'])
      expect(can(viewer, action), action).toBe(false);
  });

  it('without a session only pages that need no permission remain', () => {
    expect(visibleFor(PAGES, null).map((p) => p.path)).toEqual(['/profile']);
  });

  it('every page but 个人中心 names the permission that shows it', () => {
    expect(PAGES.filter((p) => !p.permission).map((p) => p.path)).toEqual(['/profile']);
  });
});
