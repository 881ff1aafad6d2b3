/**
 * The realtime WebSocket (docs/api/realtime.md): one connection per tab to `/api/v1/realtime`,
 * JSON text frames, `ping` every `heartbeat_ms`, reconnect with backoff after any close.
 * It knows nothing about conversations: the chat store answers `onOpen` with `resume` and handles
 * every frame.
 */
import type { Digest, NotifyFrame } from '@/api/attention';
import type { ChatEvent } from '@/api/chat';
import { backoffDelay } from './backoff';

export type ServerFrame =
  | { t: 'hello'; member: string; heartbeat_ms?: number }
  | { t: 'event'; conv: string; seq: number; event: ChatEvent }
  | { t: 'ack'; ref: string; event: ChatEvent }
  | { t: 'nack'; ref: string; error: { code: string; message: string } }
  | { t: 'read'; conv: string; seq: number }
  | { t: 'receipt'; conv: string; userid: string; seq: number }
  | { t: 'conv'; conv: string; change: 'added' | 'updated' | 'removed' }
  | { t: 'resumed'; convs: Record<string, number> }
  | NotifyFrame
  | ({ t: 'digest' } & Digest)
  | { t: 'attention' }
  | { t: 'pong' }
  | { t: 'resync'; reason?: string };

export type ClientFrame =
  | { op: 'resume'; convs: Record<string, number> }
  | { op: 'send'; ref: string; conv: string; msg: unknown }
  | { op: 'read'; conv: string; seq: number }
  | { op: 'ping' };

export type SocketState = 'idle' | 'connecting' | 'open' | 'closed';

/** The part of the browser WebSocket this class uses (tests pass a fake). */
export interface WebSocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface SocketOptions {
  url: () => string;
  onFrame: (f: ServerFrame) => void;
  /** The connection is up (answer with `resume`). */
  onOpen: () => void;
  onState?: (s: SocketState) => void;
  /** The server closed the socket because its session ended (close code 4401): sign in again. */
  onSessionEnded?: () => void;
  create?: (url: string) => WebSocketLike;
  random?: () => number;
  now?: () => number;
}

const OPEN = 1;
export const DEFAULT_HEARTBEAT_MS = 25000;
/** Close code of a socket whose session ended (signed out, password changed, frozen, …). */
export const SESSION_ENDED_CLOSE = 4401;

/** `ws://host/api/v1/realtime` or `wss://…`, from the page's own location. */
export function realtimeUrl(loc: { protocol: string; host: string } = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/v1/realtime`;
}

export function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  try {
    const f = JSON.parse(data) as { t?: unknown };
    return f && typeof f === 'object' && typeof f.t === 'string' ? (f as ServerFrame) : null;
  } catch {
    return null;
  }
}

export class RealtimeSocket {
  private ws: WebSocketLike | null = null;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeat = DEFAULT_HEARTBEAT_MS;
  private lastHeard = 0;
  private stateValue: SocketState = 'idle';
  private readonly opts: SocketOptions;

  constructor(opts: SocketOptions) {
    this.opts = opts;
  }

  get state(): SocketState {
    return this.stateValue;
  }

  get isOpen(): boolean {
    return this.stateValue === 'open' && !!this.ws && this.ws.readyState === OPEN;
  }

  /** Number of reconnect attempts since the last successful connection. */
  get attempts(): number {
    return this.attempt;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this.setState('idle');
  }

  /** Sends a frame when the connection is open; returns false otherwise (the caller falls back to REST). */
  send(frame: ClientFrame): boolean {
    if (!this.isOpen || !this.ws) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Reconnects at once if waiting for a retry (the network came back, the tab became visible). */
  nudge(): void {
    if (this.stopped || this.stateValue === 'open' || this.stateValue === 'connecting') return;
    clearTimeout(this.reconnectTimer);
    this.connect();
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private setState(s: SocketState) {
    if (this.stateValue === s) return;
    this.stateValue = s;
    this.opts.onState?.(s);
  }

  private connect() {
    if (this.stopped) return;
    this.setState('connecting');
    let ws: WebSocketLike;
    try {
      const url = this.opts.url();
      ws = this.opts.create ? this.opts.create(url) : (new WebSocket(url) as unknown as WebSocketLike);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.lastHeard = this.now();
      this.setState('open');
      this.startHeartbeat();
      this.opts.onOpen();
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      this.lastHeard = this.now();
      const f = parseFrame(m.data);
      if (!f) return;
      if (f.t === 'hello') {
        this.attempt = 0;
        if (f.heartbeat_ms && f.heartbeat_ms > 0) {
          this.heartbeat = f.heartbeat_ms;
          this.startHeartbeat();
        }
      }
      if (f.t === 'resync') {
        // The server will close this connection; resume on a new one straight away.
        this.attempt = 0;
        this.drop();
      }
      this.opts.onFrame(f);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.setState('closed');
      if ((ev as { code?: number } | null)?.code === SESSION_ENDED_CLOSE) {
        // Reconnecting with an ended session is refused: stay down until signed in again.
        this.stopped = true;
        this.opts.onSessionEnded?.();
        return;
      }
      this.scheduleReconnect();
    };
  }

  /** Closes the current connection and schedules a reconnect. */
  private drop() {
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(4000, 'reconnect');
      } catch {
        /* ignore */
      }
    }
    this.setState('closed');
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    const delay = backoffDelay(this.attempt, this.opts.random);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private startHeartbeat() {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => {
      if (!this.ws) return;
      // Silent for three intervals: the connection is dead even if the browser has not noticed.
      if (this.now() - this.lastHeard > this.heartbeat * 3) {
        this.drop();
        return;
      }
      this.send({ op: 'ping' });
    }, this.heartbeat);
  }

  private stopHeartbeat() {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }
}
