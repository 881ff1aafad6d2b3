import { describe, expect, it } from 'vitest';
import { createI18n } from 'vue-i18n';
import { activeMentionQuery } from '@/chat/mentions';
import { FAVOURITE_KINDS, favouriteKind, filterFavourites, originOf, sortFavourites } from '@/chat/favourites';
import { namingError, namingHint } from '@/chat/naming';
import {
  MAX_TEXT_CHARS,
  MAX_TITLE_CHARS,
  activeSlashQuery,
  charCount,
  checkQuickReply,
  filterQuickReplies,
  insertQuickReply,
  moveItem,
  previewLine,
  quickReplyScore,
} from '@/chat/quickReplies';
import en from '@/i18n/en';
import zhCN from '@/i18n/zh-CN';
import { conv, ev } from './chatFixtures';

const replies = [
  { id: '1', title: '欢迎语', text: '您好，欢迎咨询企协！' },
  { id: '2', title: '', text: '稍等，我查一下' },
  { id: '3', title: '结束语', text: '感谢您的耐心，再见' },
  { id: '4', title: 'Address', text: '北京市海淀区 xx 路 1 号' },
];
// Stand-in for pinyin initials (the real dictionary is loaded lazily in the browser).
const initials: Record<string, string> = { 欢迎语: 'hyy', 结束语: 'jsy', '稍等，我查一下': 'sdwcyx', '您好，欢迎咨询企协！': 'nhhyzxqx' };
const initialsOf = (s: string) => initials[s] ?? '';

describe('the / query in the composer', () => {
  it('opens at the start of the input or after whitespace only', () => {
    expect(activeSlashQuery('/', 1)).toEqual({ start: 0, query: '' });
    expect(activeSlashQuery('/hy', 3)).toEqual({ start: 0, query: 'hy' });
    expect(activeSlashQuery('好的 /欢迎', 6)).toEqual({ start: 3, query: '欢迎' });
    expect(activeSlashQuery('第一行\n/jsy', 8)).toEqual({ start: 4, query: 'jsy' });
    expect(activeSlashQuery('a/b', 3)).toBeNull();
    expect(activeSlashQuery('见 https://qixie.cn', 18)).toBeNull();
    expect(activeSlashQuery('2024/5/1', 8)).toBeNull();
    expect(activeSlashQuery('no slash', 8)).toBeNull();
  });

  it('is what lies between the slash and the caret, and closes on a space, a second slash or an @', () => {
    expect(activeSlashQuery('/hy 后面', 3)).toEqual({ start: 0, query: 'hy' });
    expect(activeSlashQuery('/hy 后面', 7)).toBeNull();
    expect(activeSlashQuery('/a/b', 4)).toBeNull();
    expect(activeSlashQuery('/@zh', 4)).toBeNull();
    expect(activeSlashQuery(`/${'x'.repeat(21)}`, 22)).toBeNull();
  });

  it('leaves @mentions to the mention suggestions, and mentions ignore the slash', () => {
    // Typing "@" after "/": the mention popup takes over.
    expect(activeSlashQuery('/@', 2)).toBeNull();
    expect(activeMentionQuery('/@', 2)).toEqual({ start: 1, query: '' });
    // "@zh /": the mention query ends at the space, the slash query begins.
    expect(activeMentionQuery('@zh /', 5)).toBeNull();
    expect(activeSlashQuery('@zh /', 5)).toEqual({ start: 4, query: '' });
  });
});

describe('filtering quick replies', () => {
  it('shows everything in list order for a bare slash', () => {
    expect(filterQuickReplies('', replies).map((r) => r.id)).toEqual(['1', '2', '3', '4']);
  });

  it('matches titles before texts, prefixes before the middle', () => {
    expect(filterQuickReplies('欢迎', replies).map((r) => r.id)).toEqual(['1']);
    expect(filterQuickReplies('语', replies).map((r) => r.id)).toEqual(['1', '3']);
    expect(filterQuickReplies('稍等', replies).map((r) => r.id)).toEqual(['2']);
    expect(filterQuickReplies('再见', replies).map((r) => r.id)).toEqual(['3']);
    expect(filterQuickReplies('ADDR', replies).map((r) => r.id)).toEqual(['4']);
    expect(filterQuickReplies('nothing', replies)).toEqual([]);
    // A title match outranks a text match of the same word.
    const both = [
      { id: 'a', title: '', text: '欢迎再来' },
      { id: 'b', title: '欢迎', text: '…' },
    ];
    expect(filterQuickReplies('欢迎', both).map((r) => r.id)).toEqual(['b', 'a']);
  });

  it('matches pinyin initials of the title and of the start of the text', () => {
    expect(filterQuickReplies('hy', replies, initialsOf).map((r) => r.id)).toEqual(['1']);
    expect(filterQuickReplies('jsy', replies, initialsOf).map((r) => r.id)).toEqual(['3']);
    expect(filterQuickReplies('sdw', replies, initialsOf).map((r) => r.id)).toEqual(['2']);
    expect(quickReplyScore('hy', replies[0])).toBe(0);
    expect(quickReplyScore('hy', replies[0], initialsOf)).toBeGreaterThan(quickReplyScore('nh', replies[0], initialsOf));
  });

  it('caps the list', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ id: String(i), title: '', text: `第${i}条` }));
    expect(filterQuickReplies('', many)).toHaveLength(50);
    expect(filterQuickReplies('', many, undefined, 10)).toHaveLength(10);
  });
});

