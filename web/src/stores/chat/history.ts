/**
 * What an opened conversation shows: pages of its history, merged by seq into its timeline, its
 * members (for receipts and @mentions) and its pinned messages.
 */
import { chatApi } from '@/api/chat';
import type { ChatEvent } from '@/api/chat';
import { emptyTimeline, mergeEvents, type Timeline } from '@/chat/timeline';
import type { ChatState } from './state';

const PAGE = 50;

export interface HistoryDeps {
  /** Learns names from an event: its sender and the mentions the server rendered. */
  learn(e: ChatEvent): void;
  remember(userid: string, name: string): void;
}

export function chatHistory(state: ChatState, { learn, remember }: HistoryDeps) {
  const { timelines, members, pins, streams } = state;

  function timelineOf(id: string): Timeline {
    if (!timelines[id]) timelines[id] = emptyTimeline();
    return timelines[id];
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

  return { timelineOf, loadNewest, loadOlder, loadNewer, jumpTo, loadMembers, loadPins };
}
