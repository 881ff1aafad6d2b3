/**
 * Messaging state: the conversation list, the loaded history of each opened conversation, optimistic
 * sends, members (for receipts and @mentions) and the realtime connection that keeps it all current.
 *
 * The parts share the state in state.ts: frames.ts applies the realtime stream in seq order,
 * history.ts loads what an opened conversation shows, sending.ts keeps the optimistic sends. This
 * file puts them together and holds the conversation list, names, the connection, reading and drafts.
 */
import { defineStore } from 'pinia';
import { computed } from 'vue';
import { ApiError, sessionEnded } from '@/api/client';
import { chatApi } from '@/api/chat';
import type { ChatEvent, Conversation, MyConvPatch } from '@/api/chat';
import { mentionFromServer } from '@/chat/attention';
import { sortConversations, totalUnread, type ConvExtras } from '@/chat/conversations';
import { resumeMap } from '@/chat/stream';
import { namesFromHtml } from '@/chat/mentions';
import { t } from '@/i18n';
import { RealtimeSocket, realtimeUrl, type ClientFrame } from '@/realtime/socket';
import { useAttentionStore } from '../attention';
import { useSessionStore } from '../session';
import { chatFrames } from './frames';
import { chatHistory } from './history';
import { chatSending } from './sending';
import { chatState } from './state';

export type { PendingMessage, PendingState } from '@/chat/pending';
export type { Timeline } from '@/chat/timeline';

const DRAFT_DELAY_MS = 800;

export const useChatStore = defineStore('chat', () => {
  const session = useSessionStore();
  const state = chatState();
  const { me, convs, extras, timelines, members, pending, pins, drafts, names, activeId, status, loadError, socketState, removedNotice } = state;
  const { streams, orphans } = state;

  const convInFlight = new Map<string, Promise<Conversation | null>>();
  const draftTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let socket: RealtimeSocket | null = null;
  let started = false;
  let readTimer: ReturnType<typeof setTimeout> | undefined;
  let listeners: (() => void) | null = null;

  const { timelineOf, loadNewest, loadOlder, loadNewer, jumpTo, loadMembers, loadPins } = chatHistory(state, { learn, remember });
  // `frames` is created just below; sending calls into it only once messages flow.
  const sending = chatSending(state, { send: sendFrame, ingest: (id, e) => frames.ingest(id, e) });
  const { pendingOf, sendMessage, sendFile, retry, discard } = sending;
  const frames = chatFrames(state, {
    learn,
    extrasOf,
    setConv,
    drop,
    fetchConv,
    loadConversations,
    loadNewest,
    loadMembers,
    loadPins,
    onAck: sending.onAck,
    failPending: sending.failPending,
    removePending: sending.removePending,
    resendInFlight: sending.resendInFlight,
    isReading,
    scheduleRead,
  });

  const list = computed(() => sortConversations(Object.values(convs.value)));
  const unreadTotal = computed(() => totalUnread(Object.values(convs.value)));
  const active = computed(() => (activeId.value ? (convs.value[activeId.value] ?? null) : null));

  /** Sends a frame over the socket; false when it is not open. */
  function sendFrame(f: ClientFrame): boolean {
    return socket?.send(f) ?? false;
  }

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
    frames.follow(c.id, c.last_seq);
    return next;
  }

  function setConv(c: Conversation) {
    convs.value = { ...convs.value, [c.id]: c };
  }

  function drop(id: string) {
    const { [id]: _gone, ...rest } = convs.value;
    convs.value = rest;
    frames.forgetConv(id);
    delete timelines[id];
    sending.forgetConv(id);
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
      onFrame: frames.onFrame,
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
    frames.clear();
    sending.clear();
    draftTimers.forEach(clearTimeout);
    draftTimers.clear();
    convs.value = {};
    extras.value = {};
    members.value = {};
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

  // ---------- opening ----------
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

  // ---------- reading ----------
  function isReading(convId: string): boolean {
    if (activeId.value !== convId || typeof document === 'undefined') return false;
    return document.visibilityState === 'visible' && document.hasFocus();
  }

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
    if (!sendFrame({ op: 'read', conv: id, seq: held })) chatApi.read(id, held).catch(() => undefined);
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
    handleFrame: frames.onFrame,
    heldSeq: (id: string) => streams.get(id)?.held ?? 0,
    /** The conversation open, visible and focused (its messages are read as they arrive), or null. */
    readingId: () => (activeId.value && isReading(activeId.value) ? activeId.value : null),
  };
});
