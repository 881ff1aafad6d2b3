import { defineStore } from 'pinia';
import { ref } from 'vue';
import { quickRepliesApi } from '@/api/quickReplies';
import type { QuickReply, QuickReplyLimits } from '@/api/quickReplies';
import { useSessionStore } from '@/stores/session';

/**
 * The signed-in member's quick replies (their own, then the enterprise's) for the composer's picker.
 * Loaded on first use and again after the member changes them; a different user signing in in the
 * same tab loads afresh.
 */
export const useQuickRepliesStore = defineStore('quickReplies', () => {
  const items = ref<QuickReply[]>([]);
  const limits = ref<QuickReplyLimits | null>(null);
  const loaded = ref(false);
  let owner: string | null = null;
  let loading: Promise<void> | null = null;

  function set(list: { items: QuickReply[]; limits: QuickReplyLimits }) {
    items.value = list.items;
    limits.value = list.limits;
    loaded.value = true;
  }

  /** Loads once per user; `force` reloads (after a change, or when the picker opens again later). */
  function load(force = false): Promise<void> {
    const user = useSessionStore().user?.userid ?? null;
    if (user !== owner) {
      owner = user;
      items.value = [];
      loaded.value = false;
      loading = null;
    }
    if (loaded.value && !force) return Promise.resolve();
    if (!loading) {
      loading = quickRepliesApi.mine
        .list()
        .then(set)
        .finally(() => {
          loading = null;
        });
    }
    return loading;
  }

  return { items, limits, loaded, load, set };
});
