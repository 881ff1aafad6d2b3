import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import en from '@/i18n/en';
import zhCN from '@/i18n/zh-CN';
import { normalizeLang, pickInitialLang } from '@/i18n';
import { APP_SCOPES, PERMISSIONS } from '@/api/types';
import { ADMIN_SECTIONS } from '@/router/adminSections';
import { dotless } from '@/utils/format';
import { CORP_SIZES, GENDERS, INDUSTRIES } from '@/utils/options';

type Tree = { [k: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else flatten(v, key).forEach((val, kk) => out.set(kk, val));
  }
  return out;
}

/** The module files of each language (index.ts puts them together). */
const moduleFiles = {
  'zh-CN': import.meta.glob<{ default: Tree }>(['../src/i18n/zh-CN/*.ts', '!**/index.ts'], { eager: true }),
  en: import.meta.glob<{ default: Tree }>(['../src/i18n/en/*.ts', '!**/index.ts'], { eager: true }),
};
const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

const zh = flatten(zhCN as Tree);
const enMap = flatten(en as Tree);

/** Asks vue-i18n itself, so a key that only looks right (say, one containing a dot) fails. */
const probe = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en }, missingWarn: false, fallbackWarn: false });
function has(locale: 'zh-CN' | 'en', key: string) {
  return probe.global.te(key, locale);
}

function placeholders(s: string) {
  return [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(vue|ts)$/.test(name) && !p.includes(`${join('src', 'i18n')}`) ? [p] : [];
  });
}

describe('translations', () => {
  it('each language is its module files put together, every section from exactly one file', () => {
    expect(Object.keys(moduleFiles.en).map(fileName).sort()).toEqual(Object.keys(moduleFiles['zh-CN']).map(fileName).sort());
    for (const [lang, whole] of [['zh-CN', zhCN], ['en', en]] as const) {
      // A file left out of index.ts loses its sections; a section in two files silently loses one.
      const sections = Object.values(moduleFiles[lang]).flatMap((m) => Object.keys(m.default));
      expect(sections.sort(), lang).toEqual(Object.keys(whole).sort());
    }
  });

  it('every zh-CN key exists in en', () => {
    const missing = [...zh.keys()].filter((k) => !enMap.has(k));
    expect(missing).toEqual([]);
  });

  it('every en key exists in zh-CN', () => {
    const missing = [...enMap.keys()].filter((k) => !zh.has(k));
    expect(missing).toEqual([]);
  });

  it('no message is empty and both languages use the same placeholders', () => {
    for (const [k, v] of zh) {
      expect(v.trim(), `zh-CN ${k}`).not.toBe('');
      expect(enMap.get(k)?.trim(), `en ${k}`).not.toBe('');
      expect(placeholders(enMap.get(k) ?? ''), k).toEqual(placeholders(v));
    }
  });

  it('no message uses characters vue-i18n treats as syntax by accident', () => {
    for (const [k, v] of [...zh, ...enMap]) {
      expect(/[@|]/.test(v), `${k}: ${v}`).toBe(false);
    }
  });

  it('every literal key used in the source exists', () => {
    const root = join(__dirname, '..', 'src');
    const used = new Set<string>();
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\$?\bt\(\s*'([a-zA-Z][\w.-]*)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/\b(?:title|label):\s*'([a-z][\w]*\.[\w.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((k) => !has('zh-CN', k) || !has('en', k));
    expect(missing).toEqual([]);
  });

  it('every key built at run time exists', () => {
    const keys = [
      ...INDUSTRIES.map((v) => `industry.${v}`),
      ...CORP_SIZES.map((v) => `corpSize.${v}`),
      ...GENDERS.map((v) => `gender.${v}`),
      ...['active', 'not_activated', 'frozen', 'departed'].map((s) => `status.${s}`),
      ...PERMISSIONS.flatMap((p) => [`perm.${dotless(p)}`, `permDesc.${dotless(p)}`]),
      ...APP_SCOPES.map((s) => `scope.${dotless(s)}`),
      ...ADMIN_SECTIONS.flatMap((s) => [`admin.section.${s.key}.title`, `admin.section.${s.key}.desc`]),
      ...['length', 'letters_digits', 'not_account'].map((r) => `password.rule.${r}`),
      ...['freeze', 'unfreeze', 'unlock', 'signout_all'].flatMap((a) => ['title', 'body', 'done'].map((x) => `members.confirm.${a}.${x}`)),
      ...['create', 'rename', 'move', 'leaders'].map((m) => `dept.dialog.${m}`),
      ...['xlsx', 'csv'].flatMap((f) => [`export.${f}`, `export.${f}Desc`]),
      ...['account', 'employeeNo', 'mobile', 'email', 'leader'].map((k) => `member.${k}`),
    ];
    const missing = keys.filter((k) => !has('zh-CN', k) || !has('en', k));
    expect(missing).toEqual([]);
  });
});

describe('language choice', () => {
  it('takes ?lang= first, then the stored choice, then Chinese', () => {
    expect(pickInitialLang('?lang=en', 'zh-CN')).toBe('en');
    expect(pickInitialLang('?lang=zh', 'en')).toBe('zh-CN');
    expect(pickInitialLang('', 'en')).toBe('en');
    expect(pickInitialLang('?lang=fr', null)).toBe('zh-CN');
    expect(pickInitialLang('', null)).toBe('zh-CN');
  });

  it('normalises language tags', () => {
    expect(normalizeLang('en-US')).toBe('en');
    expect(normalizeLang('zh-Hans-CN')).toBe('zh-CN');
    expect(normalizeLang('de')).toBeNull();
    expect(normalizeLang(undefined)).toBeNull();
  });
});
