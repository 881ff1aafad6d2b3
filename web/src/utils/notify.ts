import { MessagePlugin } from 'tdesign-vue-next';
import { ApiError } from '@/api/client';
import { t } from '@/i18n';

/** Shows a failure to the person: the server's localised message, or a generic one. */
export function notifyError(e: unknown): void {
  if (e instanceof ApiError) {
    MessagePlugin.error(e.message);
    return;
  }
  console.error(e);
  MessagePlugin.error(t('error.unexpected'));
}

export function notifySuccess(text: string): void {
  MessagePlugin.success(text);
}
