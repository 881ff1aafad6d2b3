import { nextTick, type Ref } from 'vue';
import type { FormInstanceFunctions } from 'tdesign-vue-next';
import { ApiError } from '@/api/client';
import { i18n } from '@/i18n';

/**
 * The localised text for a server field reason such as `format`: one of the server's field reasons
 * or an error code (tests/api-contract.spec.ts keeps the dictionary and the server's list equal).
 */
export function fieldReasonText(reason: string): string {
  const { t, te } = i18n.global;
  const key = `fieldError.${reason}`;
  if (te(key)) return t(key);
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
