import { LogoutOutlined, MenuFoldOutlined, MenuUnfoldOutlined, MoonOutlined, SunOutlined, TranslationOutlined, UserOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Avatar, Button, Dropdown, Grid, Layout, Menu, type MenuProps, Select, Space, Spin, Typography, theme } from 'antd';
import { Suspense, useMemo } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { visibleFor } from '../auth/permissions';
import { useSession, useUser } from '../auth/SessionProvider';
import { useI18n } from '../i18n/I18nProvider';
import { GROUP_ICONS, PAGES } from '../pages';

const { Header, Sider, Content } = Layout;

/** The signed-in frame (RuoYi style): sidebar menu, header with language switch and user menu, the page. */
export function ConsoleLayout() {
  const { t, lang, setLang, theme: mode, setTheme, sidebarCollapsed, setSidebarCollapsed } = useI18n();
  const user = useUser();
  const { store } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const narrow = !screens.md;
  const { token } = theme.useToken();

  const items = useMemo<MenuProps['items']>(() => {
    const out: NonNullable<MenuProps['items']> = [];
    const groups = new Map<string, { key: string; label: string; icon: React.ReactNode; children: { key: string; label: string; icon: React.ReactNode }[] }>();
    for (const p of visibleFor(PAGES, user)) {
      if (p.hidden) continue;
      const item = { key: p.path, label: t(p.label), icon: p.icon };
      if (!p.group) {
        out.push(item);
        continue;
      }
      let g = groups.get(p.group);
      if (!g) {
        g = { key: p.group, label: t(p.group), icon: GROUP_ICONS[p.group], children: [] };
        groups.set(p.group, g);
        out.push(g);
      }
      g.children.push(item);
    }
    return out;
  }, [user, t]);

  const selected = PAGES.find((p) => location.pathname.startsWith(p.path));
  const collapsed = narrow ? true : sidebarCollapsed;

  const logout = async () => {
    await store.logout();
    queryClient.clear();
    navigate('/login', { replace: true });
  };

  const userMenu: MenuProps = {
    items: [{ key: 'profile', icon: <UserOutlined />, label: t('nav.profile') }, { type: 'divider' }, { key: 'logout', icon: <LogoutOutlined />, label: t('header.logout') }],
    onClick: ({ key }) => (key === 'profile' ? navigate('/profile') : void logout()),
  };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!narrow && (
        <Sider
          collapsible
          trigger={null}
          collapsed={collapsed}
          collapsedWidth={64}
          width={220}
          theme="dark"
          style={{ position: 'sticky', top: 0, height: '100vh', zIndex: 20, overflow: 'auto' }}
        >
          <div style={{ height: 56, display: 'flex', alignItems: 'center', justifyContent: 'center', color: '#fff', fontWeight: 600, whiteSpace: 'nowrap', overflow: 'hidden' }}>
            <img src="/favicon.svg" alt="" width={28} height={28} style={{ marginRight: collapsed ? 0 : 8 }} />
            {!collapsed && t('app.title')}
          </div>
          <nav aria-label={t('app.title')}>
            <Menu
              theme="dark"
              mode="inline"
              items={items}
              selectedKeys={selected ? [selected.path] : []}
              defaultOpenKeys={['nav.ops', 'nav.system']}
              onClick={({ key }) => navigate(key)}
            />
          </nav>
        </Sider>
      )}
      <Layout>
        <Header
          style={{
            background: token.colorBgContainer,
            padding: '0 16px',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            borderBottom: `1px solid ${token.colorBorderSecondary}`,
            position: 'sticky',
            top: 0,
            zIndex: 10,
          }}
        >
          <Space>
            {!narrow && (
              <Button
                type="text"
                aria-label={t('header.collapse')}
                icon={sidebarCollapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
                onClick={() => setSidebarCollapsed(!sidebarCollapsed)}
              />
            )}
            {narrow && <Select aria-label={t('app.title')} value={selected?.path} style={{ width: 150 }} options={flatOptions(items)} onChange={(v) => navigate(v)} />}
            {!narrow && selected && <Typography.Text strong>{t(selected.label)}</Typography.Text>}
          </Space>
          <Space size={narrow ? 'small' : 'middle'}>
            <Space size={4}>
              {!narrow && <TranslationOutlined aria-hidden />}
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
            <Button
              type="text"
              aria-label={t('header.theme')}
              icon={mode === 'dark' ? <SunOutlined /> : <MoonOutlined />}
              onClick={() => setTheme(mode === 'dark' ? 'light' : 'dark')}
            />
            <Dropdown menu={userMenu} trigger={['click']}>
              <Button type="text" aria-label={`${user?.username ?? ''} ${t('header.userMenu')}`.trim()} data-testid="user-menu">
                <Space>
                  <Avatar size="small" icon={<UserOutlined />} />
                  {!narrow && user?.username}
                </Space>
              </Button>
            </Dropdown>
          </Space>
        </Header>
        <Content style={{ padding: narrow ? 12 : 24 }}>
          <main>
            <Suspense fallback={<Spin aria-label={t('app.loading')} style={{ display: 'block', marginTop: 80 }} />}>
              <Outlet />
            </Suspense>
          </main>
        </Content>
      </Layout>
    </Layout>
  );
}

function flatOptions(items: MenuProps['items']): { value: string; label: string }[] {
  const out: { value: string; label: string }[] = [];
  for (const i of items ?? []) {
    if (!i || !('key' in i)) continue;
    if ('children' in i && Array.isArray(i.children)) out.push(...flatOptions(i.children as MenuProps['items']));
    else out.push({ value: String(i.key), label: String((i as { label?: unknown }).label) });
  }
  return out;
}