describe('inserting a quick reply', () => {
  it('replaces /query by the text and puts the caret after it', () => {
    expect(insertQuickReply('/hy', 0, 3, '您好！')).toEqual({ text: '您好！', caret: 3 });
    expect(insertQuickReply('张三 /jsy 谢谢', 3, 7, '再见')).toEqual({ text: '张三 再见 谢谢', caret: 5 });
    const multi = insertQuickReply('开头\n/x', 3, 5, '第一行\n第二行');
    expect(multi.text).toBe('开头\n第一行\n第二行');
    expect(multi.caret).toBe(multi.text.length);
  });

  it('previews one line', () => {
    expect(previewLine('第一行\n  第二行')).toBe('第一行 第二行');
    expect(previewLine('字'.repeat(70), 60)).toBe(`${'字'.repeat(60)}…`);
  });
});

describe('checking a quick reply before sending', () => {
  it('applies the server limits', () => {
    expect(checkQuickReply({ title: '', text: '好' })).toEqual({});
    expect(checkQuickReply({ title: '', text: '   ' })).toEqual({ text: 'required' });
    expect(checkQuickReply({ title: '长'.repeat(MAX_TITLE_CHARS + 1), text: 'x' })).toEqual({ title: 'too_long' });
    expect(checkQuickReply({ title: '长'.repeat(MAX_TITLE_CHARS), text: '字'.repeat(MAX_TEXT_CHARS) })).toEqual({});
    expect(checkQuickReply({ title: '', text: '字'.repeat(MAX_TEXT_CHARS + 1) })).toEqual({ text: 'too_long' });
    // Spaces in a title collapse, as the server does.
    expect(checkQuickReply({ title: `${'长'.repeat(MAX_TITLE_CHARS)}   `, text: 'x' })).toEqual({});
  });

  it('refuses a text the owner already keeps, after trimming', () => {
    expect(checkQuickReply({ title: '', text: ' 稍等 ' }, ['稍等'])).toEqual({ text: 'duplicate' });
    expect(checkQuickReply({ title: '', text: '稍等一下' }, ['稍等'])).toEqual({});
  });

  it('counts characters as the server does', () => {
    expect(charCount('😀好')).toBe(2);
  });

  it('moves items for reordering', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveItem(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 2, 9)).toEqual(['a', 'b', 'c']);
    expect(moveItem(['a', 'b', 'c'], 5, 0)).toEqual(['a', 'b', 'c']);
  });
});

describe('favourites', () => {
  const fav = (id: string, at: number, over = {}) => ({ id, at, event: ev(Number(id), over) });
  it('newest saved first; broken snapshots left out', () => {
    const list = [fav('1', 10), fav('2', 30), fav('3', 20), { id: '4', at: 40, event: null as never }];
    expect(sortFavourites(list).map((f) => f.id)).toEqual(['2', '3', '1']);
  });
  it('filters by kind', () => {
    const list = [fav('1', 1), fav('2', 2, { type: 'image' }), fav('3', 3, { type: 'file' }), fav('4', 4, { type: 'chat_record' }), fav('5', 5, { type: 'markdown' })];
    expect(FAVOURITE_KINDS.map((k) => filterFavourites(list, k).map((f) => f.id))).toEqual([['1', '2', '3', '4', '5'], ['1', '5'], ['2'], ['3'], ['4']]);
    expect(favouriteKind(ev(1, { type: 'news' }))).toBe('text');
  });
  it('links to the original message only while the member is in its conversation', () => {
    const f = fav('7', 1, { conv: 'c1' });
    expect(originOf(f, { c1: conv() })).toEqual({ conv: conv(), seq: 7 });
    expect(originOf(f, {})).toBeNull();
  });
});

describe('naming rule hints', () => {
  const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en } });
  const t = (k: string, p?: Record<string, unknown>) => i18n.global.t(k, p ?? {});
  const naming = { enabled: true, pattern: '【部门】-【项目/事项】-【群类型】', group_types: ['项目群', '通知群'], example: '市场部-新品发布-项目群' };

  it('tells the pattern, the types and an example before typing', () => {
    expect(namingHint(naming, t)).toBe('群名称格式：【部门】-【项目/事项】-【群类型】；群类型可选：项目群、通知群；例如：市场部-新品发布-项目群');
    expect(namingHint({ ...naming, enabled: false }, t)).toBe('');
    expect(namingHint(null, t)).toBe('');
  });

  it('says what is wrong with a name', () => {
    expect(namingError('研发-官网-项目群', naming, t)).toBeNull();
    expect(namingError('随便聊聊', naming, t)).toBe('群名称需按“【部门】-【项目/事项】-【群类型】”的格式填写，例如：市场部-新品发布-项目群');
    expect(namingError('研发-官网-闲聊群', naming, t)).toBe('群名称的最后一部分须为群类型之一：项目群、通知群');
    expect(namingError('随便聊聊', { ...naming, enabled: false }, t)).toBeNull();
  });
});
