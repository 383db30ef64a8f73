import type { ErrorFrame, SentFrame, ServerFrame, StreamEvent } from './types';

export type ConnectionState = 'offline' | 'connecting' | 'syncing' | 'live' | 'stopped';

export interface SocketHandlers {
  // The cursor to resume from, read fresh at every connect.
  cursor(): Promise<string | null>;
  onWelcome(resumed: boolean): void;
  onResync(cursor: string): void;
  onEvent(event: StreamEvent, cursor: string): void;
  onCaughtUp(cursor: string): void;
  onSent(frame: SentFrame): void;
  onError(frame: ErrorFrame): void;
  onPresence(userId: number, online: boolean): void;
  onTyping(threadId: number, userId: number): void;
  onState(state: ConnectionState): void;
  // The session is over (an unauthenticated error): the connection stops for good.
  onUnauthenticated(message: string): void;
}

export interface SocketLike {
  readyState: number;
  onopen: ((this: any, ev: any) => any) | null;
  onmessage: ((this: any, ev: { data: unknown }) => any) | null;
  onclose: ((this: any, ev: { code: number; reason: string }) => any) | null;
  onerror: ((this: any, ev: any) => any) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

const kOpen = 1;
const kPingEveryMs = 30_000;
const kPongWithinMs = 10_000;

// Reconnect delay: exponential from about 1 s, capped near 30 s, with jitter.
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.75 + random() * 0.5));
}

// The one WebSocket of this device (docs/protocol.md section 7): sends hello with the
// stored cursor, reports frames to the handlers, and reconnects with backoff on any
// close except the end of the session. Frames are sent only after welcome.
export class SyncSocket {
  private socket: SocketLike | null = null;
  private state: ConnectionState = 'offline';
  private welcomed = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private networkUp = true;
  private stopped = false;
  private generation = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly handlers: SocketHandlers,
    private readonly factory: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike,
  ) {}

  get connectionState(): ConnectionState {
    return this.state;
  }

  get isWelcomed(): boolean {
    return this.welcomed;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  // Ends the connection for good (sign-out, session end).
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.drop();
    this.setState('stopped');
  }

  // The browser says the network is gone: close now rather than wait for a timeout,
  // and wait for setOnline before trying again.
  setOffline(): void {
    this.networkUp = false;
    this.clearTimers();
    this.drop();
    if (!this.stopped) this.setState('offline');
  }

  setOnline(): void {
    this.networkUp = true;
    if (this.stopped) return;
    this.attempt = 0;
    if (!this.socket) this.connect();
  }

  // Sends a frame if the connection is past welcome; returns whether it was sent.
  send(frame: Record<string, unknown>): boolean {
    if (!this.socket || !this.welcomed || this.socket.readyState !== kOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.handlers.onState(state);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.reconnectTimer = this.pingTimer = this.pongTimer = null;
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = null;
    this.welcomed = false;
    this.generation++;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        // Already closed.
      }
    }
  }

  private scheduleReconnect(immediately: boolean): void {
    if (this.stopped || !this.networkUp || this.reconnectTimer) return;
    const delay = immediately ? 0 : backoffDelay(this.attempt++);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private connect(): void {
    if (this.stopped || !this.networkUp) {
      if (!this.stopped) this.setState('offline');
      return;
    }
    this.drop();
    this.setState('connecting');
    const generation = this.generation;
    let socket: SocketLike;
    try {
      socket = this.factory(this.url);
    } catch {
      this.scheduleReconnect(false);
      return;
    }
    this.socket = socket;
    let resumed = false;
    socket.onopen = () => {
      void this.handlers.cursor().then((cursor) => {
        if (generation !== this.generation || socket.readyState !== kOpen) return;
        resumed = cursor !== null;
        const hello: Record<string, unknown> = { type: 'hello', token: this.token };
        if (cursor) hello.cursor = cursor;
        socket.send(JSON.stringify(hello));
      });
    };
    socket.onmessage = (message) => {
      if (generation !== this.generation) return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(message.data)) as ServerFrame;
      } catch {
        return;
      }
      this.onFrame(frame, resumed);
    };
    socket.onclose = (close) => {
      if (generation !== this.generation) return;
      this.socket = null;
      this.welcomed = false;
      this.clearTimers();
      if (this.stopped) return;
      this.setState(this.networkUp ? 'connecting' : 'offline');
      this.scheduleReconnect(close.reason.startsWith('slow consumer'));
    };
    socket.onerror = () => {
      // A close follows.
    };
  }

  private onFrame(frame: ServerFrame, resumed: boolean): void {
    switch (frame.type) {
      case 'welcome':
        this.welcomed = true;
        this.attempt = 0;
        this.setState('syncing');
        this.startPings();
        this.handlers.onWelcome(resumed);
        break;
      case 'resync':
        this.handlers.onResync(frame.cursor);
        break;
      case 'event':
        this.handlers.onEvent(frame.event, frame.cursor);
        break;
      case 'events':
        // Applied in order; the cursor covers them all (section 7.5).
        for (const event of frame.events) this.handlers.onEvent(event, frame.cursor);
        break;
      case 'caught_up':
        this.setState('live');
        this.handlers.onCaughtUp(frame.cursor);
        break;
      case 'sent':
        this.handlers.onSent(frame);
        break;
      case 'pong':
        if (this.pongTimer) clearTimeout(this.pongTimer);
        this.pongTimer = null;
        break;
      case 'error':
        if (frame.code === 'unauthenticated') {
          this.stop();
          this.handlers.onUnauthenticated(frame.message);
          return;
        }
        this.handlers.onError(frame);
        break;
      case 'presence':
        this.handlers.onPresence(frame.user_id, frame.online);
        break;
      case 'typing':
        this.handlers.onTyping(frame.thread_id, frame.user_id);
        break;
      default:
        // Unknown frame types are ignored (section 7.5).
        break;
    }
  }

  private startPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: 'ping', ref: 'keepalive' })) return;
      if (this.pongTimer) return;
      this.pongTimer = setTimeout(() => {
        // No answer: treat the connection as dead.
        this.pongTimer = null;
        const socket = this.socket;
        this.drop();
        if (socket && !this.stopped) {
          this.setState('connecting');
          this.scheduleReconnect(false);
        }
      }, kPongWithinMs);
    }, kPingEveryMs);
  }
}
