/** Input checks shared by the forms. Each returns i18n keys, so the wording lives in one place. */

export const DEFAULT_PASSWORD_MIN = 8;

export type PasswordRule = 'length' | 'letters_digits' | 'not_account';

export interface RuleResult {
  rule: PasswordRule;
  ok: boolean;
}

/** The password policy, rule by rule (≥ N characters, letters and digits, not containing the account), as the server checks it. */
export function passwordRules(password: string, account = '', minLength = DEFAULT_PASSWORD_MIN): RuleResult[] {
  const pw = password ?? '';
  const acct = (account ?? '').trim().toLowerCase();
  return [
    { rule: 'length', ok: [...pw].length >= minLength },
    { rule: 'letters_digits', ok: /\p{L}/u.test(pw) && /\p{Nd}/u.test(pw) },
    { rule: 'not_account', ok: pw.length > 0 && (acct === '' || !pw.toLowerCase().includes(acct)) },
  ];
}

export function passwordOk(password: string, account = '', minLength = DEFAULT_PASSWORD_MIN): boolean {
  return passwordRules(password, account, minLength).every((r) => r.ok);
}

/** Account (userid): 1–64 of letters, digits and `_ - . @`, starting with a letter or digit. */
export function isValidAccount(v: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(v.trim());
}

/** Mobile: digits with an optional leading + and spaces or dashes, 5–20 digits. */
export function isValidMobile(v: string): boolean {
  const s = v.trim();
  if (!/^\+?[0-9][0-9 -]*$/.test(s)) return false;
  const digits = s.replace(/\D/g, '').length;
  return digits >= 5 && digits <= 20;
}

export function isValidEmail(v: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim());
}

/** Corp id as issued by set-up: letters, digits, dash and underscore. */
export function isValidCorpId(v: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(v.trim());
}
