/**
 * Every permission the platform checks, and the built-in roles. Routes declare one of these;
 * `syncBuiltinRbac` writes them to the database at migration time.
 */
export const PERMISSIONS = {
  'users:read': '查看用户 / view users',
  'users:write': '管理用户 / manage users',
  'roles:read': '查看角色与权限 / view roles and permissions',
  'roles:write': '管理角色与权限 / manage roles and permissions',
  'audit:read': '查看审计日志 / view the audit log',
  'settings:read': '查看系统设置 / view settings',
  'settings:write': '修改系统设置 / change settings',
  'ops:read': '查看运维数据 / view operations data',
  'ops:write': '执行运维操作 / run operations',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export const isPermission = (p: string): p is Permission => Object.hasOwn(PERMISSIONS, p);

export const BUILTIN_ROLES: Record<string, { description: string; permissions: readonly Permission[] }> = {
  admin: { description: '平台管理员：全部权限 / platform administrator: every permission', permissions: ALL_PERMISSIONS },
  ops: {
    description: '运维人员：查看与执行运维操作 / operator: view and run operations',
    permissions: ['users:read', 'roles:read', 'audit:read', 'settings:read', 'ops:read', 'ops:write'],
  },
  viewer: {
    description: '只读用户 / read-only user',
    permissions: ['users:read', 'roles:read', 'settings:read', 'ops:read'],
  },
};
