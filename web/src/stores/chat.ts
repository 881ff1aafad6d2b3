/**
 * Messaging state: the conversation list, the loaded history of each opened conversation, optimistic
 * sends, members (for receipts and @mentions) and the realtime connection that keeps it all current.
 *
 * Ordering rule (docs/api/realtime.md): every event passes through its conversation's SeqStream, so
 * it is applied once and in seq order; a hole is filled with `GET …/events?after=held` before later
 * events are applied. The REST pages of history are merged by seq into the timeline separately.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import { ApiError, sessionEnded } from '@/api/client';
import { chatApi } from '@/api/chat';
import type { ChatEvent, ConvMember, Conversation, Media, MyConvPatch, SendBody } from '@/api/chat';
import { mentionFromServer } from '@/chat/attention';
import { applyEventToConv, applyReadToConv, sortConversations, totalUnread, type ConvExtras } from '@/chat/conversations';
import { applyReceipt } from '@/chat/receipts';
import { SeqStream, resumeMap } from '@/chat/stream';
import { peopleOf } from '@/chat/describe';
import { namesFromHtml } from '@/chat/mentions';
import { mergeEvents } from '@/chat/timeline';
import { t } from '@/i18n';
import { RealtimeSocket, realtimeUrl, type ServerFrame, type SocketState } from '@/realtime/socket';
import { useAttentionStore } from './attention';
import { useSessionStore } from './session';

export interface Timeline {
  events: ChatEvent[];
  loaded: boolean;
  /** The oldest event is loaded. */
  atStart: boolean;
  /** The loaded events reach the newest held one; live events are appended. */
  atEnd: boolean;
  loadingOlder: boolean;
  loadingNewer: boolean;
  /** Seq to scroll to and highlight (a search hit, a pinned message). */
  focusSeq: number | null;
  /** Bumped on every reload, so the pane knows to jump rather than keep its scroll position. */
  version: number;
}

export type PendingState = 'sending' | 'uploading' | 'failed';

export interface PendingMessage {
  ref: string;
  conv: string;
  body: SendBody;
  state: PendingState;
  error: string | null;
  at: number;
  /** Upload of an image or file: the file, its progress 0…1, a local preview for images. */
  file?: File;
  progress?: number;
  previewUrl?: string;
  media?: Media;
  /** Display text of a text message (mentions as @Name). */
  display?: string;
  viaSocket?: boolean;
}

const PAGE = 50;
const ACK_TIMEOUT_MS = 15000;
const DRAFT_DELAY_MS = 800;

function newRef(): string {
  const rnd = Math.random().toString(36).slice(2, 10);
  return `c-${Date.now().toString(36)}-${rnd}`;
}

function emptyTimeline(): Timeline {
  return { events: [], loaded: false, atStart: false, atEnd: false, loadingOlder: false, loadingNewer: false, focusSeq: null, version: 0 };
}

