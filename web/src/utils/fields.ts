import { nextTick, type Ref } from 'vue';
import type { FormInstanceFunctions } from 'tdesign-vue-next';
import { ApiError } from '@/api/client';
import { i18n } from '@/i18n';

const KNOWN_REASONS = [
  'required',
  'format',
  'too_short',
  'too_long',
  'taken',
  'duplicate',
  'exists',
  'not_found',
  'weak',
  'policy',
  'mismatch',
  'invalid',
  'same_as_account',
  'reused',
  'out_of_range',
  'weak_password',
  'password_reused',
  'wrong_old_password',
  'wrong',
  'self',
  'duplicate_in_file',
  'out_of_scope',
  'outranks_you',
  'range',
  'unknown',
  'not_in_departments',
  'too_many',
] as const;

/** The localised text for a server field reason key such as `format`. */
export function fieldReasonText(reason: string): string {
  const { t, te } = i18n.global;
  const key = `fieldError.${reason}`;
  if ((KNOWN_REASONS as readonly string[]).includes(reason) && te(key)) return t(key);
  if (reason.includes('.') && te(reason)) return t(reason);
  return t('fieldError.invalid');
}

/**
 * Shows a 422's `fields` next to the inputs of a TDesign form. `rename` maps server field names
 * to form item names where they differ. Returns true when anything was shown.
 */
export function applyFieldErrors(
  form: FormInstanceFunctions | null | undefined,
  e: unknown,
  rename: Record<string, string> = {},
): boolean {
  if (!(e instanceof ApiError) || !e.hasFields || !form) return false;
  const messages: Record<string, { type: 'error'; message: string }[]> = {};
  for (const [field, reason] of Object.entries(e.fields)) {
    messages[rename[field] ?? field] = [{ type: 'error', message: fieldReasonText(reason) }];
  }
  form.setValidateMessage(messages);
  return true;
}

/**
 * Clears validation after a dialog refills its form. The form re-validates changed values
 * asynchronously, so the clearing waits until that has settled.
 */
export function clearValidationSoon(form: Ref<FormInstanceFunctions | undefined>): void {
  nextTick(() => setTimeout(() => form.value?.clearValidate(), 0));
}
