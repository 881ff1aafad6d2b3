import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RealtimeSocket, parseFrame, realtimeUrl, type ServerFrame, type WebSocketLike } from '@/realtime/socket';

class FakeWs implements WebSocketLike {
  static all: FakeWs[] = [];
  readyState = 0;
  sent: string[] = [];
  closed = false;
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
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code?: number) {
    this.readyState = 3;
    this.onclose?.(code === undefined ? {} : { code });
  }
  ops() {
    return this.sent.map((s) => JSON.parse(s).op);
  }
}

function make() {
  const frames: ServerFrame[] = [];
  const opened: number[] = [];
  const sock = new RealtimeSocket({
    url: () => 'ws://x/api/v1/realtime',
    create: (url) => new FakeWs(url),
    onFrame: (f) => frames.push(f),
    onOpen: () => {
      opened.push(1);
      sock.send({ op: 'resume', convs: { c1: 4 } });
    },
    random: () => 0,
  });
  return { sock, frames, opened };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWs.all = [];
});
afterEach(() => vi.useRealTimers());

describe('realtime socket', () => {
  it('builds the URL from the page location', () => {
    expect(realtimeUrl({ protocol: 'https:', host: 'qx.example.com' })).toBe('wss://qx.example.com/api/v1/realtime');
    expect(realtimeUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/realtime');
  });

  it('parses only JSON frames with a type', () => {
    expect(parseFrame('{"t":"pong"}')).toEqual({ t: 'pong' });
    expect(parseFrame('nope')).toBeNull();
    expect(parseFrame('{"x":1}')).toBeNull();
    expect(parseFrame(new ArrayBuffer(2))).toBeNull();
  });

  it('resumes on open, hands frames over and pings every heartbeat_ms', () => {
    const { sock, frames } = make();
    sock.start();
    const ws = FakeWs.all[0];
    expect(sock.send({ op: 'ping' })).toBe(false); // not open yet
    ws.open();
    expect(ws.ops()).toEqual(['resume']);
    ws.frame({ t: 'hello', member: 'me', heartbeat_ms: 1000 });
    ws.frame({ t: 'event', conv: 'c1', seq: 5, event: {} });
    expect(frames.map((f) => f.t)).toEqual(['hello', 'event']);
    vi.advanceTimersByTime(1000);
    ws.frame({ t: 'pong' });
    vi.advanceTimersByTime(1000);
    expect(ws.ops()).toEqual(['resume', 'ping', 'ping']);
    sock.stop();
  });

  it('reconnects with growing delays after drops and resumes each time', () => {
    const { sock, opened } = make();
    sock.start();
    FakeWs.all[0].open();
    FakeWs.all[0].drop();
    expect(sock.state).toBe('closed');
    vi.advanceTimersByTime(499);
    expect(FakeWs.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWs.all).toHaveLength(2);
    FakeWs.all[1].drop(); // fails before opening
    vi.advanceTimersByTime(999);
    expect(FakeWs.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeWs.all).toHaveLength(3);
    FakeWs.all[2].open();
    FakeWs.all[2].frame({ t: 'hello', member: 'me' });
    expect(opened).toHaveLength(2);
    expect(FakeWs.all[2].ops()).toEqual(['resume']);
    expect(sock.attempts).toBe(0);
    sock.stop();
  });

  it('stays down and says so when the server closes it because the session ended', () => {
    let ended = 0;
    const sock = new RealtimeSocket({
      url: () => 'ws://x/api/v1/realtime',
      create: (url) => new FakeWs(url),
      onFrame: () => {},
      onOpen: () => {},
      onSessionEnded: () => (ended += 1),
      random: () => 0,
    });
    sock.start();
    FakeWs.all[0].open();
    FakeWs.all[0].drop(4401);
    expect(ended).toBe(1);
    expect(sock.state).toBe('closed');
    vi.advanceTimersByTime(60_000);
    expect(FakeWs.all).toHaveLength(1);
    // Any other close still reconnects.
    sock.stop();
    sock.start();
    FakeWs.all[1].open();
    FakeWs.all[1].drop(1006);
    vi.advanceTimersByTime(500);
    expect(FakeWs.all).toHaveLength(3);
    expect(ended).toBe(1);
    sock.stop();
  });

  it('on resync closes and reconnects at once', () => {
    const { sock } = make();
    sock.start();
    FakeWs.all[0].open();
    FakeWs.all[0].frame({ t: 'resync', reason: 'slow' });
    expect(FakeWs.all[0].closed).toBe(true);
    vi.advanceTimersByTime(500);
    expect(FakeWs.all).toHaveLength(2);
    sock.stop();
  });

  it('drops a connection that has been silent for three heartbeats', () => {
    const { sock } = make();
    sock.start();
    const ws = FakeWs.all[0];
    ws.open();
    ws.frame({ t: 'hello', member: 'me', heartbeat_ms: 1000 });
    vi.setSystemTime(Date.now() + 3500);
    vi.advanceTimersByTime(1000);
    expect(ws.closed).toBe(true);
    expect(sock.state).toBe('closed');
    sock.stop();
  });

  it('stays down after stop, and nudge reconnects at once while waiting', () => {
    const { sock } = make();
    sock.start();
    FakeWs.all[0].open();
    FakeWs.all[0].drop();
    sock.nudge();
    expect(FakeWs.all).toHaveLength(2);
    sock.stop();
    FakeWs.all[1].drop();
    vi.advanceTimersByTime(60000);
    expect(FakeWs.all).toHaveLength(2);
  });
});
