import { ConfigProvider, theme as antTheme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import 'dayjs/locale/en';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { type Lang, type Prefs, readPrefs, type Theme, writePrefs } from '../prefs';
import { format, MESSAGES, type MessageKey } from './messages';

export type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18nValue {
  lang: Lang;
  theme: Theme;
  sidebarCollapsed: boolean;
  t: T;
  setLang(lang: Lang): void;
  setTheme(theme: Theme): void;
  setSidebarCollapsed(collapsed: boolean): void;
  /** A thrown error as one line in the console's language (API errors: the code's label and the server's message). */
  errorText(err: unknown): string;
}

// Ant Design's defaults for secondary text and danger are below WCAG AA contrast (4.5:1) on white;
// these keep the console readable (axe: no serious colour-contrast violation).
const LIGHT_TOKENS = {
  colorPrimary: '#1668dc',
  colorInfo: '#1668dc',
  colorLink: '#1668dc',
  colorError: '#cf1322',
  colorTextSecondary: 'rgba(0, 0, 0, 0.65)',
  colorTextTertiary: 'rgba(0, 0, 0, 0.6)',
  colorTextDescription: 'rgba(0, 0, 0, 0.62)',
  colorTextPlaceholder: 'rgba(0, 0, 0, 0.55)',
};
const DARK_TOKENS = { colorPrimary: '#3c89e8' };

const I18nContext = createContext<I18nValue | null>(null);

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}

/** Language, theme and sidebar preferences (remembered in localStorage), Ant Design's locale and dayjs' locale. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [prefs, setPrefs] = useState<Prefs>(() => readPrefs());
  const update = useCallback((patch: Partial<Prefs>) => {
    setPrefs((p) => {
      const next = { ...p, ...patch };
      writePrefs(next);
      return next;
    });
  }, []);

  dayjs.locale(prefs.lang === 'en' ? 'en' : 'zh-cn');
  useEffect(() => {
    document.documentElement.lang = prefs.lang;
    document.title = MESSAGES[prefs.lang]['app.title'];
  }, [prefs.lang]);

  const value = useMemo<I18nValue>(() => {
    const dict = MESSAGES[prefs.lang];
    const t: T = (key, vars) => format(dict[key] ?? key, vars);
    return {
      ...prefs,
      t,
      setLang: (lang) => update({ lang }),
      setTheme: (theme) => update({ theme }),
      setSidebarCollapsed: (sidebarCollapsed) => update({ sidebarCollapsed }),
      errorText(err) {
        if (err instanceof ApiError) {
          const label = (dict as Record<string, string>)[`error.${err.code}`];
          return label ? `${label}${prefs.lang === 'en' ? ': ' : '：'}${err.message}` : err.message;
        }
        if (err instanceof TypeError) return dict['error.NETWORK'];
        return err instanceof Error ? err.message : String(err);
      },
    };
  }, [prefs, update]);

  return (
    <I18nContext.Provider value={value}>
      <ConfigProvider
        locale={prefs.lang === 'en' ? enUS : zhCN}
        button={{ autoInsertSpace: false }}
        theme={{ algorithm: prefs.theme === 'dark' ? antTheme.darkAlgorithm : antTheme.defaultAlgorithm, token: prefs.theme === 'dark' ? DARK_TOKENS : LIGHT_TOKENS }}
      >
        {children}
      </ConfigProvider>
    </I18nContext.Provider>
  );
}
