/**
 * Applying the realtime stream (docs/api/realtime.md): the frames of the socket, and every event
 * through its conversation's SeqStream, so it is applied once and in seq order; a hole is filled with
 * `GET …/events?after=held` before later events are applied.
 */
import type { ChatEvent, Conversation } from '@/api/chat';
import { chatApi } from '@/api/chat';
import { applyEventToConv, applyReadToConv, systemFollowUp, type ConvExtras } from '@/chat/conversations';
import { applyReceipt } from '@/chat/receipts';
import { SeqStream } from '@/chat/stream';
import { mergeEvents } from '@/chat/timeline';
import { t } from '@/i18n';
import type { ServerFrame } from '@/realtime/socket';
import { useAttentionStore } from '../attention';
import type { ChatState } from './state';

/** What applying the stream asks of the rest of the store. */
export interface FramesDeps {
  learn(e: ChatEvent): void;
  extrasOf(id: string): ConvExtras;
  setConv(c: Conversation): void;
  drop(id: string): void;
  fetchConv(id: string): Promise<Conversation | null>;
  loadConversations(): Promise<void>;
  loadNewest(id: string): Promise<void>;
  loadMembers(id: string, force?: boolean): Promise<void>;
  loadPins(id: string): Promise<void>;
  onAck(ref: string, e: ChatEvent): void;
  failPending(ref: string, message: string): void;
  removePending(convId: string, ref: string): void;
  resendInFlight(): void;
  /** The conversation is open, visible and focused: its events are read as they arrive. */
  isReading(id: string): boolean;
  scheduleRead(): void;
}

export function chatFrames(state: ChatState, deps: FramesDeps) {
  const { me, convs, extras, timelines, members, pins, activeId, streams, orphans } = state;
  const { learn, extrasOf, setConv, drop, fetchConv, loadConversations, loadNewest, loadMembers, loadPins } = deps;
  const { onAck, failPending, removePending, resendInFlight, isReading, scheduleRead } = deps;
  const gapInFlight = new Set<string>();
  let everResumed = false;

  function onFrame(f: ServerFrame) {
    switch (f.t) {
      case 'event':
        ingest(f.conv, f.event ?? null);
        break;
      case 'ack':
        onAck(f.ref, f.event);
        break;
      case 'nack':
        failPending(f.ref, f.error?.message || t('chat.sendFailed'));
        break;
      case 'read':
        onRead(f.conv, f.seq);
        break;
      case 'receipt': {
        const list = members.value[f.conv];
        if (list) members.value = { ...members.value, [f.conv]: applyReceipt(list, f.userid, f.seq) };
        break;
      }
      case 'conv':
        if (f.change === 'removed') drop(f.conv);
        else {
          fetchConv(f.conv);
          if (members.value[f.conv]) loadMembers(f.conv, true);
        }
        break;
      case 'resumed':
        onResumed(f.convs ?? {});
        break;
      case 'notify':
      case 'digest':
      case 'attention':
        useAttentionStore().handleFrame(f);
        break;
      default:
        break;
    }
  }

  function onResumed(server: Record<string, number>) {
    const unknown = Object.keys(server).some((id) => !streams.has(id));
    if (everResumed || unknown) {
      // Reconnected: pin, mute, drafts and new conversations may have changed while away.
      loadConversations().catch(() => undefined);
      if (activeId.value && members.value[activeId.value]) loadMembers(activeId.value, true);
    }
    everResumed = true;
    for (const [id, last] of Object.entries(server)) {
      const s = streams.get(id);
      if (s && last > s.held) fillGap(id, last);
    }
    resendInFlight();
  }

  /** A conversation became known: its stream starts at `lastSeq`; events that came before it are applied now. */
  function follow(convId: string, lastSeq: number) {
    if (streams.has(convId)) return;
    streams.set(convId, new SeqStream<ChatEvent>(lastSeq));
    const waiting = orphans.get(convId);
    orphans.delete(convId);
    waiting?.forEach((e) => ingest(convId, e));
  }

  function ingest(convId: string, e: ChatEvent | null) {
    if (!e) return;
    const stream = streams.get(convId);
    if (!stream) {
      const waiting = orphans.get(convId) ?? [];
      waiting.push(e);
      orphans.set(convId, waiting);
      fetchConv(convId);
      return;
    }
    const r = stream.offer(e);
    if (r.jumped) {
      const tl = timelines[convId];
      if (tl) {
        tl.loaded = false;
        tl.atEnd = false;
        if (activeId.value === convId) loadNewest(convId);
      }
    }
    r.apply.forEach((ev) => applyEvent(convId, ev));
    if (r.gap) fillGap(convId);
  }

  /** Fetches the events after the held seq until the stream has no hole (and reaches `target`, if given). */
  async function fillGap(convId: string, target?: number) {
    if (gapInFlight.has(convId)) return;
    gapInFlight.add(convId);
    try {
      for (let round = 0; round < 50; round++) {
        const s = streams.get(convId);
        if (!s) return;
        const after = s.gapAfter() ?? (target != null && s.held < target ? s.held : null);
        if (after == null) return;
        const res = await chatApi.events(convId, after, 200);
        const applied = s.fill(res.items ?? []);
        applied.forEach((ev) => applyEvent(convId, ev));
        if (!res.items?.length) {
          // The server has nothing after `held`: whatever waits is not behind a real hole.
          s.skipHole().forEach((ev) => applyEvent(convId, ev));
          return;
        }
      }
    } catch {
      /* the next event or reconnect tries again */
    } finally {
      gapInFlight.delete(convId);
    }
  }

  /** One event in seq order: the list entry, the open timeline, the pending copy, and what a system event changes. */
  function applyEvent(convId: string, e: ChatEvent) {
    const c = convs.value[convId];
    if (!c) return;
    learn(e);
    const reading = isReading(convId);
    const r = applyEventToConv(c, extrasOf(convId), e, { me: me.value, reading });
    setConv(r.conv);
    extras.value = { ...extras.value, [convId]: r.extras };
    const tl = timelines[convId];
    if (tl?.loaded && tl.atEnd) tl.events = mergeEvents(tl.events, [e]);
    if (e.client_id) removePending(convId, e.client_id);
    if (e.kind === 'system') {
      const followUp = systemFollowUp(e, me.value);
      if (followUp.pins && pins.value[convId]) loadPins(convId);
      if (followUp.urgentSeq != null && tl?.loaded) {
        // The sender made an earlier message urgent: it shows the mark from now on.
        tl.events = tl.events.map((x) => (x.seq === followUp.urgentSeq ? { ...x, urgent: true } : x));
      }
      // I am out: the server follows with conv "removed"; asking for the conversation now would only 404.
      if (followUp.leftMe) return;
      if (followUp.conv) fetchConv(convId);
      if (followUp.members && members.value[convId]) loadMembers(convId, true);
    }
    if (reading) scheduleRead();
  }

  function onRead(convId: string, seq: number) {
    const c = convs.value[convId];
    if (!c) return;
    const next = applyReadToConv(c, seq);
    if (next) setConv(next);
    else {
      setConv({ ...c, read_seq: Math.max(c.read_seq, seq) });
      fetchConv(convId);
    }
  }

  /** Forgets the ordering of a conversation that is gone. */
  function forgetConv(id: string) {
    streams.delete(id);
    orphans.delete(id);
  }

  /** Forgets all ordering (sign-out); the next `resumed` is a first one again. */
  function clear() {
    everResumed = false;
    streams.clear();
    orphans.clear();
  }

  return { onFrame, follow, ingest, forgetConv, clear };
}
