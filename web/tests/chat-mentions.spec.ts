import { describe, expect, it } from 'vitest';
import {
  activeMentionQuery,
  decodeMentions,
  deleteMentionBefore,
  encodeMentions,
  filterMentionables,
  highlightMentionsHtml,
  insertMention,
  looksLikeMarkdown,
  namesFromHtml,
  plainText,
  segments,
} from '@/chat/mentions';

const names: Record<string, string> = { lisi: '李四', zhangsan: '张三', zs2: '张三' };
const nameOf = (u: string) => names[u];

describe('mention tokens', () => {
  it('encodes picked @Name into @{userid} and lists the mentions once', () => {
    const r = encodeMentions('@李四 请看，@李四 再看 @所有人', [
      { userid: 'lisi', name: '李四' },
      { userid: '@all', name: '所有人' },
    ]);
    expect(r.text).toBe('@{lisi} 请看，@{lisi} 再看 @{@all}');
    expect(r.mentions).toEqual(['lisi', '@all']);
  });

  it('leaves hand-typed @names that were not picked as text', () => {
    expect(encodeMentions('@王五 你好', [{ userid: 'lisi', name: '李四' }])).toEqual({ text: '@王五 你好', mentions: [] });
    expect(encodeMentions('no mentions', [])).toEqual({ text: 'no mentions', mentions: [] });
  });

  it('tells apart two people with the same name by the order they were picked', () => {
    const r = encodeMentions('@张三 和 @张三', [
      { userid: 'zhangsan', name: '张三' },
      { userid: 'zs2', name: '张三' },
    ]);
    expect(r.text).toBe('@{zhangsan} 和 @{zs2}');
  });

  it('prefers the longest name at a position', () => {
    const r = encodeMentions('@张三丰 到', [
      { userid: 'zhangsan', name: '张三' },
      { userid: 'zsf', name: '张三丰' },
    ]);
    expect(r.text).toBe('@{zsf} 到');
  });

  it('decodes a draft back for the composer and round-trips', () => {
    const d = decodeMentions('@{lisi} 和 @{unknown} 看 @{@all}', nameOf, '所有人');
    expect(d.text).toBe('@李四 和 @unknown 看 @所有人');
    expect(d.picked.map((p) => p.userid)).toEqual(['lisi', 'unknown', '@all']);
    expect(encodeMentions(d.text, d.picked).text).toBe('@{lisi} 和 @{unknown} 看 @{@all}');
  });

  it('splits wire text into segments and plain text', () => {
    expect(segments('hi @{lisi}!', nameOf, 'All')).toEqual([
      { type: 'text', text: 'hi ' },
      { type: 'mention', userid: 'lisi', name: '李四' },
      { type: 'text', text: '!' },
    ]);
    expect(plainText('@{@all} 开会', nameOf, '所有人')).toBe('@所有人 开会');
  });
});

describe('typing @', () => {
  it('finds the query being typed', () => {
    expect(activeMentionQuery('你好 @li', 7)).toEqual({ start: 3, query: 'li' });
    expect(activeMentionQuery('你好@', 3)).toEqual({ start: 2, query: '' });
    expect(activeMentionQuery('@李四 ', 4)).toBeNull();
    expect(activeMentionQuery('mail lisi@example', 17)).toBeNull();
    expect(activeMentionQuery('no at here', 5)).toBeNull();
  });

  it('inserts the chosen name and moves the caret after it', () => {
    expect(insertMention('请 @zs 看', 2, 5, '张三')).toEqual({ text: '请 @张三  看', caret: 6 });
  });

  it('matches by name, pinyin initials and account, best first', () => {
    const people = [
      { userid: 'zhaoliu', name: '赵六', initials: 'zl' },
      { userid: 'zhangsan', name: '张三', initials: 'zs' },
      { userid: 'lizs', name: '李张三', initials: 'lzs' },
    ];
    expect(filterMentionables('zs', people).map((p) => p.userid)).toEqual(['zhangsan']);
    expect(filterMentionables('张三', people).map((p) => p.userid)).toEqual(['zhangsan', 'lizs']);
    expect(filterMentionables('zha', people).map((p) => p.userid)).toEqual(['zhaoliu', 'zhangsan']);
    expect(filterMentionables('', people)).toHaveLength(3);
  });

  it('backspace after a picked mention removes it whole', () => {
    const picked = [{ userid: 'lisi', name: '李四' }];
    expect(deleteMentionBefore('hi @李四 ', 7, picked)).toEqual({ text: 'hi ', caret: 3, picked: [] });
    expect(deleteMentionBefore('hi @李四 x', 8, picked)).toBeNull();
  });
});

describe('rendering', () => {
  it('highlights leftover tokens in server HTML and escapes names', () => {
    const html = highlightMentionsHtml('<p>@{lisi} @{evil}</p>', (u) => (u === 'evil' ? '<img src=x>' : nameOf(u)), 'All', 'lisi');
    expect(html).toBe('<p><span class="mention mention-me" data-userid="lisi">@李四</span> <span class="mention" data-userid="evil">@&lt;img src=x&gt;</span></p>');
  });

  it('learns names from rendered mention spans', () => {
    expect(namesFromHtml('<p><span class="mention" data-userid="zhaoliu">@赵六</span> <span data-userid="@all">@所有人</span></p>')).toEqual([{ userid: 'zhaoliu', name: '赵六' }]);
    expect(namesFromHtml(null)).toEqual([]);
  });

  it('recognises markdown worth rendering', () => {
    expect(looksLikeMarkdown('**重点**')).toBe(true);
    expect(looksLikeMarkdown('- 第一\n- 第二')).toBe(true);
    expect(looksLikeMarkdown('```\ncode\n```')).toBe(true);
    expect(looksLikeMarkdown('[文档](https://example.com)')).toBe(true);
    expect(looksLikeMarkdown('明天 3-4 点开会 *可能*')).toBe(false);
    expect(looksLikeMarkdown('普通消息')).toBe(false);
  });
});
