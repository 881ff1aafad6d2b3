import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import type { ChatEvent } from '@/api/chat';
import { conv, ev, member } from './chatFixtures';

const api = vi.hoisted(() => ({
  conversations: vi.fn(),
  conversation: vi.fn(),
  events: vi.fn(),
  messages: vi.fn(),
  members: vi.fn(),
  pins: vi.fn(),
  send: vi.fn(),
  read: vi.fn(),
  updateMine: vi.fn(),
}));
vi.mock('@/api/chat', () => ({ chatApi: api }));

import { useChatStore } from '@/stores/chat';
import { useSessionStore } from '@/stores/session';

const flush = () => new Promise((r) => setTimeout(r, 0));
const mine = { kind: 'member' as const, userid: 'me', name: '我' };

async function ready(held = 4) {
  setActivePinia(createPinia());
  const session = useSessionStore();
  session.me = { user: { userid: 'me', name: '我' } } as never;
  api.conversations.mockResolvedValue({ items: [conv({ id: 'c1', last_seq: held, read_seq: held })] });
  api.events.mockResolvedValue({ items: [], last_seq: held });
  api.messages.mockResolvedValue({ items: [] });
  api.members.mockResolvedValue({ items: [member('me', held), member('lisi', held)] });
  api.pins.mockResolvedValue({ items: [] });
  api.read.mockResolvedValue(undefined);
  api.updateMine.mockResolvedValue(undefined);
  const chat = useChatStore();
  await chat.start();
  return chat;
}
const frame = (seq: number, over: Partial<ChatEvent> = {}) => ({ t: 'event' as const, conv: 'c1', seq, event: ev(seq, over) });

beforeEach(() => {
  Object.values(api).forEach((f) => f.mockReset());
});

