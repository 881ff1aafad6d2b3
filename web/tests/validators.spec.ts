import { describe, expect, it } from 'vitest';
import { isValidAccount, isValidCorpId, isValidEmail, isValidMobile, passwordOk, passwordRules } from '@/utils/validators';

const rule = (pw: string, account = '', min?: number) =>
  Object.fromEntries(passwordRules(pw, account, min).map((r) => [r.rule, r.ok]));

describe('password policy hint', () => {
  it('accepts a password with ≥8 characters, letters and digits, unlike the account', () => {
    expect(rule('qixie2024', 'admin')).toEqual({ length: true, letters_digits: true, not_account: true });
    expect(passwordOk('qixie2024', 'admin')).toBe(true);
  });

  it('flags short passwords', () => {
    expect(rule('abc123', 'admin').length).toBe(false);
    expect(passwordOk('abc123', 'admin')).toBe(false);
  });

  it('needs both letters and digits', () => {
    expect(rule('abcdefghij').letters_digits).toBe(false);
    expect(rule('1234567890').letters_digits).toBe(false);
    expect(rule('密码密码1234').letters_digits).toBe(true);
  });

  it('refuses the account itself, whatever the case', () => {
    expect(rule('Zhangsan01', 'zhangsan01').not_account).toBe(false);
    // The server refuses a password that contains the account anywhere.
    expect(rule('Zhaoliu2026', 'zhaoliu').not_account).toBe(false);
    expect(passwordOk('zhangsan01', 'zhangsan01')).toBe(false);
  });

  it('honours a longer minimum from the security settings', () => {
    expect(rule('abcd1234', '', 10).length).toBe(false);
    expect(rule('abcd123456', '', 10).length).toBe(true);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(rule('密码密码密码1a').length).toBe(true);
    expect(rule('😀😀😀1a', '', 8).length).toBe(false);
  });

  it('marks an empty password as failing every rule', () => {
    expect(rule('', 'x')).toEqual({ length: false, letters_digits: false, not_account: false });
  });
});

describe('field validators', () => {
  it('accounts', () => {
    expect(isValidAccount('zhangsan')).toBe(true);
    expect(isValidAccount('li.si-01_x')).toBe(true);
    expect(isValidAccount('-bad')).toBe(false);
    expect(isValidAccount('有中文')).toBe(false);
    expect(isValidAccount('a'.repeat(65))).toBe(false);
  });

  it('mobiles', () => {
    expect(isValidMobile('13800000000')).toBe(true);
    expect(isValidMobile('+86 138-0000-0000')).toBe(true);
    expect(isValidMobile('1380000abcd')).toBe(false);
    expect(isValidMobile('123')).toBe(false);
  });

  it('emails', () => {
    expect(isValidEmail('zhangsan@example.com')).toBe(true);
    expect(isValidEmail('zhangsan@example')).toBe(false);
    expect(isValidEmail('a b@example.com')).toBe(false);
  });

  it('corp ids', () => {
    expect(isValidCorpId('ww1234abcd')).toBe(true);
    expect(isValidCorpId('bad id')).toBe(false);
  });
});