export const useChatStore = defineStore('chat', () => {
  const session = useSessionStore();
  const me = computed(() => session.user?.userid ?? '');

  const convs = ref<Record<string, Conversation>>({});
  const extras = ref<Record<string, ConvExtras>>({});
  const timelines = reactive<Record<string, Timeline>>({});
  const members = ref<Record<string, ConvMember[]>>({});
  const pending = ref<Record<string, PendingMessage[]>>({});
  const pins = ref<Record<string, ChatEvent[]>>({});
  const drafts = ref<Record<string, string>>({});
  const names = shallowRef(new Map<string, string>());
  const activeId = ref<string | null>(null);
  const status = ref<'idle' | 'loading' | 'ready' | 'error'>('idle');
  const loadError = ref<string | null>(null);
  const socketState = ref<SocketState>('idle');
  /** Conversations removed while open (left, removed, dissolved for me): the view leaves them. */
  const removedNotice = ref<string | null>(null);

  const streams = new Map<string, SeqStream<ChatEvent>>();
  const orphans = new Map<string, ChatEvent[]>();
  const gapInFlight = new Set<string>();
  const convInFlight = new Map<string, Promise<Conversation | null>>();
  const ackTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const draftTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let socket: RealtimeSocket | null = null;
  let started = false;
  let everResumed = false;
  let readTimer: ReturnType<typeof setTimeout> | undefined;
  let listeners: (() => void) | null = null;

  const list = computed(() => sortConversations(Object.values(convs.value)));
  const unreadTotal = computed(() => totalUnread(Object.values(convs.value)));
  const active = computed(() => (activeId.value ? (convs.value[activeId.value] ?? null) : null));

  // ---------- names ----------
  function remember(userid: string | null | undefined, name: string | null | undefined) {
    if (!userid || !name || names.value.get(userid) === name) return;
    const m = new Map(names.value);
    m.set(userid, name);
    names.value = m;
  }
  /** Learns names from an event: its sender and the mentions the server rendered. */
  function learn(e: ChatEvent | null | undefined) {
    if (!e) return;
    if (e.sender.kind === 'member') remember(e.sender.userid, e.sender.name);
    for (const p of namesFromHtml(e.html)) remember(p.userid, p.name);
  }
  function nameOf(userid: string): string | undefined {
    if (userid === me.value) return session.user?.name ?? undefined;
    return names.value.get(userid);
  }

  // ---------- conversations ----------
  function extrasOf(id: string): ConvExtras {
    return extras.value[id] ?? { mentionSeq: 0, mentionAll: false };
  }

  /** Takes a conversation object from the server, keeping anything newer that this client already applied. */
  function upsert(c: Conversation): Conversation {
    const local = convs.value[c.id];
    let next = { ...c, draft: c.draft ?? '' };
    if (local && local.last_seq > c.last_seq) {
      next = { ...next, last_seq: local.last_seq, last_event: local.last_event, last_activity_at: local.last_activity_at, unread: Math.max(local.unread, c.unread) };
    }
    convs.value = { ...convs.value, [c.id]: next };
    // The server's "mentioned me" flag covers every unread message, not only the last one.
    const mention = mentionFromServer(c, extrasOf(c.id), local?.last_seq ?? 0);
    if (mention !== extrasOf(c.id)) extras.value = { ...extras.value, [c.id]: mention };
    if (c.peer) remember(c.peer.userid, c.peer.name);
    learn(c.last_event);
    // A draft saved on another device shows here too, except in the conversation being typed in.
    const draftChanged = local && (local.draft ?? '') !== next.draft && activeId.value !== c.id && !draftTimers.has(c.id);
    if (!(c.id in drafts.value) || draftChanged) drafts.value = { ...drafts.value, [c.id]: next.draft };
    if (!streams.has(c.id)) {
      streams.set(c.id, new SeqStream<ChatEvent>(c.last_seq));
      const waiting = orphans.get(c.id);
      orphans.delete(c.id);
      waiting?.forEach((e) => ingest(c.id, e));
    }
    return next;
  }

  function setConv(c: Conversation) {
    convs.value = { ...convs.value, [c.id]: c };
  }

  function drop(id: string) {
    const { [id]: _gone, ...rest } = convs.value;
    convs.value = rest;
    streams.delete(id);
    orphans.delete(id);
    delete timelines[id];
    for (const p of pending.value[id] ?? []) {
      clearTimeout(ackTimers.get(p.ref));
      ackTimers.delete(p.ref);
      if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
    }
    if (pending.value[id]) {
      const { [id]: _p, ...others } = pending.value;
      pending.value = others;
    }
    if (activeId.value === id) removedNotice.value = id;
  }

  async function loadConversations() {
    const res = await chatApi.conversations();
    const seen = new Set<string>();
    for (const c of res.items) {
      upsert(c);
      seen.add(c.id);
    }
    for (const id of Object.keys(convs.value)) if (!seen.has(id)) drop(id);
  }

  /** Fetches one conversation (a `conv` frame, a link to a conversation not in the list). */
  function fetchConv(id: string): Promise<Conversation | null> {
    const running = convInFlight.get(id);
    if (running) return running;
    const p = chatApi
      .conversation(id)
      .then((c) => upsert(c))
      .catch((e) => {
        orphans.delete(id);
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) drop(id);
        return null;
      })
      .finally(() => convInFlight.delete(id));
    convInFlight.set(id, p);
    return p;
  }

  // ---------- start / stop ----------
  async function start() {
    if (started || !me.value) return;
    started = true;
    status.value = 'loading';
    loadError.value = null;
    try {
      await loadConversations();
      status.value = 'ready';
    } catch (e) {
      started = false;
      status.value = 'error';
      loadError.value = e instanceof ApiError ? e.message : t('error.unexpected');
      return;
    }
    if (typeof WebSocket === 'undefined') return;
    socket = new RealtimeSocket({
      url: () => realtimeUrl(),
      onOpen: () => socket?.send({ op: 'resume', convs: resumeMap(streams) }),
      onFrame,
      onState: (s) => (socketState.value = s),
      onSessionEnded: () => sessionEnded(),
    });
    socket.start();
    const nudge = () => socket?.nudge();
    const onVisible = () => {
      if (document.visibilityState === 'visible') {
        nudge();
        scheduleRead();
      }
    };
    const onFocus = () => scheduleRead();
    window.addEventListener('online', nudge);
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisible);
    listeners = () => {
      window.removeEventListener('online', nudge);
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }

  function stop() {
    socket?.stop();
    socket = null;
    listeners?.();
    listeners = null;
    started = false;
    everResumed = false;
    streams.clear();
    orphans.clear();
    ackTimers.forEach(clearTimeout);
    ackTimers.clear();
    draftTimers.forEach(clearTimeout);
    draftTimers.clear();
    for (const list of Object.values(pending.value)) list.forEach((p) => p.previewUrl && URL.revokeObjectURL(p.previewUrl));
    convs.value = {};
    extras.value = {};
    members.value = {};
    pending.value = {};
    pins.value = {};
    drafts.value = {};
    for (const k of Object.keys(timelines)) delete timelines[k];
    activeId.value = null;
    status.value = 'idle';
    socketState.value = 'idle';
    useAttentionStore().reset();
  }

  async function retryStart() {
    if (started) return;
    await start();
  }

  // ---------- frames ----------
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
    // Sends that were on the wire when the connection dropped: send again with the same client_id.
    for (const list of Object.values(pending.value)) {
      for (const p of list) if (p.state === 'sending' && p.viaSocket) transmit(p);
    }
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

  function isReading(convId: string): boolean {
    if (activeId.value !== convId || typeof document === 'undefined') return false;
    return document.visibilityState === 'visible' && document.hasFocus();
  }

  const MEMBER_CODES = new Set(['member_joined', 'member_left', 'member_removed', 'owner_changed', 'admin_added', 'admin_removed']);
  const CONV_CODES = new Set(['renamed', 'settings', 'announcement', 'archived', 'dissolved', 'owner_changed', 'admin_added', 'admin_removed', 'member_joined', 'member_left', 'member_removed']);

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
      const code = e.content.code ?? '';
      if (code === 'pinned' || code === 'unpinned') {
        if (pins.value[convId]) loadPins(convId);
      }
      const target = (e.content.params as { target_seq?: number } | undefined)?.target_seq;
      if (code === 'urgent' && tl?.loaded && target != null) {
        // The sender made an earlier message urgent: it shows the mark from now on.
        tl.events = tl.events.map((x) => (x.seq === target ? { ...x, urgent: true } : x));
      }
      const aboutMe = peopleOf((e.content.params ?? {}) as Record<string, unknown>).some((p) => p.userid === me.value);
      if ((code === 'member_left' || code === 'member_removed') && aboutMe) {
        // I am out: the server follows with conv "removed"; asking for the conversation now would only 404.
        return;
      }
      if (CONV_CODES.has(code)) fetchConv(convId);
      if (MEMBER_CODES.has(code) && members.value[convId]) loadMembers(convId, true);
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

  // ---------- opening and history ----------
  function timelineOf(id: string): Timeline {
    if (!timelines[id]) timelines[id] = emptyTimeline();
    return timelines[id];
  }

  async function open(id: string, focusSeq?: number | null) {
    activeId.value = id;
    removedNotice.value = null;
    let c: Conversation | null = convs.value[id] ?? null;
    if (!c) c = await fetchConv(id);
    if (!c) return false;
    const tl = timelineOf(id);
    if (focusSeq) await jumpTo(id, focusSeq);
    else if (!tl.loaded) await loadNewest(id);
    loadMembers(id);
    if (c.kind !== 'direct') loadPins(id);
    if (c.marked_unread) updateMine(id, { marked_unread: false }).catch(() => undefined);
    scheduleRead();
    return true;
  }

  function close(id: string) {
    if (activeId.value === id) activeId.value = null;
    flushDraft(id);
  }

  async function loadNewest(id: string) {
    const tl = timelineOf(id);
    try {
      const res = await chatApi.messages(id, undefined, PAGE);
      res.items.forEach(learn);
      tl.events = mergeEvents([], res.items);
      tl.atStart = res.items.length < PAGE || (res.items[0]?.seq ?? 1) <= 1;
      tl.loaded = true;
      tl.atEnd = true;
      tl.focusSeq = null;
      tl.version += 1;
      await catchUpTail(id);
    } catch (e) {
      tl.loaded = false;
      throw e;
    }
  }

  /** After a page is loaded, fetches whatever the stream applied meanwhile so the timeline ends at `held`. */
  async function catchUpTail(id: string) {
    const tl = timelineOf(id);
    const held = streams.get(id)?.held ?? 0;
    for (let round = 0; round < 20; round++) {
      const last = tl.events[tl.events.length - 1]?.seq ?? 0;
      if (last >= held) return;
      const res = await chatApi.events(id, last, 200);
      if (!res.items.length) return;
      tl.events = mergeEvents(tl.events, res.items);
    }
  }

  async function loadOlder(id: string) {
    const tl = timelineOf(id);
    if (tl.loadingOlder || tl.atStart || !tl.loaded) return;
    const first = tl.events[0]?.seq;
    if (!first) {
      tl.atStart = true;
      return;
    }
    tl.loadingOlder = true;
    try {
      const res = await chatApi.messages(id, first, PAGE);
      res.items.forEach(learn);
      tl.events = mergeEvents(tl.events, res.items);
      if (res.items.length < PAGE || (res.items[0]?.seq ?? 1) <= 1) tl.atStart = true;
    } finally {
      tl.loadingOlder = false;
    }
  }

  /** When the timeline was opened around an older message: fetches newer events towards the present. */
  async function loadNewer(id: string) {
    const tl = timelineOf(id);
    if (tl.loadingNewer || tl.atEnd || !tl.loaded) return;
    tl.loadingNewer = true;
    try {
      const last = tl.events[tl.events.length - 1]?.seq ?? 0;
      const res = await chatApi.events(id, last, PAGE * 2);
      tl.events = mergeEvents(tl.events, res.items);
      const held = streams.get(id)?.held ?? 0;
      const newLast = tl.events[tl.events.length - 1]?.seq ?? 0;
      if (!res.items.length || newLast >= held) {
        tl.atEnd = true;
        await catchUpTail(id);
      }
    } finally {
      tl.loadingNewer = false;
    }
  }

  /** Opens the history around one message (search hit, pinned message) and highlights it. */
  async function jumpTo(id: string, seq: number) {
    const tl = timelineOf(id);
    const have = tl.loaded && tl.events.some((e) => e.seq === seq);
    if (!have) {
      const res = await chatApi.context(id, seq);
      const held = streams.get(id)?.held ?? 0;
      tl.events = mergeEvents([], res.items);
      tl.atStart = (res.items[0]?.seq ?? 1) <= 1;
      tl.atEnd = (res.items[res.items.length - 1]?.seq ?? 0) >= held;
      tl.loaded = true;
      tl.version += 1;
    }
    tl.focusSeq = seq;
  }

  async function loadMembers(id: string, force = false) {
    if (members.value[id] && !force) return;
    try {
      const res = await chatApi.members(id);
      res.items.forEach((m) => remember(m.userid, m.name));
      members.value = { ...members.value, [id]: res.items };
    } catch {
      /* receipts and @ suggestions wait for the next try */
    }
  }

  async function loadPins(id: string) {
    try {
      const res = await chatApi.pins(id);
      pins.value = { ...pins.value, [id]: res.items };
      // Keep the pinned mark on loaded messages in step with the list.
      const ids = new Set(res.items.map((e) => e.id));
      const tl = timelines[id];
      if (tl?.events.some((e) => e.kind === 'message' && !!e.pinned !== ids.has(e.id))) {
        tl.events = tl.events.map((e) => (e.kind === 'message' && !!e.pinned !== ids.has(e.id) ? { ...e, pinned: ids.has(e.id) } : e));
      }
    } catch {
      pins.value = { ...pins.value, [id]: [] };
    }
  }

  // ---------- reading ----------
  function scheduleRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      const id = activeId.value;
      if (id && isReading(id)) markRead(id);
    }, 250);
  }

  function markRead(id: string) {
    const c = convs.value[id];
    const held = streams.get(id)?.held ?? c?.last_seq ?? 0;
    if (!c || (held <= c.read_seq && !c.unread)) return;
    setConv({ ...c, read_seq: Math.max(c.read_seq, held), unread: 0 });
    if (!socket?.send({ op: 'read', conv: id, seq: held })) chatApi.read(id, held).catch(() => undefined);
  }

  // ---------- sending ----------
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
    clearTimeout(ackTimers.get(ref));
    ackTimers.delete(ref);
    if (p.previewUrl) URL.revokeObjectURL(p.previewUrl);
    setPending(convId, listValue.filter((x) => x.ref !== ref));
  }

  function failPending(ref: string, message: string) {
    const p = findPending(ref);
    if (!p) return;
    clearTimeout(ackTimers.get(ref));
    ackTimers.delete(ref);
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
    clearTimeout(ackTimers.get(p.ref));
    if (socket?.send({ op: 'send', ref: p.ref, conv: p.conv, msg: body })) {
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

  // ---------- my settings, drafts ----------
  async function updateMine(id: string, patch: MyConvPatch) {
    const c = await chatApi.updateMine(id, patch);
    if (c && c.id) upsert({ ...c });
    else if (convs.value[id]) setConv({ ...convs.value[id], ...patch } as Conversation);
  }

  function setDraft(id: string, wire: string) {
    if (drafts.value[id] === wire) return;
    drafts.value = { ...drafts.value, [id]: wire };
    clearTimeout(draftTimers.get(id));
    draftTimers.set(
      id,
      setTimeout(() => flushDraft(id), DRAFT_DELAY_MS),
    );
  }

  function flushDraft(id: string) {
    const timer = draftTimers.get(id);
    if (!timer) return;
    clearTimeout(timer);
    draftTimers.delete(id);
    const c = convs.value[id];
    const draft = drafts.value[id] ?? '';
    if (!c || (c.draft ?? '') === draft) return;
    setConv({ ...c, draft });
    chatApi.updateMine(id, { draft }).catch(() => undefined);
  }

  /** A conversation created or found by the server (start a chat, create a group). */
  function adopt(c: Conversation): Conversation {
    return upsert(c);
  }

  return {
    convs,
    extras,
    timelines,
    members,
    pending,
    pins,
    drafts,
    names,
    activeId,
    active,
    status,
    loadError,
    socketState,
    removedNotice,
    list,
    unreadTotal,
    me,
    nameOf,
    remember,
    extrasOf,
    start,
    stop,
    retryStart,
    loadConversations,
    fetchConv,
    open,
    close,
    timelineOf,
    loadNewest,
    loadOlder,
    loadNewer,
    jumpTo,
    loadMembers,
    loadPins,
    markRead,
    scheduleRead,
    pendingOf,
    sendMessage,
    sendFile,
    retry,
    discard,
    updateMine,
    setDraft,
    flushDraft,
    adopt,
    upsert,
    drop,
    /** For tests and the dev console: feeds one frame as if it came from the socket. */
    handleFrame: onFrame,
    heldSeq: (id: string) => streams.get(id)?.held ?? 0,
    /** The conversation open, visible and focused (its messages are read as they arrive), or null. */
    readingId: () => (activeId.value && isReading(activeId.value) ? activeId.value : null),
  };
});