describe('chat store: applying the stream', () => {
  it('applies events in order exactly once', async () => {
    const chat = await ready(4);
    chat.handleFrame(frame(5));
    chat.handleFrame(frame(5));
    chat.handleFrame(frame(4));
    chat.handleFrame(frame(6));
    expect(chat.convs.c1).toMatchObject({ unread: 2, last_seq: 6 });
    expect(chat.heldSeq('c1')).toBe(6);
    expect(api.events).not.toHaveBeenCalled();
  });

  it('fetches a gap with events?after=held before applying later events', async () => {
    const chat = await ready(4);
    api.events.mockResolvedValueOnce({ items: [ev(5), ev(6)], last_seq: 7 });
    chat.handleFrame(frame(7));
    expect(chat.convs.c1.unread).toBe(0); // 7 waits behind the hole
    await flush();
    expect(api.events).toHaveBeenCalledWith('c1', 4, 200);
    expect(chat.heldSeq('c1')).toBe(7);
    expect(chat.convs.c1).toMatchObject({ unread: 3, last_seq: 7 });
    expect(chat.convs.c1.last_event?.seq).toBe(7);
  });

  it('orders out-of-order frames, and the gap page that arrives later is not applied twice', async () => {
    const chat = await ready(0);
    let release!: (v: unknown) => void;
    api.events.mockReturnValueOnce(new Promise((r) => (release = r)));
    chat.handleFrame(frame(2));
    chat.handleFrame(frame(1));
    expect(chat.heldSeq('c1')).toBe(2);
    release({ items: [ev(1), ev(2)], last_seq: 2 });
    await flush();
    expect(chat.convs.c1.unread).toBe(2);
  });

  it('appends live events to an open timeline and merges a page read meanwhile', async () => {
    const chat = await ready(2);
    api.messages.mockResolvedValueOnce({ items: [ev(1), ev(2)] });
    await chat.open('c1');
    chat.handleFrame(frame(3));
    expect(chat.timelines.c1.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('catches the timeline up when the stream moved on while the page loaded', async () => {
    const chat = await ready(2);
    let release!: (v: unknown) => void;
    api.messages.mockReturnValueOnce(new Promise((r) => (release = r)));
    const opening = chat.open('c1');
    chat.handleFrame(frame(3));
    api.events.mockResolvedValueOnce({ items: [ev(3)], last_seq: 3 });
    release({ items: [ev(1), ev(2)] });
    await opening;
    expect(chat.timelines.c1.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('reads and receipts', async () => {
    const chat = await ready(4);
    chat.handleFrame(frame(5));
    chat.handleFrame(frame(6));
    chat.handleFrame({ t: 'read', conv: 'c1', seq: 6 });
    expect(chat.convs.c1).toMatchObject({ unread: 0, read_seq: 6 });
    await chat.loadMembers('c1');
    chat.handleFrame({ t: 'receipt', conv: 'c1', userid: 'lisi', seq: 6 });
    expect(chat.members.c1.find((m) => m.userid === 'lisi')?.read_seq).toBe(6);
  });

  it('drops a conversation on conv removed and refetches on updated', async () => {
    const chat = await ready(1);
    api.conversation.mockResolvedValueOnce(conv({ id: 'c1', name: '新名字', last_seq: 1 }));
    chat.handleFrame({ t: 'conv', conv: 'c1', change: 'updated' });
    await flush();
    expect(chat.convs.c1.name).toBe('新名字');
    chat.handleFrame({ t: 'conv', conv: 'c1', change: 'removed' });
    expect(chat.convs.c1).toBeUndefined();
  });

  it('does not count twice an event that a refetched conversation already includes', async () => {
    const chat = await ready(4);
    api.conversation.mockResolvedValueOnce(conv({ id: 'c1', last_seq: 5, read_seq: 4, unread: 1, last_event: ev(5) }));
    chat.handleFrame({ t: 'conv', conv: 'c1', change: 'updated' });
    await flush();
    chat.handleFrame(frame(5));
    expect(chat.convs.c1.unread).toBe(1);
    chat.handleFrame(frame(6));
    expect(chat.convs.c1.unread).toBe(2);
  });

  it('shows a draft saved on another device, but not over the one being typed', async () => {
    const chat = await ready(1);
    api.conversation.mockResolvedValueOnce(conv({ id: 'c1', last_seq: 1, draft: '来自手机' }));
    chat.handleFrame({ t: 'conv', conv: 'c1', change: 'updated' });
    await flush();
    expect(chat.drafts.c1).toBe('来自手机');
    api.messages.mockResolvedValueOnce({ items: [] });
    await chat.open('c1');
    chat.setDraft('c1', '正在输入');
    api.conversation.mockResolvedValueOnce(conv({ id: 'c1', last_seq: 1, draft: '别的' }));
    chat.handleFrame({ t: 'conv', conv: 'c1', change: 'updated' });
    await flush();
    expect(chat.drafts.c1).toBe('正在输入');
  });

  it('shows the @me marker after a reload from the server flag, whichever unread message mentioned me', async () => {
    setActivePinia(createPinia());
    useSessionStore().me = { user: { userid: 'me', name: '我' } } as never;
    api.conversations.mockResolvedValue({
      items: [
        conv({ id: 'c1', last_seq: 3, read_seq: 1, unread: 2, last_event: ev(3), mentioned: true }),
        conv({ id: 'c2', last_seq: 5, read_seq: 4, unread: 1, last_event: ev(5, { conv: 'c2', mention_all: true }), mentioned: true, mentioned_all: true }),
        conv({ id: 'c3', last_seq: 2, read_seq: 1, unread: 1, last_event: ev(2, { conv: 'c3', mentions: ['me'], recalled: true }), mentioned: false }),
      ],
    });
    const chat = useChatStore();
    await chat.start();
    expect(chat.extras.c1).toEqual({ mentionSeq: 3, mentionAll: false });
    expect(chat.extras.c2).toEqual({ mentionSeq: 5, mentionAll: true });
    expect(chat.extras.c3).toEqual({ mentionSeq: 0, mentionAll: false });
  });

  it('learns about a new conversation from its first event, then applies later ones', async () => {
    const chat = await ready(1);
    api.conversation.mockResolvedValueOnce(conv({ id: 'c2', last_seq: 1, unread: 1 }));
    chat.handleFrame({ t: 'event', conv: 'c2', seq: 1, event: ev(1, { conv: 'c2' }) });
    await flush();
    expect(chat.convs.c2).toMatchObject({ unread: 1 });
    chat.handleFrame({ t: 'event', conv: 'c2', seq: 2, event: ev(2, { conv: 'c2' }) });
    expect(chat.convs.c2).toMatchObject({ unread: 2, last_seq: 2 });
  });

  it('after a reconnect, resumed reloads the list and catches up what the server holds', async () => {
    const chat = await ready(4);
    chat.handleFrame({ t: 'resumed', convs: { c1: 4 } });
    expect(api.conversations).toHaveBeenCalledTimes(1);
    api.events.mockResolvedValueOnce({ items: [ev(5)], last_seq: 5 });
    chat.handleFrame({ t: 'resumed', convs: { c1: 5 } });
    await flush();
    expect(api.conversations).toHaveBeenCalledTimes(2);
    expect(api.events).toHaveBeenCalledWith('c1', 4, 200);
    expect(chat.heldSeq('c1')).toBe(5);
  });
});

describe('chat store: optimistic sends', () => {
  it('shows a pending message and replaces it with the stored event', async () => {
    const chat = await ready(4);
    api.messages.mockResolvedValueOnce({ items: [ev(4)] });
    await chat.open('c1');
    let resolve!: (e: ChatEvent) => void;
    api.send.mockReturnValueOnce(new Promise((r) => (resolve = r)));
    const ref = chat.sendMessage('c1', { type: 'text', text: 'hi' }, 'hi');
    expect(chat.pendingOf('c1')).toMatchObject([{ ref, state: 'sending' }]);
    expect(api.send.mock.calls[0][1]).toMatchObject({ type: 'text', text: 'hi', client_id: ref });
    resolve(ev(5, { sender: mine, client_id: ref, content: { text: 'hi' } }));
    await flush();
    expect(chat.pendingOf('c1')).toEqual([]);
    expect(chat.timelines.c1.events.map((e) => e.seq)).toEqual([4, 5]);
    // The live copy of the same event is not applied twice.
    chat.handleFrame(frame(5, { sender: mine, client_id: ref }));
    expect(chat.timelines.c1.events).toHaveLength(2);
    expect(chat.convs.c1).toMatchObject({ unread: 0, last_seq: 5 });
  });

  it('a nack marks the message failed with the reason; retry sends it again with the same client_id', async () => {
    const chat = await ready(4);
    api.send.mockReturnValue(new Promise(() => undefined));
    const ref = chat.sendMessage('c1', { type: 'text', text: 'x' });
    chat.handleFrame({ t: 'nack', ref, error: { code: 'muted', message: '全员禁言中' } });
    expect(chat.pendingOf('c1')[0]).toMatchObject({ state: 'failed', error: '全员禁言中' });
    chat.retry(ref);
    expect(chat.pendingOf('c1')[0].state).toBe('sending');
    expect(api.send).toHaveBeenCalledTimes(2);
    expect(api.send.mock.calls[1][1].client_id).toBe(ref);
    chat.discard(ref);
    expect(chat.pendingOf('c1')).toEqual([]);
  });

  it('an event carrying the client_id clears the pending copy even without an ack', async () => {
    const chat = await ready(4);
    api.send.mockReturnValue(new Promise(() => undefined));
    const ref = chat.sendMessage('c1', { type: 'text', text: 'y' });
    chat.handleFrame(frame(5, { sender: mine, client_id: ref }));
    expect(chat.pendingOf('c1')).toEqual([]);
  });
});

describe('chat store: retried sends over the socket keep their client_id', () => {
  class FakeWs {
    static all: FakeWs[] = [];
    readyState = 0;
    sent: string[] = [];
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: unknown) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    constructor(public url: string) {
      FakeWs.all.push(this);
    }
    send(data: string) {
      this.sent.push(data);
    }
    close() {
      this.readyState = 3;
    }
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    frame(f: unknown) {
      this.onmessage?.({ data: JSON.stringify(f) });
    }
    drop() {
      this.readyState = 3;
      this.onclose?.({});
    }
    sends() {
      return this.sent.map((s) => JSON.parse(s)).filter((f) => f.op === 'send');
    }
  }
  const noop = () => undefined;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeWs.all = [];
    vi.stubGlobal('WebSocket', FakeWs);
    vi.stubGlobal('window', { location: { protocol: 'http:', host: 'qixie.test' }, addEventListener: noop, removeEventListener: noop });
    vi.stubGlobal('document', { visibilityState: 'hidden', hasFocus: () => false, addEventListener: noop, removeEventListener: noop });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  async function connected() {
    const chat = await ready(4);
    const ws = FakeWs.all[0];
    ws.open();
    ws.frame({ t: 'hello', member: 'me', heartbeat_ms: 25000 });
    ws.frame({ t: 'resumed', convs: { c1: 4 } });
    return { chat, ws };
  }

  it('a send whose connection dropped before the ack goes again with the same client_id after the resume', async () => {
    const { chat, ws } = await connected();
    const ref = chat.sendMessage('c1', { type: 'text', text: 'hi' });
    expect(ws.sends()).toMatchObject([{ op: 'send', ref, conv: 'c1', msg: { type: 'text', text: 'hi', client_id: ref } }]);
    expect(api.send).not.toHaveBeenCalled();
    ws.drop();
    await vi.advanceTimersByTimeAsync(1000);
    const again = FakeWs.all[1];
    expect(again).toBeDefined();
    again.open();
    expect(again.sends()).toEqual([]);
    again.frame({ t: 'resumed', convs: { c1: 4 } });
    expect(again.sends()).toMatchObject([{ op: 'send', ref, msg: { client_id: ref } }]);
    // The server answers a repeat with the event it stored the first time.
    again.frame({ t: 'ack', ref, event: ev(5, { sender: mine, client_id: ref, content: { text: 'hi' } }) });
    expect(chat.pendingOf('c1')).toEqual([]);
    expect(chat.heldSeq('c1')).toBe(5);
  });

  it('an ack that never comes marks the send failed; retry sends it again with the same client_id', async () => {
    const { chat, ws } = await connected();
    const ref = chat.sendMessage('c1', { type: 'text', text: 'slow' });
    await vi.advanceTimersByTimeAsync(15001);
    expect(chat.pendingOf('c1')[0]).toMatchObject({ ref, state: 'failed' });
    chat.retry(ref);
    expect(chat.pendingOf('c1')[0].state).toBe('sending');
    const sends = ws.sends();
    expect(sends).toHaveLength(2);
    expect(sends[1]).toMatchObject({ ref, msg: { client_id: ref } });
    // Meanwhile the first attempt had been stored: its event clears the pending copy.
    ws.frame({ t: 'event', conv: 'c1', seq: 5, event: ev(5, { sender: mine, client_id: ref }) });
    expect(chat.pendingOf('c1')).toEqual([]);
  });
});
