import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import { RECEIPT_KINDS, RECEIPT_MODES, SETTING_SWITCHES } from '@/api/chat';
import en from '@/i18n/en';
import zhCN from '@/i18n/zh-CN';

const probe = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en }, missingWarn: false, fallbackWarn: false });

describe('chat translations built at run time', () => {
  it('exist in both languages', () => {
    const keys = [
      ...['direct', 'group', 'department', 'company', 'app'].map((k) => `chat.kind.${k}`),
      ...['active', 'archived', 'dissolved'].map((s) => `chat.status.${s}`),
      ...SETTING_SWITCHES.flatMap((s) => [`chat.setting.${s}`, `chat.setting.${s}Help`]),
      ...RECEIPT_KINDS.map((k) => `policy.receipts.kind.${k}`),
      ...RECEIPT_MODES.map((m) => `policy.receipts.mode.${m}`),
      ...[0, 1, 2, 3, 4, 5, 6].map((d) => `chat.time.weekday.${d}`),
      'admin.section.messaging.title',
      'admin.section.messaging.desc',
    ];
    const missing = keys.filter((k) => !probe.global.te(k, 'zh-CN') || !probe.global.te(k, 'en'));
    expect(missing).toEqual([]);
  });

  it('puts the @ sign in through a placeholder (vue-i18n would read a literal @ as a link)', () => {
    expect(probe.global.t('chat.list.mentionMe', { at: '@' })).toBe('[有人@我]');
    expect(probe.global.t('chat.list.mentionAll', { at: '@' }, { locale: 'en' })).toBe('[@All]');
  });
});
