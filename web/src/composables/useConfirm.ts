import { reactive } from 'vue';
import { notifyError } from '@/utils/notify';

interface ConfirmState {
  visible: boolean;
  header: string;
  body: string;
  danger: boolean;
  confirmText: string;
  loading: boolean;
  action: (() => Promise<unknown>) | null;
  resolve: ((ok: boolean) => void) | null;
}

/** One confirmation dialog for the whole app, rendered by ConfirmHost. */
export const confirmState = reactive<ConfirmState>({
  visible: false,
  header: '',
  body: '',
  danger: false,
  confirmText: '',
  loading: false,
  action: null,
  resolve: null,
});

export interface ConfirmOptions {
  header: string;
  body: string;
  danger?: boolean;
  confirmText?: string;
  /** The request to run; the confirm button shows loading while it runs. */
  action: () => Promise<unknown>;
}

/** Asks, runs the action on confirm, resolves true when it succeeded. */
export function confirmAction(opts: ConfirmOptions): Promise<boolean> {
  confirmState.resolve?.(false);
  return new Promise((resolve) => {
    Object.assign(confirmState, {
      visible: true,
      header: opts.header,
      body: opts.body,
      danger: !!opts.danger,
      confirmText: opts.confirmText ?? '',
      loading: false,
      action: opts.action,
      resolve,
    });
  });
}

export async function acceptConfirm(): Promise<void> {
  if (!confirmState.action || confirmState.loading) return;
  confirmState.loading = true;
  let ok = false;
  try {
    await confirmState.action();
    ok = true;
  } catch (e) {
    notifyError(e);
  } finally {
    confirmState.loading = false;
    confirmState.visible = false;
    confirmState.resolve?.(ok);
    confirmState.resolve = null;
    confirmState.action = null;
  }
}

export function cancelConfirm(): void {
  if (confirmState.loading) return;
  confirmState.visible = false;
  confirmState.resolve?.(false);
  confirmState.resolve = null;
  confirmState.action = null;
}
