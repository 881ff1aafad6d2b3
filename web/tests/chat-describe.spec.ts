import { describe, expect, it } from 'vitest';
import { SYSTEM_CODES, contentSummary, dayLabel, extensionOf, formatBytes, listTime, messageTime, previewOf, recallSentence, stripMarkdown, systemSentence } from '@/chat/describe';
import { i18n } from '@/i18n';
import { conv, ev } from './chatFixtures';

const zh = (key: string, named?: Record<string, unknown>) => (named ? i18n.global.t(key, named, { locale: 'zh-CN' }) : i18n.global.t(key, {}, { locale: 'zh-CN' }));
const en = (key: string, named?: Record<string, unknown>) => (named ? i18n.global.t(key, named, { locale: 'en' }) : i18n.global.t(key, {}, { locale: 'en' }));
const by = { userid: 'zhangsan', name: '张三' };
const sys = (code: string, params: Record<string, unknown> = {}) => ev(1, { kind: 'system', type: null, sender: { kind: 'system', name: '' }, content: { code, params } });

describe('system sentences', () => {
  it('builds every code in both languages', () => {
    for (const code of SYSTEM_CODES) {
      const zhText = systemSentence(sys(code, { by, users: [{ userid: 'lisi', name: '李四' }], name: '新群名' }), 'me', zh);
      const enText = systemSentence(sys(code, { by, users: [{ userid: 'lisi', name: '李四' }], name: '新群名' }), 'me', en);
      expect(zhText, code).not.toMatch(/chat\.system|\{/);
      expect(enText, code).not.toMatch(/chat\.system|\{/);
    }
  });

  it('reads people from the params and calls me 你', () => {
    expect(systemSentence(sys('member_joined', { by, users: [{ userid: 'lisi', name: '李四' }, 'wangwu'] }), 'me', zh)).toBe('张三 邀请 李四、wangwu 加入了群聊');
    expect(systemSentence(sys('member_joined', { users: [{ userid: 'lisi', name: '李四' }] }), 'me', zh)).toBe('李四 加入了群聊');
    expect(systemSentence(sys('member_left', { user: { userid: 'me', name: '我' } }), 'me', zh)).toBe('你 退出了群聊');
    expect(systemSentence(sys('renamed', { by, name: '研发群' }), 'me', zh)).toBe('张三 将群名称修改为“研发群”');
    expect(systemSentence(sys('renamed', { by, from: '旧群', to: '新群' }), 'me', zh)).toBe('张三 将群名称修改为“新群”');
    expect(systemSentence(sys('robot_added', { by, robot: '构建通知' }), 'me', zh)).toBe('张三 添加了群机器人「构建通知」');
    expect(systemSentence(sys('renamed', { by, name: 'R&D' }), 'me', en)).toBe('张三 renamed the group to “R&D”');
    expect(systemSentence(sys('no_such_code'), 'me', zh)).toBe('群聊信息已更新');
  });

  it('prefers the name the client knows for a userid', () => {
    expect(systemSentence(sys('admin_added', { by: 'zhangsan', users: ['lisi'] }), 'me', zh, (u) => ({ zhangsan: '张三', lisi: '李四' })[u])).toBe('张三 将 李四 设为管理员');
  });

  it('recall lines', () => {
    expect(recallSentence(by, null, 'me', zh)).toBe('张三 撤回了一条消息');
    expect(recallSentence({ userid: 'me', name: '我' }, null, 'me', zh)).toBe('你 撤回了一条消息');
    expect(recallSentence(by, { userid: 'lisi', name: '李四' }, 'me', zh)).toBe('张三 撤回了 李四 的一条消息');
    expect(recallSentence(null, { userid: 'lisi', name: '李四' }, 'me', en)).toBe('李四 recalled a message');
  });
});

describe('previews', () => {
  it('summarises each type', () => {
    expect(contentSummary(ev(1, { type: 'image', content: { media_id: 'm' } }), zh)).toBe('[图片]');
    expect(contentSummary(ev(1, { type: 'file', content: { name: 'a.pdf' } }), zh)).toBe('[文件] a.pdf');
    expect(contentSummary(ev(1, { type: 'markdown', content: { text: '**上线**\n- 10/14 提测' } }), zh)).toBe('上线 10/14 提测');
    expect(contentSummary(ev(1, { type: 'text', content: { text: '@{lisi} 你好' } }), zh, (u) => (u === 'lisi' ? '李四' : undefined))).toBe('@李四 你好');
    expect(contentSummary(ev(1, { type: 'template_card', content: { main_title: { title: '磁盘告警' } } }), zh)).toBe('[卡片] 磁盘告警');
  });

  it('prefixes the sender in groups, not in direct chats or for own messages', () => {
    const last = ev(3, { content: { text: '好的' } });
    expect(previewOf(conv({ last_event: last }), 'me', zh)).toBe('李四: 好的');
    expect(previewOf(conv({ kind: 'direct', last_event: last }), 'me', zh)).toBe('好的');
    expect(previewOf(conv({ last_event: ev(3, { sender: { kind: 'member', userid: 'me', name: '我' }, content: { text: 'ok' } }) }), 'me', zh)).toBe('ok');
    expect(previewOf(conv({ last_event: ev(4, { kind: 'recall', content: { by } }) }), 'me', zh)).toBe('张三 撤回了一条消息');
    expect(previewOf(conv({ last_event: null }), 'me', zh)).toBe('');
  });

  it('strips markdown for one line', () => {
    expect(stripMarkdown('# 标题\n> 引用 `code` [链接](https://x)')).toBe('标题\n引用 code 链接');
  });
});

describe('times and sizes', () => {
  const now = new Date(2024, 9, 16, 15, 0).getTime(); // Wednesday
  it('list times', () => {
    expect(listTime(new Date(2024, 9, 16, 9, 5).getTime(), now, zh)).toBe('09:05');
    expect(listTime(new Date(2024, 9, 15, 23, 0).getTime(), now, zh)).toBe('昨天');
    expect(listTime(new Date(2024, 9, 13, 10, 0).getTime(), now, zh)).toBe('星期日');
    expect(listTime(new Date(2024, 8, 1, 10, 0).getTime(), now, zh)).toBe('9月1日');
    expect(listTime(new Date(2023, 8, 1, 10, 0).getTime(), now, zh)).toBe('2023/9/1');
    expect(listTime(new Date(2024, 8, 1, 10, 0).getTime(), now, en)).toBe('9/1');
    expect(listTime(0, now, zh)).toBe('');
  });

  it('day separators and message times', () => {
    expect(dayLabel(now - 3600_000, now, zh)).toBe('今天');
    expect(dayLabel(new Date(2024, 9, 15, 8).getTime(), now, en)).toBe('Yesterday');
    expect(dayLabel(new Date(2024, 2, 5, 8).getTime(), now, zh)).toBe('3月5日 星期二');
    expect(dayLabel(new Date(2022, 2, 5, 8).getTime(), now, zh)).toBe('2022年3月5日');
    expect(messageTime(new Date(2024, 9, 15, 8, 30).getTime(), now, zh)).toBe('昨天 08:30');
  });

  it('file sizes and extensions', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(2_457_600)).toBe('2.3 MB');
    expect(formatBytes(150 * 1024 * 1024)).toBe('150 MB');
    expect(formatBytes(undefined)).toBe('');
    expect(extensionOf('报告.PDF')).toBe('pdf');
    expect(extensionOf('README')).toBe('');
  });
});
