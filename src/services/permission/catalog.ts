/**
 * Every permission the platform checks, and the built-in roles. Routes declare one of these;
 * `syncBuiltinRbac` writes them to the database at migration time.
 *
 * Operations are split by risk (SPEC SEC-4): reading, taking backups, verifying them, restoring
 * into a database the platform creates for restores, and — admin-only by default — the
 * operations that destroy or rewind live data (restoring into the live database, failover).
 */
export const PERMISSIONS = {
  'users:read': '查看用户 / view users',
  'users:write': '管理用户（不含重置他人密码）/ manage users (not resetting others\u2019 passwords)',
  'users:reset-password': '重置他人密码 / reset another user\u2019s password',
  'roles:read': '查看角色与权限 / view roles and permissions',
  'roles:write': '管理角色与权限 / manage roles and permissions',
  'audit:read': '查看审计日志 / view the audit log',
  'settings:read': '查看系统设置 / view settings',
  'settings:write': '修改系统设置 / change settings',
  'ops:read': '查看运维数据 / view operations data',
  'ops:backup': '执行备份（含归档、清理、重建目录）/ run backups (archive, prune, rebuild catalog)',
  'ops:verify': '校验备份（恢复到临时库检查）/ verify backups (restore into a scratch database)',
  'ops:restore': '恢复到恢复专用库 / restore into a database created for restores',
  'ops:restore-live': '恢复到线上库（覆盖线上数据）/ restore into the live database (overwrites live data)',
  'ops:failover': '主从切换与故障转移 / database switchover and failover',
  'ops:incidents': '处理故障事件 / handle incidents',
  'ops:notify': '管理通知渠道与路由 / manage notification channels and routing',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export const isPermission = (p: string): p is Permission => Object.hasOwn(PERMISSIONS, p);

export const BUILTIN_ROLES: Record<string, { description: string; permissions: readonly Permission[] }> = {
  admin: { description: '平台管理员：全部权限 / platform administrator: every permission', permissions: ALL_PERMISSIONS },
  ops: {
    description: '运维人员：查看与执行日常运维操作（不含覆盖线上库与故障转移）/ operator: view and run routine operations (not live restore or failover)',
    permissions: ['users:read', 'roles:read', 'audit:read', 'settings:read', 'ops:read', 'ops:backup', 'ops:verify', 'ops:restore', 'ops:incidents'],
  },
  viewer: {
    description: '只读用户 / read-only user',
    permissions: ['users:read', 'roles:read', 'settings:read', 'ops:read'],
  },
};
