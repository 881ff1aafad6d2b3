import { ref } from 'vue';
import { notifyError, notifySuccess } from '@/utils/notify';

export interface ActionOptions {
  /** Text shown when the action succeeds. */
  success?: () => string;
  /** Called with the error instead of the default toast (return true when handled). */
  onError?: (e: unknown) => boolean | void;
}

/**
 * Wraps an async request: tracks `loading` for the button that started it, shows errors,
 * ignores repeated clicks while running. `run` resolves to the result, or `undefined` on failure.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>, opts: ActionOptions = {}) {
  const loading = ref(false);
  async function run(...args: A): Promise<R | undefined> {
    if (loading.value) return undefined;
    loading.value = true;
    try {
      const result = await fn(...args);
      if (opts.success) notifySuccess(opts.success());
      return result;
    } catch (e) {
      if (!opts.onError?.(e)) notifyError(e);
      return undefined;
    } finally {
      loading.value = false;
    }
  }
  return { loading, run };
}
