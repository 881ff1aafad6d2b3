/**
 * Attention on this device: my notification settings, the last `notify` frame (the notifier shows
 * it), and the pending summary of what arrived while I rested (`digest`).
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { attentionApi } from '@/api/attention';
import type { AttentionInput, AttentionSettings, Digest, NotifyFrame } from '@/api/attention';
import type { ServerFrame } from '@/realtime/socket';

export const useAttentionStore = defineStore('attention', () => {
  const settings = ref<AttentionSettings | null>(null);
  /** The latest alert; `alerts` counts them so watchers see two equal frames as two. */
  const lastAlert = shallowRef<NotifyFrame | null>(null);
  const alerts = ref(0);
  const digest = shallowRef<Digest | null>(null);

  /** Frames the chat store passes on: `notify`, `digest`, `attention`. */
  function handleFrame(f: ServerFrame) {
    if (f.t === 'notify') {
      lastAlert.value = f;
      alerts.value += 1;
    } else if (f.t === 'digest') {
      const { t: _t, ...d } = f;
      digest.value = d;
    } else if (f.t === 'attention') {
      if (settings.value) load().catch(() => undefined);
    }
  }

  async function load() {
    settings.value = await attentionApi.mine();
    return settings.value;
  }

  async function save(input: AttentionInput) {
    settings.value = await attentionApi.save(input);
    return settings.value;
  }

  /** The summary was shown: forget it here and on the server (so the next connection does not repeat it). */
  async function dismissDigest() {
    digest.value = null;
    await attentionApi.dismissDigest();
  }

  function reset() {
    settings.value = null;
    lastAlert.value = null;
    digest.value = null;
  }

  return { settings, lastAlert, alerts, digest, handleFrame, load, save, dismissDigest, reset };
});
