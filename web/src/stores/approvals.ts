import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { approvalsApi } from '@/api/approvals';
import type { Counts, TemplateBrief } from '@/api/approvals';
import { useChatStore } from './chat';

const POLL_MS = 60_000;

/**
 * What the approvals pages share: the badge counts (待我处理, unread CC) shown in the navigation, and
 * the templates the member may submit. Counts are fetched when the shell starts, every minute, when
 * the tab comes back into view, after the member acts, and whenever an app conversation (where
 * approval notifications arrive) gets a new message.
 */
export const useApprovalsStore = defineStore('approvals', () => {
  const counts = ref<Counts>({ todo: 0, cc_unread: 0 });
  const templates = ref<TemplateBrief[]>([]);
  const templatesLoaded = ref(false);
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopWatch: (() => void) | null = null;
  let inFlight: Promise<void> | null = null;

  const todo = computed(() => counts.value.todo);
  const badge = computed(() => (todo.value > 99 ? '99+' : String(todo.value)));

  function refreshCounts(): Promise<void> {
    if (inFlight) return inFlight;
    inFlight = approvalsApi
      .counts()
      .then((c) => {
        counts.value = { todo: c.todo ?? 0, cc_unread: c.cc_unread ?? 0 };
      })
      .catch(() => undefined)
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  function onVisible() {
    if (document.visibilityState === 'visible') refreshCounts();
  }

  function start() {
    if (timer) return;
    refreshCounts();
    timer = setInterval(refreshCounts, POLL_MS);
    document.addEventListener('visibilitychange', onVisible);
    const chat = useChatStore();
    stopWatch = watch(
      () => chat.list.filter((c) => c.kind === 'app').reduce((n, c) => n + c.last_seq, 0),
      (now, before) => {
        if (now !== before) refreshCounts();
      },
    );
  }

  function stop() {
    clearInterval(timer);
    timer = undefined;
    document.removeEventListener('visibilitychange', onVisible);
    stopWatch?.();
    stopWatch = null;
    counts.value = { todo: 0, cc_unread: 0 };
    templates.value = [];
    templatesLoaded.value = false;
  }

  async function loadTemplates(force = false) {
    if (templatesLoaded.value && !force) return templates.value;
    templates.value = (await approvalsApi.templates()).items;
    templatesLoaded.value = true;
    return templates.value;
  }

  return { counts, todo, badge, templates, templatesLoaded, refreshCounts, start, stop, loadTemplates };
});
