import { createI18n } from 'vue-i18n';
import zhCN from './zh-CN';
import en from './en';

export type Lang = 'zh-CN' | 'en';
export const LANGS: { value: Lang; label: string; short: string }[] = [
  { value: 'zh-CN', label: '中文', short: '中' },
  { value: 'en', label: 'English', short: 'EN' },
];
export const LANG_STORAGE_KEY = 'qixie.lang';

export function normalizeLang(value: string | null | undefined): Lang | null {
  if (!value) return null;
  const v = value.toLowerCase();
  if (v === 'en' || v.startsWith('en-') || v.startsWith('en_')) return 'en';
  if (v === 'zh' || v.startsWith('zh')) return 'zh-CN';
  return null;
}

/** `?lang=` in the URL wins, then the stored choice, then Chinese. */
export function pickInitialLang(search: string, stored: string | null): Lang {
  const fromUrl = normalizeLang(new URLSearchParams(search).get('lang'));
  return fromUrl ?? normalizeLang(stored) ?? 'zh-CN';
}

function browserInitialLang(): Lang {
  if (typeof window === 'undefined') return 'zh-CN';
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(LANG_STORAGE_KEY);
  } catch {
    stored = null;
  }
  const lang = pickInitialLang(window.location.search, stored);
  persistLang(lang);
  return lang;
}

function persistLang(lang: Lang) {
  if (typeof window === 'undefined') return;
  try {
    window.localStorage.setItem(LANG_STORAGE_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = lang;
}

export const messages = { 'zh-CN': zhCN, en };

export const i18n = createI18n({
  legacy: false,
  locale: browserInitialLang(),
  fallbackLocale: 'zh-CN',
  messages,
  missingWarn: false,
  fallbackWarn: false,
});

export function currentLang(): Lang {
  return i18n.global.locale.value as Lang;
}

export function setLang(lang: Lang): void {
  i18n.global.locale.value = lang;
  persistLang(lang);
}

/** Translates outside components. */
export const t = (key: string, named?: Record<string, unknown>) => (named ? i18n.global.t(key, named) : i18n.global.t(key));
