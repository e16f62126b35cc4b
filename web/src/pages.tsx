import {
  AlertOutlined,
  AuditOutlined,
  ClusterOutlined,
  CloudServerOutlined,
  NotificationOutlined,
  ToolOutlined,
  WarningOutlined,
  DashboardOutlined,
  HeartOutlined,
  SafetyCertificateOutlined,
  SettingOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { type ComponentType, type LazyExoticComponent, lazy, type ReactNode } from 'react';
import type { MessageKey } from './i18n/messages';

/**
 * Every page of the console, in menu order, with the permission that shows it — the one place a
 * new page is added (backups, HA, alerts, incidents… add a line here). `group` nests the entry
 * under a sidebar group; `hidden` keeps it out of the menu (reached from the user menu).
 */
export interface PageDef {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  permission?: string;
  group?: MessageKey;
  hidden?: boolean;
  component: LazyExoticComponent<ComponentType>;
  /** Starts loading the page's code (main.tsx: the page a cold load opens, while the session is probed). */
  preload?: () => Promise<unknown>;
}

/** A lazily loaded page that can also be loaded ahead of its first render. */
function lazyPage(load: () => Promise<{ default: ComponentType }>): Pick<PageDef, 'component' | 'preload'> {
  return { component: lazy(load), preload: load };
}

export const PAGES: readonly PageDef[] = [
  { path: '/overview', label: 'nav.overview', icon: <DashboardOutlined />, permission: 'ops:read', ...lazyPage(() => import('./pages/OverviewPage')) },
  { path: '/backups', label: 'nav.backups', icon: <CloudServerOutlined />, permission: 'ops:read', group: 'nav.ops', ...lazyPage(() => import('./pages/ops/BackupsPage')) },
  { path: '/ha', label: 'nav.ha', icon: <ClusterOutlined />, permission: 'ops:read', group: 'nav.ops', ...lazyPage(() => import('./pages/ops/HaPage')) },
  { path: '/alerts', label: 'nav.alerts', icon: <AlertOutlined />, permission: 'ops:read', group: 'nav.ops', ...lazyPage(() => import('./pages/ops/AlertsPage')) },
  { path: '/notify', label: 'nav.notify', icon: <NotificationOutlined />, permission: 'ops:read', group: 'nav.ops', ...lazyPage(() => import('./pages/ops/NotifyPage')) },
  { path: '/services', label: 'nav.services', icon: <HeartOutlined />, permission: 'ops:read', group: 'nav.ops', ...lazyPage(() => import('./pages/ops/ServicesPage')) },
  { path: '/incidents', label: 'nav.incidents', icon: <WarningOutlined />, permission: 'ops:read', group: 'nav.ops', ...lazyPage(() => import('./pages/ops/IncidentsPage')) },
  { path: '/users', label: 'nav.users', icon: <TeamOutlined />, permission: 'users:read', group: 'nav.system', ...lazyPage(() => import('./pages/UsersPage')) },
  { path: '/roles', label: 'nav.roles', icon: <SafetyCertificateOutlined />, permission: 'roles:read', group: 'nav.system', ...lazyPage(() => import('./pages/RolesPage')) },
  { path: '/audit', label: 'nav.audit', icon: <AuditOutlined />, permission: 'audit:read', group: 'nav.system', ...lazyPage(() => import('./pages/AuditPage')) },
  { path: '/settings', label: 'nav.settings', icon: <SettingOutlined />, permission: 'settings:read', group: 'nav.system', ...lazyPage(() => import('./pages/SettingsPage')) },
  { path: '/profile', label: 'nav.profile', icon: <UserOutlined />, hidden: true, ...lazyPage(() => import('./pages/ProfilePage')) },
];

export const GROUP_ICONS: Partial<Record<MessageKey, ReactNode>> = { 'nav.system': <SettingOutlined />, 'nav.ops': <ToolOutlined /> };
