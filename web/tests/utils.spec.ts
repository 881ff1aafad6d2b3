import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/client';
import { IMPORT_HEADERS, csvCell, importTemplateCsv, toCsv } from '@/utils/csv';
import { deviceLabel } from '@/utils/device';
import { diffStates } from '@/utils/diff';
import { applyFieldErrors, fieldReasonText } from '@/utils/fields';
import { avatarColor, avatarText, dotless, formatTime } from '@/utils/format';

describe('import template', () => {
  it('starts with a BOM and the Chinese headers', () => {
    const csv = importTemplateCsv();
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv.slice(1).split('\r\n')[0]).toBe('姓名,帐号,工号,手机,邮箱,部门,职务,性别,直属上级,标签');
    expect(IMPORT_HEADERS).toHaveLength(10);
  });

  it('shows departments as paths separated by semicolons', () => {
    const row = importTemplateCsv().split('\r\n')[1].split(',');
    expect(row[5]).toBe('总公司/研发部;总公司/产品部');
  });

  it('quotes cells that need it', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(null)).toBe('');
    expect(toCsv([['x', 1]])).toBe('x,1\r\n');
  });
});

describe('field errors', () => {
  it('translates known reasons and hides unknown ones behind a generic text', () => {
    expect(fieldReasonText('format')).toBe('格式不正确');
    expect(fieldReasonText('some_internal_detail')).toBe('输入无效');
  });

  it('puts 422 fields next to the form items', () => {
    const shown: Record<string, unknown> = {};
    const form = { setValidateMessage: (m: Record<string, unknown>) => Object.assign(shown, m) };
    const err = new ApiError(422, 'validation', '输入有误', { mobile: 'format', successor_userid: 'not_found' });
    expect(applyFieldErrors(form as never, err, { successor_userid: 'successor' })).toBe(true);
    expect(shown).toEqual({
      mobile: [{ type: 'error', message: '格式不正确' }],
      successor: [{ type: 'error', message: '不存在' }],
    });
    expect(applyFieldErrors(form as never, new ApiError(409, 'x', 'y'))).toBe(false);
    expect(applyFieldErrors(form as never, new Error('x'))).toBe(false);
  });
});

describe('formatting', () => {
  it('avatar text: last two characters of a Chinese name, initials otherwise', () => {
    expect(avatarText('张三丰')).toBe('三丰');
    expect(avatarText('李四')).toBe('李四');
    expect(avatarText('Ada Lovelace')).toBe('AL');
    expect(avatarText('bob')).toBe('BO');
    expect(avatarText('')).toBe('?');
  });

  it('stable avatar colours', () => {
    expect(avatarColor('zhangsan')).toBe(avatarColor('zhangsan'));
    expect(avatarColor('zhangsan')).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('times and keys', () => {
    expect(formatTime(null)).toBe('—');
    expect(formatTime(new Date(2024, 0, 2, 3, 4, 5).getTime(), true)).toBe('2024-01-02 03:04:05');
    expect(dotless('contacts.manage')).toBe('contacts_manage');
  });

  it('device labels', () => {
    expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1')).toBe('Safari · iOS');
    expect(deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0')).toBe('Edge · Windows');
    expect(deviceLabel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36')).toBe('Chrome · Linux');
  });
});

describe('audit diff', () => {
  it('compares before and after key by key', () => {
    const rows = diffStates({ name: '张三', mobile: '1' }, { name: '张三', mobile: '2', email: 'a' });
    expect(rows).toEqual([
      { key: 'email', before: '', after: 'a', changed: true },
      { key: 'mobile', before: '1', after: '2', changed: true },
      { key: 'name', before: '张三', after: '张三', changed: false },
    ]);
  });

  it('handles creations, deletions and scalar states', () => {
    expect(diffStates(null, { a: 1 })).toEqual([{ key: 'a', before: '', after: '1', changed: true }]);
    expect(diffStates({ a: [1] }, null)).toEqual([{ key: 'a', before: '[1]', after: '', changed: true }]);
    expect(diffStates(null, null)).toEqual([]);
    expect(diffStates('x', 'y')).toEqual([{ key: '', before: 'x', after: 'y', changed: true }]);
  });
});
