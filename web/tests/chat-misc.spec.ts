import { describe, expect, it } from 'vitest';
import { checkGroupName, groupTypeOf, withGroupType } from '@/chat/naming';
import { badGroupTypes, bytesToMb, formFieldOf, mbToBytes, normalizeExtensions, normalizeGroupTypes } from '@/chat/policy';
import { applyReceipt, readState, toPerson } from '@/chat/receipts';
import { dayBoundary, snippetHtml } from '@/chat/search';
import { backoffDelay } from '@/realtime/backoff';
import { conv, ev, member } from './chatFixtures';

const own = (seq: number) => ev(seq, { sender: { kind: 'member', userid: 'me', name: '我' } });

describe('read state of own messages', () => {
  const members = [member('me', 9), member('a', 5), member('b', 3), member('c', 2)];
  it('groups with receipts on: how many have not read', () => {
    expect(readState(own(4), conv(), members, 'me')).toEqual({ mode: 'on', unread: 2, total: 3 });
    expect(readState(own(2), conv(), members, 'me')).toEqual({ mode: 'on', unread: 0, total: 3 });
  });
  it('aggregate: read/total', () => {
    expect(readState(own(4), conv({ receipts: 'aggregate' }), members, 'me')).toEqual({ mode: 'aggregate', read: 1, total: 3 });
  });
  it('one-to-one: read or not', () => {
    const two = [member('me', 9), member('lisi', 6)];
    expect(readState(own(6), conv({ kind: 'direct' }), two, 'me')).toEqual({ mode: 'direct', read: true });
    expect(readState(own(7), conv({ kind: 'direct' }), two, 'me')).toEqual({ mode: 'direct', read: false });
  });
  it('nothing when receipts are off, for others’ messages, recalled ones or before members load', () => {
    expect(readState(own(4), conv({ receipts: 'off' }), members, 'me')).toBeNull();
    expect(readState(ev(4), conv(), members, 'me')).toBeNull();
    expect(readState({ ...own(4), recalled: true }, conv(), members, 'me')).toBeNull();
    expect(readState(own(4), conv(), [], 'me')).toBeNull();
  });
  it('receipt frames move read positions forward only', () => {
    const next = applyReceipt(members, 'b', 8);
    expect(next.find((m) => m.userid === 'b')?.read_seq).toBe(8);
    expect(applyReceipt(next, 'b', 4)).toBe(next);
    expect(applyReceipt(next, 'nobody', 4)).toBe(next);
  });
  it('accepts people as objects or bare userids', () => {
    expect(toPerson('lisi', () => '李四')).toEqual({ userid: 'lisi', name: '李四' });
    expect(toPerson({ userid: 'x', name: '' })).toEqual({ userid: 'x', name: 'x' });
  });
});

describe('group naming', () => {
  const naming = { enabled: true, pattern: '【部门】-【项目/事项】-【群类型】', group_types: ['项目群', '通知群'] };
  it('checks parts and the group type', () => {
    expect(checkGroupName('研发-官网-项目群', naming)).toBe('ok');
    expect(checkGroupName('研发-官网', naming)).toBe('parts');
    expect(checkGroupName('研发--项目群', naming)).toBe('parts');
    expect(checkGroupName('研发-官网-闲聊群', naming)).toBe('type');
    expect(checkGroupName('随便', { ...naming, enabled: false })).toBe('ok');
    expect(checkGroupName('a-b-c', { ...naming, group_types: [] })).toBe('ok');
  });
  it('puts the chosen type at the end of the name', () => {
    expect(withGroupType('研发-官网', '项目群', naming.group_types)).toBe('研发-官网-项目群');
    expect(withGroupType('研发-官网-项目群', '通知群', naming.group_types)).toBe('研发-官网-通知群');
    expect(withGroupType('研发-官网-项目群', '', naming.group_types)).toBe('研发-官网');
    expect(withGroupType('', '项目群', naming.group_types)).toBe('项目群');
    expect(groupTypeOf('研发-官网-通知群', naming.group_types)).toBe('通知群');
    expect(groupTypeOf('研发-官网', naming.group_types)).toBe('');
  });
});

describe('search', () => {
  it('escapes snippets and keeps only <mark>', () => {
    expect(snippetHtml('a <mark>灰度</mark> <img src=x onerror=alert(1)>', '灰度')).toBe('a <mark>灰度</mark> &lt;img src=x onerror=alert(1)&gt;');
  });
  it('marks the query words when the server did not', () => {
    expect(snippetHtml('新版官网上线', '官网')).toBe('新版<mark>官网</mark>上线');
    expect(snippetHtml('a.b (c)', '(c)')).toBe('a.b <mark>(c)</mark>');
    expect(snippetHtml('x & y', '')).toBe('x &amp; y');
  });
  it('turns dates into day boundaries', () => {
    expect(dayBoundary('2024-03-05')).toBe(new Date(2024, 2, 5).getTime());
    expect(dayBoundary('2024-03-05', true)).toBe(new Date(2024, 2, 5, 23, 59, 59, 999).getTime());
    expect(dayBoundary('')).toBeUndefined();
  });
});

describe('policy form', () => {
  it('normalises extensions', () => {
    expect(normalizeExtensions(['.EXE', ' bat ', 'exe', '*.cmd', 'a b', '', 'tar.gz!'])).toEqual(['exe', 'bat', 'cmd', 'a', 'b']);
  });
  it('converts sizes and field paths', () => {
    expect(bytesToMb(104857600)).toBe(100);
    expect(mbToBytes(100)).toBe(104857600);
    expect(bytesToMb(0)).toBe(0);
    expect(formFieldOf('naming.pattern')).toBe('naming_pattern');
    expect(formFieldOf('files.denied_extensions[0]')).toBe('files_denied_extensions_0');
    expect(normalizeGroupTypes([' 项目群 ', '项目群', '通知群', ''])).toEqual(['项目群', '通知群']);
    expect(badGroupTypes(['项目群', 'a-b'])).toEqual(['a-b']);
  });
});

describe('reconnect backoff', () => {
  it('doubles from 0.5 s up to 30 s, with jitter below the plain value', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 10, 40].map((n) => backoffDelay(n, none))).toEqual([500, 1000, 2000, 4000, 30000, 30000]);
    expect(backoffDelay(3, () => 1)).toBe(2800);
    for (let i = 0; i < 20; i++) expect(backoffDelay(5)).toBeLessThanOrEqual(16000);
  });
});
