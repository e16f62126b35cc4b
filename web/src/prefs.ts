/**
 * UI preferences — the only things the console keeps in localStorage (never a token): language,
 * theme and whether the sidebar is collapsed.
 */
export type Lang = 'zh-CN' | 'en';
export type Theme = 'light' | 'dark';

export interface Prefs {
  lang: Lang;
  theme: Theme;
  sidebarCollapsed: boolean;
}

export const PREFS_KEY = 'mcp-console.prefs';
export const DEFAULT_PREFS: Prefs = { lang: 'zh-CN', theme: 'light', sidebarCollapsed: false };

/** Reads stored preferences; anything missing or malformed falls back to the default (zh-CN). */
export function readPrefs(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): Prefs {
  try {
    const raw = storage?.getItem(PREFS_KEY);
    if (!raw) return { ...DEFAULT_PREFS };
    const v = JSON.parse(raw) as Partial<Prefs>;
    return {
      lang: v.lang === 'en' ? 'en' : 'zh-CN',
      theme: v.theme === 'dark' ? 'dark' : 'light',
      sidebarCollapsed: v.sidebarCollapsed === true,
    };
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

export function writePrefs(prefs: Prefs, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // storage full or disabled: the preference lasts for this tab only
  }
}
