/**
 * Optimistic sends: a message shows as pending at once and goes out under its ref as client_id, over
 * the socket when it is open, else with REST. The stored event replaces it, whether it comes back as
 * the ack or as a live event carrying the client_id. Images and files are uploaded first.
 */
import { ApiError } from '@/api/client';
import { chatApi } from '@/api/chat';
import type { ChatEvent, SendBody } from '@/api/chat';
import { newRef, type PendingMessage } from '@/chat/pending';
import { mergeEvents } from '@/chat/timeline';
import { t } from '@/i18n';
import type { ClientFrame } from '@/realtime/socket';
import type { ChatState } from './state';

const ACK_TIMEOUT_MS = 15000;

export interface SendingDeps {
  /** Sends a frame over the realtime socket; false when it is not open. */
  send(frame: ClientFrame): boolean;
  /** Applies a stored event through its conversation's stream. */
  ingest(convId: string, e: ChatEvent): void;
}

export function chatSending(state: ChatState, { send, ingest }: SendingDeps) {
  const { pending, timelines } = state;
  const ackTimers = new Map<string, ReturnType<typeof setTimeout>>();

  function stopAckTimer(ref: string) {
    clearTimeout(ackTimers.get(ref));
    ackTimers.delete(ref);
  }

  function pendingOf(id: string): PendingMessage[] {
    return pending.value[id] ?? [];
  }

  function setPending(id: string, listValue: PendingMessage[]) {
    pending.value = { ...pending.value, [id]: listValue };
  }

  function patchPending(p: PendingMessage, patch: Partial<PendingMessage>) {
    const listValue = pendingOf(p.conv).map((x) => (x.ref === p.ref ? Object.assign(x, patch) : x));
    setPending(p.conv, [...listValue]);
  }

  function findPending(ref: string): PendingMessage | undefined {
    for (const listValue of Object.values(pending.value)) {
      const p = listValue.find((x) => x.ref === ref);
      if (p) return p;
    }
    return undefined;
  }

  function removePending(convId: string, ref: string) {
    const listValue = pendingOf(convId);
    const p = listValue.find((x) => x.ref === ref);
    if (!p) return;
    stopAckTimer(ref);
    if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
    setPending(convId, listValue.filter((x) => x.ref !== ref));
  }

  function failPending(ref: string, message: string) {
    const p = findPending(ref);
    if (!p) return;
    stopAckTimer(ref);
    patchPending(p, { state: 'failed', error: message });
  }

  function onAck(ref: string, e: ChatEvent) {
    const p = findPending(ref);
    const convId = e?.conv ?? p?.conv;
    if (!convId || !e) return;
    const tl = timelines[convId];
    if (tl?.loaded && tl.atEnd) tl.events = mergeEvents(tl.events, [e]);
    removePending(convId, ref);
    ingest(convId, e);
  }

  /** Puts a message on the wire: over the socket when it is open, else with REST. */
  function transmit(p: PendingMessage) {
    const body: SendBody = { ...p.body, client_id: p.ref };
    stopAckTimer(p.ref);
    if (send({ op: 'send', ref: p.ref, conv: p.conv, msg: body })) {
      p.viaSocket = true;
      ackTimers.set(
        p.ref,
        setTimeout(() => failPending(p.ref, t('chat.sendTimeout')), ACK_TIMEOUT_MS),
      );
      return;
    }
    p.viaSocket = false;
    chatApi
      .send(p.conv, body)
      .then((e) => onAck(p.ref, e))
      .catch((e) => failPending(p.ref, e instanceof ApiError ? e.message : t('chat.sendFailed')));
  }

  /** After a reconnect: sends that were on the wire when the connection dropped go again with the same client_id. */
  function resendInFlight() {
    for (const list of Object.values(pending.value)) {
      for (const p of list) if (p.state === 'sending' && p.viaSocket) transmit(p);
    }
  }

  function sendMessage(convId: string, body: SendBody, display?: string) {
    const p: PendingMessage = { ref: newRef(), conv: convId, body, state: 'sending', error: null, at: Date.now(), display };
    setPending(convId, [...pendingOf(convId), p]);
    transmit(p);
    return p.ref;
  }

  async function upload(p: PendingMessage) {
    if (!p.file) return;
    patchPending(p, { state: 'uploading', progress: 0, error: null });
    try {
      const media = await chatApi.upload(p.file, (f) => patchPending(p, { progress: f }));
      const body: SendBody = { ...p.body, type: media.kind === 'image' ? 'image' : 'file', media_id: media.media_id };
      patchPending(p, { media, body, state: 'sending', progress: 1 });
      transmit(p);
    } catch (e) {
      patchPending(p, { state: 'failed', error: e instanceof ApiError ? e.message : t('chat.uploadFailed') });
    }
  }

  function sendFile(convId: string, file: File, extra: Partial<SendBody> = {}) {
    const image = file.type.startsWith('image/');
    const p: PendingMessage = {
      ref: newRef(),
      conv: convId,
      body: { type: image ? 'image' : 'file', ...extra },
      state: 'uploading',
      error: null,
      at: Date.now(),
      file,
      progress: 0,
      previewUrl: image && typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : undefined,
    };
    setPending(convId, [...pendingOf(convId), p]);
    upload(p);
    return p.ref;
  }

  function retry(ref: string) {
    const p = findPending(ref);
    if (!p || p.state !== 'failed') return;
    if (p.file && !p.body.media_id) {
      upload(p);
      return;
    }
    patchPending(p, { state: 'sending', error: null });
    transmit(p);
  }

  function discard(ref: string) {
    const p = findPending(ref);
    if (p) removePending(p.conv, ref);
  }

  /** Forgets the pending messages of a conversation that is gone. */
  function forgetConv(id: string) {
    for (const p of pending.value[id] ?? []) {
      stopAckTimer(p.ref);
      if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
    }
    if (pending.value[id]) {
      const { [id]: _p, ...others } = pending.value;
      pending.value = others;
    }
  }

  /** Forgets every pending message (sign-out). */
  function clear() {
    ackTimers.forEach(clearTimeout);
    ackTimers.clear();
    for (const list of Object.values(pending.value)) list.forEach((p) => p.previewUrl && URL.revokeObjectURL(p.previewUrl));
    pending.value = {};
  }

  return { pendingOf, sendMessage, sendFile, retry, discard, removePending, failPending, onAck, resendInFlight, forgetConv, clear };
}
