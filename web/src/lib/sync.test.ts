import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { MemoryStore } from './db';
import { ApiError, type Api } from './http';
import { backoffDelay, type SocketLike } from './socket';
import { summarize, summaryLabel } from './status';
import { AppStore } from './store';
import type { Held, HistoryPage, MessageEvent, Thread, User } from './types';

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  ofType(type: string) {
    return this.sent.filter((f) => f.type === type);
  }
}

const self: User = { id: 2, username: 'dr.patel', display_name: 'Dr. Nina Patel', title: '', is_admin: false, online: true };
const okafor: User = { id: 3, username: 'dr.okafor', display_name: 'Dr. Emeka Okafor', title: '', is_admin: false, online: false };

function message(id: number, seq: number, sender: number, clientId = `x-${id}`, urgent = false): MessageEvent {
  return { id, kind: 'message', thread_id: 4, at: `2025-06-02T14:00:${String(seq).padStart(2, '0')}Z`, seq, sender_id: sender, client_id: clientId, urgent, body: `m${seq}` };
}

function thread(lastSeq: number, readSeq: number, unread: number): Thread {
  return {
    id: 4, kind: 'direct', title: '', member_ids: [2, 3], patient: null, created_at: '2025-06-02T13:00:00Z',
    last_seq: lastSeq, read_seq: readSeq, unread_count: unread, has_unread_urgent: false,
    last_message: lastSeq > 0 ? message(100 + lastSeq, lastSeq, 3) : null,
  };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

let local: MemoryStore;
let threadsAnswer: Thread[];
let api: Api;

function makeStore(): AppStore {
  api = {
    users: vi.fn(async () => [self, okafor]),
    threads: vi.fn(async () => threadsAnswer),
    thread: vi.fn(async () => threadsAnswer[0]),
    history: vi.fn(async () => ({ messages: [], receipts: { read: [], delivered: [] } })),
    messageStatus: vi.fn(async (id: number) => ({ message_id: id, recipients: [] })),
    roles: vi.fn(async () => []),
    threadHeld: vi.fn(async () => []),
    withdrawHeld: vi.fn(),
    screening: vi.fn(async () => []),
    handoffs: vi.fn(async () => []),
    acceptHandoff: vi.fn(),
    decideScreening: vi.fn(),
  } as unknown as Api;
  return new AppStore(self, {
    api, token: 'tok', local, socketUrl: 'wss://x/api/v1/ws',
    socketFactory: (url) => new FakeSocket(url), onSessionEnded: () => undefined, isVisible: () => true,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  local = new MemoryStore();
  threadsAnswer = [thread(5, 3, 2)];
});

afterEach(() => {
  vi.useRealTimers();
});

function welcome(socket: FakeSocket): void {
  socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
}

function sentIds(socket: FakeSocket): unknown[] {
  return socket.ofType('send').map((f) => f.client_id);
}

function sentFrame(clientId: string, threadId: number, messageId: number, seq: number) {
  return { type: 'sent', client_id: clientId, message_id: messageId, thread_id: threadId, seq, at: `2025-06-02T14:01:${String(seq).padStart(2, '0')}Z`, duplicate: false };
}

async function connect(_store: AppStore, resumeCursor: string | null = null): Promise<FakeSocket> {
  if (resumeCursor) await local.setCursor(2, resumeCursor);
  const socket = FakeSocket.all[FakeSocket.all.length - 1];
  socket.open();
  await flush();
  return socket;
}

// A started store whose socket is open and welcomed (no cursor).
async function liveStore(): Promise<{ store: AppStore; socket: FakeSocket }> {
  const store = makeStore();
  await store.start();
  const socket = await connect(store);
  welcome(socket);
  await flush();
  return { store, socket };
}

describe('sync', () => {
  test('hello carries the stored cursor; nothing is sent before welcome', async () => {
    await local.setCursor(2, 'db.40');
    const store = makeStore();
    await store.start();
    const socket = await connect(store);
    expect(socket.sent).toEqual([{ type: 'hello', token: 'tok', cursor: 'db.40' }]);
    await store.send(4, 'early', false);
    expect(socket.ofType('send')).toEqual([]);
    socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
    await flush();
    expect(socket.ofType('send')).toHaveLength(1);
    store.stop();
  });

  test('events replayed during the snapshot load are applied once and not counted twice', async () => {
    const store = makeStore();
    await store.start();
    const socket = await connect(store);
    socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
    // These arrive while GET /threads is in flight: seq 5 is already in the snapshot.
    socket.frame({ type: 'event', cursor: 'db.105', event: message(105, 5, 3) });
    socket.frame({ type: 'event', cursor: 'db.106', event: message(106, 6, 3) });
    socket.frame({ type: 'event', cursor: 'db.106', event: message(106, 6, 3) });
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    const state = store.threads.get(4)!;
    expect(state.messages.map((m) => m.seq)).toEqual([5, 6]);
    expect(state.thread.unread_count).toBe(3);
    expect(state.thread.last_seq).toBe(6);
    expect(await local.getCursor(2)).toBe('db.110');
    vi.advanceTimersByTime(100);
    const acked = socket.ofType('ack').flatMap((f) => f.message_ids as number[]);
    expect(new Set(acked)).toEqual(new Set([105, 106]));
    store.stop();
  });

  test('an own message coming back as an event confirms the outbox entry: one copy', async () => {
    const store = makeStore();
    await store.start();
    const socket = await connect(store);
    socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    const entry = await store.send(4, 'hello', false);
    socket.frame({ type: 'event', cursor: 'db.111', event: { ...message(111, 6, 2, entry.clientId), body: 'hello' } });
    socket.frame({ type: 'sent', client_id: entry.clientId, message_id: 111, thread_id: 4, seq: 6, at: '', duplicate: false });
    await flush();
    const state = store.threads.get(4)!;
    expect(state.messages.filter((m) => m.client_id === entry.clientId)).toHaveLength(1);
    expect(store.outbox.all()).toEqual([]);
    expect(await local.outboxAll(2)).toEqual([]);
    store.stop();
  });

  test('after a lost connection the outbox is resent with the same client_id, from the stored cursor', async () => {
    const store = makeStore();
    await store.start();
    let socket = await connect(store);
    socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    store.setNetwork(false);
    expect(store.connection).toBe('offline');
    const entry = await store.send(4, 'offline text', true);
    expect(socket.ofType('send')).toEqual([]);
    store.setNetwork(true);
    socket = await connect(store);
    expect(socket.sent[0]).toEqual({ type: 'hello', token: 'tok', cursor: 'db.110' });
    socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
    await flush();
    expect(socket.ofType('send')).toEqual([{ type: 'send', thread_id: 4, client_id: entry.clientId, body: 'offline text', urgent: true }]);
    // Resumed with a cursor: no reload of the thread list.
    expect(api.threads).toHaveBeenCalledTimes(1);
    // The answer may say duplicate:true after a resend; either way the entry is done.
    socket.frame({ type: 'sent', client_id: entry.clientId, message_id: 120, thread_id: 4, seq: 6, at: '', duplicate: true });
    await flush();
    expect(store.outbox.all()).toEqual([]);
    expect(store.threads.get(4)!.messages.filter((m) => m.id === 120)).toHaveLength(1);
    store.stop();
  });

  test('a retryable send error resends later; a permanent one marks the entry failed', async () => {
    const { store, socket } = await liveStore();
    const busy = await store.send(4, 'a', false);
    const bad = await store.send(4, 'b', false);
    expect(sentIds(socket)).toEqual([busy.clientId]);
    socket.frame({ type: 'error', code: 'unavailable', message: 'the server is busy: retry shortly', ref: busy.clientId });
    await flush();
    vi.advanceTimersByTime(1500);
    expect(sentIds(socket)).toEqual([busy.clientId, busy.clientId]);
    socket.frame(sentFrame(busy.clientId, 4, 200, 6));
    await flush();
    expect(sentIds(socket)).toEqual([busy.clientId, busy.clientId, bad.clientId]);
    socket.frame({ type: 'error', code: 'invalid_argument', message: 'the message is empty', ref: bad.clientId });
    await flush();
    expect(store.outbox.all().find((e) => e.clientId === bad.clientId)?.failed).toBe('the message is empty');
    vi.advanceTimersByTime(20_000);
    expect(sentIds(socket)).toHaveLength(3);
    store.stop();
  });

  test('a retryable error on the first of three messages in a thread holds the others: sent in order 1, 2, 3', async () => {
    const { store, socket } = await liveStore();
    const one = await store.send(4, 'one', false);
    const two = await store.send(4, 'two', false);
    const three = await store.send(4, 'three', false);
    // Only the first is handed to the server while it is unconfirmed.
    expect(sentIds(socket)).toEqual([one.clientId]);
    socket.frame({ type: 'error', code: 'resource_exhausted', message: 'sending too fast: slow down and retry', ref: one.clientId });
    await flush();
    expect(sentIds(socket)).toEqual([one.clientId]);
    vi.advanceTimersByTime(999);
    expect(sentIds(socket)).toEqual([one.clientId]);
    vi.advanceTimersByTime(600);
    // The same message (same client_id) is retried; two and three still wait.
    expect(sentIds(socket)).toEqual([one.clientId, one.clientId]);
    vi.advanceTimersByTime(20_000);
    expect(sentIds(socket)).toEqual([one.clientId, one.clientId]);
    socket.frame(sentFrame(one.clientId, 4, 201, 6));
    await flush();
    expect(sentIds(socket)).toEqual([one.clientId, one.clientId, two.clientId]);
    // The own event confirms as well as `sent`; the later `sent` changes nothing.
    socket.frame({ type: 'event', cursor: 'db.202', event: { ...message(202, 7, 2, two.clientId), body: 'two' } });
    await flush();
    expect(sentIds(socket)).toEqual([one.clientId, one.clientId, two.clientId, three.clientId]);
    socket.frame(sentFrame(two.clientId, 4, 202, 7));
    socket.frame(sentFrame(three.clientId, 4, 203, 8));
    await flush();
    const order = socket.ofType('send').map((f) => f.body);
    expect(order.filter((b, i) => order.indexOf(b) === i)).toEqual(['one', 'two', 'three']);
    expect(sentIds(socket)).toHaveLength(4);
    expect(store.outbox.all()).toEqual([]);
    expect(store.threads.get(4)!.messages.filter((m) => m.sender_id === 2).map((m) => m.body)).toEqual(['one', 'two', 'three']);
    store.stop();
  });

  test('a permanent error on the first message marks it failed and lets the second go', async () => {
    const { store, socket } = await liveStore();
    const one = await store.send(4, 'one', false);
    const two = await store.send(4, 'two', false);
    expect(sentIds(socket)).toEqual([one.clientId]);
    socket.frame({ type: 'error', code: 'permission_denied', message: 'you are not a member of this thread', ref: one.clientId });
    await flush();
    expect(store.outbox.all().find((e) => e.clientId === one.clientId)?.failed).toBe('you are not a member of this thread');
    expect(sentIds(socket)).toEqual([one.clientId, two.clientId]);
    socket.frame(sentFrame(two.clientId, 4, 210, 6));
    await flush();
    expect(store.outbox.all().map((e) => e.clientId)).toEqual([one.clientId]);
    // The user's retry puts the failed message back in line.
    await store.retrySend(one.clientId);
    expect(sentIds(socket)).toEqual([one.clientId, two.clientId, one.clientId]);
    store.stop();
  });

  test('removed from a thread with a message queued: the thread stays with the notice, the send fails with the removal as its reason', async () => {
    const { store, socket } = await liveStore();
    store.setNetwork(false);
    const entry = await store.send(4, 'queued', false);
    store.setNetwork(true);
    const again = await connect(store, 'db.100');
    welcome(again);
    // The stream brings the removal before the server answers the resend.
    again.frame({ type: 'event', cursor: 'db.101', event: { id: 101, kind: 'member_removed', thread_id: 4, at: '', user_id: 2, by_user_id: 3 } });
    await flush();
    expect(store.threads.get(4)?.removed).toBe(true);
    expect(sentIds(again)).toEqual([entry.clientId]);
    // GET /threads no longer lists it either.
    threadsAnswer = [];
    again.frame({ type: 'error', code: 'permission_denied', message: 'you are not a member of this thread', ref: entry.clientId });
    await flush();
    expect(store.threads.has(4)).toBe(true);
    const notice = store.removalNotice(store.threads.get(4)!);
    expect(notice).toMatch(/^You were removed from .* by Dr. Emeka Okafor\.$/);
    expect(store.outbox.forThread(4).map((e) => e.failed)).toEqual([notice]);
    // Discarded, the thread stays read-only with its notice until the next full load.
    await store.discardSend(entry.clientId);
    expect(store.outbox.forThread(4)).toEqual([]);
    expect(store.threads.get(4)?.removedBy).toBe(3);
    expect(socket).not.toBe(again);
    store.stop();
  });

  test('a snapshot without a thread that holds queued messages keeps the thread, marked removed', async () => {
    await local.outboxPut({ clientId: 'c-9', userId: 2, threadId: 9, body: 'to a thread I left', urgent: false, order: 1, createdAt: '2025-06-02T13:00:00Z', failed: null });
    const { store } = await liveStore();
    expect(store.threads.get(9)?.removed).toBe(true);
    expect(store.threadList().map((s) => s.thread.id).sort()).toEqual([4, 9]);
    store.stop();
  });

  test('an offline start shows the cached threads and messages; the snapshot replaces them', async () => {
    const first = (await liveStore()).store;
    await first.openThread(4);
    first.threads.get(4)!.messages.push(message(99, 4, 3));
    first.emit();
    await flush();
    vi.advanceTimersByTime(1500);
    await flush();
    first.stop();
    expect(await local.cacheGet('threads')).not.toBeNull();

    const store = makeStore();
    store.setNetwork(false);
    await store.start();
    expect(store.ready).toBe(true);
    expect(store.fromCache).toBe(true);
    expect(store.connection).toBe('offline');
    expect(store.threads.get(4)!.messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(store.presence(3)).toBe('unknown');
    store.setNetwork(true);
    welcome(await connect(store));
    await flush();
    expect(store.fromCache).toBe(false);
    store.stop();
  });

  test('presence is unknown while not connected, known again after the welcome', async () => {
    const { store, socket } = await liveStore();
    expect(store.presence(3)).toBe('offline');
    socket.frame({ type: 'presence', user_id: 3, online: true });
    expect(store.presence(3)).toBe('online');
    socket.drop();
    expect(store.presence(3)).toBe('unknown');
    vi.advanceTimersByTime(2000);
    const again = await connect(store);
    welcome(again);
    expect(store.presence(3)).toBe('unknown');
    // Known again from the fresh directory answer (which has Dr. Okafor offline now).
    await flush();
    expect(store.presence(3)).toBe('offline');
    store.stop();
  });

  test('threads progress independently: a held thread does not hold another', async () => {
    const { store, socket } = await liveStore();
    const a1 = await store.send(4, 'a1', false);
    const a2 = await store.send(4, 'a2', false);
    const b1 = await store.send(7, 'b1', false);
    const b2 = await store.send(7, 'b2', false);
    // One per thread in parallel.
    expect(sentIds(socket)).toEqual([a1.clientId, b1.clientId]);
    socket.frame({ type: 'error', code: 'unavailable', message: 'the server is busy: retry shortly', ref: a1.clientId });
    socket.frame(sentFrame(b1.clientId, 7, 300, 1));
    await flush();
    expect(sentIds(socket)).toEqual([a1.clientId, b1.clientId, b2.clientId]);
    socket.frame(sentFrame(b2.clientId, 7, 301, 2));
    await flush();
    vi.advanceTimersByTime(1500);
    expect(sentIds(socket)).toEqual([a1.clientId, b1.clientId, b2.clientId, a1.clientId]);
    socket.frame(sentFrame(a1.clientId, 4, 302, 6));
    await flush();
    expect(sentIds(socket)).toEqual([a1.clientId, b1.clientId, b2.clientId, a1.clientId, a2.clientId]);
    store.stop();
  });

  test('after a reconnect each thread resends its oldest unconfirmed message, then the rest in order', async () => {
    const store = makeStore();
    await store.start();
    let socket = await connect(store);
    welcome(socket);
    await flush();
    const one = await store.send(4, 'one', false);
    const two = await store.send(4, 'two', false);
    expect(sentIds(socket)).toEqual([one.clientId]);
    socket.drop(1006, '');
    vi.advanceTimersByTime(1600);
    socket = await connect(store);
    welcome(socket);
    await flush();
    expect(sentIds(socket)).toEqual([one.clientId]);
    socket.frame({ ...sentFrame(one.clientId, 4, 400, 6), duplicate: true });
    await flush();
    expect(sentIds(socket)).toEqual([one.clientId, two.clientId]);
    store.stop();
  });

  test('resync drops the cursor and reloads the thread list', async () => {
    await local.setCursor(2, 'old.5');
    const store = makeStore();
    await store.start();
    const socket = await connect(store);
    socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
    await flush();
    socket.frame({ type: 'resync', reason: 'the cursor belongs to another database', cursor: 'new.50' });
    await flush();
    expect(await local.getCursor(2)).toBe('new.50');
    expect((api.threads as unknown as { mock: { calls: unknown[] } }).mock.calls.length).toBeGreaterThanOrEqual(2);
    store.stop();
  });

  test('an unauthenticated error ends the session and stops reconnecting', async () => {
    const ended = vi.fn();
    const store = new AppStore(self, {
      api: { users: async () => [], threads: async () => [], screening: async () => [], handoffs: async () => [] } as unknown as Api,
      token: 'tok', local, socketUrl: 'wss://x', socketFactory: (url) => new FakeSocket(url), onSessionEnded: ended,
    });
    await store.start();
    const socket = await connect(store);
    socket.frame({ type: 'error', code: 'unauthenticated', message: 'the session expired: log in again' });
    socket.drop(1008, 'authentication failed');
    vi.advanceTimersByTime(60_000);
    expect(ended).toHaveBeenCalledWith('the session expired: log in again');
    expect(FakeSocket.all).toHaveLength(1);
    store.stop();
  });

  test('reconnects back off from about a second up to about thirty', () => {
    expect(backoffDelay(0, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, () => 0.5)).toBe(8000);
    expect(backoffDelay(20, () => 1)).toBeLessThanOrEqual(37_500);
    expect(backoffDelay(20, () => 0)).toBeGreaterThanOrEqual(22_500);
  });

  test('a dropped socket reconnects after the backoff', async () => {
    const store = makeStore();
    await store.start();
    const socket = await connect(store);
    socket.frame({ type: 'welcome', user_id: 2, org_id: 1, device_id: 1, server_time: '' });
    await flush();
    socket.drop(1001, 'server stopping');
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1600);
    expect(FakeSocket.all).toHaveLength(2);
    store.stop();
  });

  // Any older own message shows its status from the history page, and the stream's
  // receipts add to it without counting a recipient twice.
  test('receipts of a history page merge with live receipts', async () => {
    threadsAnswer = [{ ...thread(6, 6, 0), kind: 'group', title: 'Ward 4', member_ids: [2, 3, 9], last_message: message(106, 6, 2) }];
    const page: HistoryPage = {
      messages: [message(106, 6, 2), message(105, 5, 2), message(104, 4, 2)],
      receipts: {
        read: [{ user_id: 3, up_to_seq: 4 }, { user_id: 9, up_to_seq: 0 }],
        delivered: [{ message_id: 105, user_ids: [3] }, { message_id: 106, user_ids: [9] }],
      },
    };
    const { store, socket } = await liveStore();
    (api.history as ReturnType<typeof vi.fn>).mockResolvedValue(page);
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    await store.openThread(4);
    const state = store.threads.get(4)!;
    const labels = () => state.messages.map((m) => summaryLabel(summarize(store.recipientStatuses(state, m))));
    expect(labels()).toEqual(['Read by 1 of 2', 'Delivered to 1 of 2', 'Delivered to 1 of 2']);
    const event = (id: number, body: Record<string, unknown>) =>
      socket.frame({ type: 'event', cursor: `db.${id}`, event: { id, thread_id: 4, at: `t${id}`, ...body } });
    event(111, { kind: 'delivered', user_id: 9, message_id: 106, message_seq: 6 }); // already known
    event(112, { kind: 'delivered', user_id: 9, message_id: 105, message_seq: 5 });
    // Read marks come in "events" frames.
    const reads = (id: number, body: Record<string, unknown>) =>
      socket.frame({ type: 'events', cursor: `db.${id}`, events: [{ id, thread_id: 4, at: `t${id}`, ...body }] });
    reads(113, { kind: 'read', user_id: 3, up_to_seq: 6 });
    await flush();
    expect(labels()).toEqual(['Read by 1 of 2', 'Read by 1 of 2', 'Read by 1 of 2']);
    // The page says who received a message, not when; the stream's event gives the time.
    expect(store.recipientStatuses(state, state.messages[2]).find((r) => r.userId === 9)).toMatchObject({ delivered: true, deliveredAt: 't111', read: false });
    socket.frame({
      type: 'events',
      cursor: 'db.115',
      events: [
        { id: 114, kind: 'read', thread_id: 4, at: 't114', user_id: 9, up_to_seq: 5 },
        { id: 115, kind: 'read', thread_id: 4, at: 't115', user_id: 9, up_to_seq: 6 },
      ],
    });
    await flush();
    expect(labels()).toEqual(['Read', 'Read', 'Read']);
    // The page gave no read times; the stream's read event did.
    const [fromPage] = store.recipientStatuses(state, state.messages[0]);
    expect(fromPage).toMatchObject({ userId: 3, read: true, readAt: null, delivered: true });
    expect(store.recipientStatuses(state, state.messages[2])[0]).toMatchObject({ userId: 3, readAt: 't113' });
    expect(api.messageStatus).not.toHaveBeenCalled();
    store.stop();
  });
  test('org and user events fetch what changed, a burst of them at most twice, and fetch no thread', async () => {
    const changed = vi.fn();
    const store = makeStore();
    (store as unknown as { deps: { onOrgChanged: () => void } }).deps.onOrgChanged = changed;
    await store.start();
    const socket = await connect(store);
    welcome(socket);
    await flush();
    const fetchedBefore = vi.mocked(api.users).mock.calls.length;
    for (let id = 200; id < 210; id++) {
      socket.frame({ type: 'event', cursor: `db.${id}`, event: { id, kind: 'user_changed', scope: 'org', at: 't', user_id: 9, by_user_id: 1 } });
    }
    socket.frame({ type: 'event', cursor: 'db.210', event: { id: 210, kind: 'org_changed', scope: 'org', at: 't', by_user_id: 1 } });
    socket.frame({ type: 'event', cursor: 'db.211', event: { id: 211, kind: 'devices_changed', scope: 'user', at: 't', user_id: 2, by_user_id: 2 } });
    // A kind this version does not know: skipped, its cursor kept.
    socket.frame({ type: 'event', cursor: 'db.212', event: { id: 212, kind: 'shift_started', scope: 'user', at: 't' } });
    expect(store.availabilityStamp([3, 9])).toBe(0);
    socket.frame({ type: 'event', cursor: 'db.213', event: { id: 213, kind: 'availability_changed', scope: 'org', at: 't', user_id: 3, by_user_id: 3 } });
    socket.frame({ type: 'caught_up', cursor: 'db.213' });
    await flush();
    await vi.advanceTimersByTimeAsync(100);
    await flush();
    const fetches = vi.mocked(api.users).mock.calls.length - fetchedBefore;
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(2);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(api.thread).not.toHaveBeenCalled();
    // Someone's availability: the previews showing them fetch again, nothing else does.
    expect(store.availabilityStamp([3, 9])).toBe(1);
    expect(store.availabilityStamp([9])).toBe(0);
    expect(await local.getCursor(2)).toBe('db.213');
    store.stop();
  });

  test('escalation steps come from history pages and from the stream, once each', async () => {
    threadsAnswer = [{ ...thread(1, 1, 0), last_message: message(101, 1, 2) }];
    const routed = (id: number, userId: number, roleId: number | null) =>
      ({ id, kind: 'routed', thread_id: 4, at: `t${id}`, message_id: 101, message_seq: 1, user_id: userId, role_id: roleId, reason: 'escalated' });
    const { store, socket } = await liveStore();
    (api.history as ReturnType<typeof vi.fn>).mockResolvedValue({
      messages: [message(101, 1, 2)], receipts: { read: [], delivered: [] }, routed: [routed(120, 5, null)],
    });
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    await store.openThread(4);
    const state = store.threads.get(4)!;
    expect(state.routed.get(101)).toEqual([{ user_id: 5, reason: 'escalated', role_id: null }]);
    // The same step again from the stream, then the next one (a role's holder).
    socket.frame({ type: 'event', cursor: 'db.120', event: routed(120, 5, null) });
    socket.frame({ type: 'event', cursor: 'db.121', event: routed(121, 8, 6) });
    await flush();
    expect(state.routed.get(101)).toEqual([
      { user_id: 5, reason: 'escalated', role_id: null },
      { user_id: 8, reason: 'escalated', role_id: 6 },
    ]);
    // A step through a role: the roles are loaded for its name.
    expect(api.roles).toHaveBeenCalledTimes(1);
    store.stop();
  });

  test('reminder, unanswered and alert events ask for attention, a repeated alert once; the thread is found from the message', async () => {
    const attention = vi.fn();
    const store = makeStore();
    (store as unknown as { deps: { alerts: { attention: (kind: string) => void } } }).deps.alerts = { attention } as never;
    (api as unknown as { message: unknown }).message = vi.fn(async (id: number) => ({ ...message(id, 7, 2), thread_id: 9 }));
    vi.mocked(api.thread).mockResolvedValue({ ...thread(7, 0, 0), id: 9 });
    await store.start();
    const socket = await connect(store);
    welcome(socket);
    await flush();
    const user = (id: number, kind: string, messageId: number) =>
      socket.frame({ type: 'event', cursor: `db.${id}`, event: { id, kind, scope: 'user', at: 't', message_id: messageId } });
    user(300, 'alert', 40);
    user(301, 'reminder', 41);
    user(302, 'alert', 40);
    user(303, 'unanswered', 42);
    user(304, 'escalation_paused', 43); // a kind this version does not know
    socket.frame({ type: 'caught_up', cursor: 'db.304' });
    await flush();
    expect(store.attention.map((a) => [a.kind, a.messageId])).toEqual([['unanswered', 42], ['alert', 40], ['reminder', 41]]);
    expect(attention.mock.calls.map(([kind]) => kind)).toEqual(['alert', 'reminder', 'alert', 'unanswered']);
    expect(await local.getCursor(2)).toBe('db.304');
    // Thread 9 is not known here yet: it is loaded, and listed.
    expect(await store.threadOfMessage(40)).toBe(9);
    expect(store.threads.has(9)).toBe(true);
    store.dismissAttention(store.attention[1]);
    expect(store.attention.map((a) => a.kind)).toEqual(['unanswered', 'reminder']);
    store.stop();
  });
});

describe('held messages', () => {
  const kMorning = '2026-12-08T07:00:00Z';
  const heldAnswer = (clientId: string, heldId: number, body: string): Held => ({
    held_id: heldId, thread_id: 4, client_id: clientId, body, urgent: false, user_id: 3, held_at: '2026-12-07T22:10:00Z', until: kMorning, written_at: null,
  });
  const heldSent = (clientId: string, heldId: number, duplicate = false) => ({
    type: 'sent', client_id: clientId, thread_id: 4, at: '2026-12-07T22:10:00.000102Z', duplicate,
    held: { held_id: heldId, user_id: 3, availability: 'off_duty', until: kMorning },
  });

  test('a held answer ends the sending and shows the message held, until it arrives as a message', async () => {
    const { store, socket } = await liveStore();
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    const entry = await store.send(4, 'Bed 4 potassium 6.1', false);
    const next = await store.send(4, 'and the ECG', false);
    expect(sentIds(socket)).toEqual([entry.clientId]);
    socket.frame(heldSent(entry.clientId, 7));
    await flush();
    const state = store.threads.get(4)!;
    // No longer in the outbox (nor stored), not a message, but held; the thread's next message goes.
    expect(store.outbox.has(entry.clientId)).toBe(false);
    expect((await local.outboxAll(2)).map((e) => e.clientId)).toEqual([next.clientId]);
    expect(state.messages.some((m) => m.client_id === entry.clientId)).toBe(false);
    expect(state.held.map((h) => [h.held_id, h.client_id, h.body, h.availability])).toEqual([[7, entry.clientId, 'Bed 4 potassium 6.1', 'off_duty']]);
    expect(state.lastHeldId).toBe(7);
    expect(sentIds(socket)).toEqual([entry.clientId, next.clientId]);
    // A resend answered held again (duplicate) keeps one.
    socket.frame(heldSent(next.clientId, 8));
    socket.frame(heldSent(next.clientId, 8, true));
    await flush();
    expect(state.held.map((h) => h.held_id)).toEqual([7, 8]);
    // Nothing of a held message is written to the local cache.
    await vi.advanceTimersByTimeAsync(1500);
    const cached = [...(local as unknown as { cache: Map<string, string> }).cache.values()].join('\n');
    expect(cached).toContain('"threads"');
    expect(cached).not.toContain('Bed 4 potassium');
    expect(cached).not.toContain('and the ECG');

    // Released: the message event with the same client_id replaces the held one.
    socket.frame({ type: 'event', cursor: 'db.130', event: { ...message(130, 6, 2, entry.clientId), body: 'Bed 4 potassium 6.1' } });
    await flush();
    expect(state.held.map((h) => h.held_id)).toEqual([8]);
    expect(state.messages.filter((m) => m.client_id === entry.clientId)).toHaveLength(1);
    store.stop();
  });

  test('opening a thread takes its held messages from the server; what changed meanwhile stays', async () => {
    const { store, socket } = await liveStore();
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    let answer!: (list: Held[]) => void;
    (api.threadHeld as ReturnType<typeof vi.fn>).mockImplementationOnce(() => new Promise<Held[]>((r) => (answer = r)));
    const entry = await store.send(4, 'new one', false);
    void store.openThread(4);
    await flush();
    expect(api.threadHeld).toHaveBeenCalledWith(4);
    // Held by this device while the request is out: kept although the answer predates it.
    socket.frame(heldSent(entry.clientId, 9));
    await flush();
    answer([heldAnswer('c-old', 5, 'from another device')]);
    await flush();
    const state = store.threads.get(4)!;
    expect(state.held.map((h) => [h.held_id, h.body])).toEqual([[5, 'from another device'], [9, 'new one']]);

    // Asked again after a reconnect: the server's list replaces it (5 went elsewhere).
    (api.threadHeld as ReturnType<typeof vi.fn>).mockResolvedValueOnce([heldAnswer(entry.clientId, 9, 'new one')]);
    socket.drop();
    await vi.advanceTimersByTimeAsync(40_000);
    const again = FakeSocket.all[FakeSocket.all.length - 1];
    again.open();
    welcome(again);
    await flush();
    await flush();
    expect(api.threadHeld).toHaveBeenCalledTimes(2);
    expect(store.threads.get(4)!.held.map((h) => h.held_id)).toEqual([9]);
    store.stop();
  });

  test('hand-off notes: the list is asked after the welcome and at a routed hand_off or accepted naming the user; accepting shows when', async () => {
    const { store, socket } = await liveStore();
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    expect(api.handoffs).toHaveBeenCalledTimes(1);
    expect(store.handoffs).toEqual([]);
    const note = { message_id: 101, role_id: 6, thread_id: 4, message_seq: 1, from_user_id: 3, to_user_id: 2, created_at: kMorning, accepted_at: null };
    (api.handoffs as ReturnType<typeof vi.fn>).mockResolvedValueOnce([note]);
    const routed = (id: number, userId: number, reason: string, at = kMorning) =>
      ({ type: 'event', cursor: `db.${id}`, event: { id, kind: 'routed', thread_id: 4, at, message_id: 101, message_seq: 1, user_id: userId, role_id: 6, reason } });
    socket.frame(routed(111, 2, 'hand_off'));
    await flush();
    expect(api.handoffs).toHaveBeenCalledTimes(2);
    expect(store.handoffs?.map((h) => h.message_id)).toEqual([101]);
    expect(store.threads.get(4)!.routed.get(101)).toEqual([{ user_id: 2, reason: 'hand_off', role_id: 6 }]);
    // About someone else: not the user's list.
    socket.frame(routed(112, 7, 'hand_off'));
    await flush();
    expect(api.handoffs).toHaveBeenCalledTimes(2);

    // Accepting takes it off the list and shows the acceptance with its time at once.
    const acceptedAt = '2025-06-02T19:04:00Z';
    (api.acceptHandoff as ReturnType<typeof vi.fn>).mockResolvedValueOnce({ ...note, accepted_at: acceptedAt });
    await store.acceptHandoff(101);
    expect(api.acceptHandoff).toHaveBeenCalledWith(101);
    expect(store.handoffs).toEqual([]);
    expect(store.threads.get(4)!.routed.get(101)?.find((t) => t.reason === 'accepted')).toEqual({ user_id: 2, reason: 'accepted', role_id: 6, at: acceptedAt });
    // Its event (this or another device) asks again and adds no second line.
    socket.frame(routed(113, 2, 'accepted', acceptedAt));
    await flush();
    expect(api.handoffs).toHaveBeenCalledTimes(3);
    expect(store.threads.get(4)!.routed.get(101)?.filter((t) => t.reason === 'accepted')).toHaveLength(1);
    store.stop();
  });

  test('a `screening` event fetches the screening list and the held list of a thread showing a screened message', async () => {
    const { store, socket } = await liveStore();
    socket.frame({ type: 'caught_up', cursor: 'db.110' });
    await flush();
    // Asked after the welcome: nothing waits.
    expect(api.screening).toHaveBeenCalledTimes(1);
    expect(store.screening).toEqual([]);
    const entry = await store.send(4, 'Can the Foley come out?', false);
    socket.frame({ ...heldSent(entry.clientId, 7), held: { held_id: 7, user_id: 3, availability: 'in_procedure', until: null, state: 'screening', gatekeeper_ids: [17] } });
    await flush();
    const state = store.threads.get(4)!;
    expect(state.held.map((h) => [h.state, h.gatekeeper_ids])).toEqual([['screening', [17]]]);
    expect(store.gatekeepersOf(3)).toEqual([17]);

    const listed = { held_id: 9, thread_id: 6, body: 'Bed 3 drain', urgent: false, user_id: 3, held_at: kMorning, until: null, written_at: null, sender_id: 11, state: 'screening' as const, screened_by: null };
    (api.screening as ReturnType<typeof vi.fn>).mockResolvedValueOnce([listed]);
    (api.threadHeld as ReturnType<typeof vi.fn>).mockResolvedValueOnce([{ ...heldAnswer(entry.clientId, 7, 'Can the Foley come out?'), state: 'kept', screened_by: 17 }]);
    socket.frame({ type: 'event', cursor: 'db.111', event: { id: 111, kind: 'screening', scope: 'user', at: kMorning, user_id: 3, by_user_id: 17 } });
    await flush();
    await flush();
    expect(store.screening?.map((s) => s.held_id)).toEqual([9]);
    expect(api.threadHeld).toHaveBeenCalledWith(4);
    // The state and who held it from the server; the gatekeepers `sent` told kept.
    expect(state.held.map((h) => [h.state, h.screened_by, h.gatekeeper_ids])).toEqual([['kept', 17, [17]]]);

    // A decision takes it off the list at once, and the list is asked again.
    (api.decideScreening as ReturnType<typeof vi.fn>).mockResolvedValueOnce({ held_id: 9, outcome: 'delivered', message_id: 50, thread_id: 6, seq: 3 });
    const calls = (api.screening as ReturnType<typeof vi.fn>).mock.calls.length;
    expect((await store.decideScreening(9, { action: 'pass' })).outcome).toBe('delivered');
    expect(api.decideScreening).toHaveBeenCalledWith(9, { action: 'pass' });
    expect(store.screening).toEqual([]);
    await flush();
    expect((api.screening as ReturnType<typeof vi.fn>).mock.calls.length).toBe(calls + 1);
    store.stop();
  });

  test('held messages are not asked for in a group', async () => {
    threadsAnswer = [{ ...thread(5, 5, 0), kind: 'group', member_ids: [2, 3, 5] }];
    const { store } = await liveStore();
    await store.openThread(4);
    expect(api.threadHeld).not.toHaveBeenCalled();
    store.stop();
  });

  test('withdrawing removes it and answers its text; one already gone is fetched again', async () => {
    const { store } = await liveStore();
    (api.threadHeld as ReturnType<typeof vi.fn>).mockResolvedValueOnce([heldAnswer('c-1', 1, 'first'), heldAnswer('c-2', 2, 'second')]);
    await store.openThread(4);
    await flush();
    const state = store.threads.get(4)!;
    expect(state.held).toHaveLength(2);
    (api.withdrawHeld as ReturnType<typeof vi.fn>).mockResolvedValueOnce(heldAnswer('c-1', 1, 'first'));
    expect((await store.withdrawHeld(4, 1)).body).toBe('first');
    expect(state.held.map((h) => h.held_id)).toEqual([2]);

    (api.withdrawHeld as ReturnType<typeof vi.fn>).mockRejectedValueOnce(new ApiError(404, 'not_found', 'no such held message'));
    (api.threadHeld as ReturnType<typeof vi.fn>).mockResolvedValueOnce([]);
    await expect(store.withdrawHeld(4, 2)).rejects.toThrow('no such held message');
    await flush();
    expect(state.held).toEqual([]);
    store.stop();
  });

  test('an urgent message with an override says so in its frame and shows whom it reached', async () => {
    const { store, socket } = await liveStore();
    const entry = await store.send(4, 'Come now', true, true);
    const plain = await store.send(4, 'not urgent', false, true);
    expect(socket.ofType('send')[0]).toEqual({ type: 'send', thread_id: 4, client_id: entry.clientId, body: 'Come now', urgent: true, override: true });
    socket.frame({ ...sentFrame(entry.clientId, 4, 140, 6), routed_to: [{ user_id: 3, reason: 'override' }] });
    await flush();
    expect(socket.ofType('send')[1]).toEqual({ type: 'send', thread_id: 4, client_id: plain.clientId, body: 'not urgent' });
    expect(store.threads.get(4)!.routed.get(140)).toEqual([{ user_id: 3, reason: 'override', role_id: null }]);
    store.stop();
  });

  test("a forwarded message shows where it went, with whose forwarding; a loop that was not followed is flagged once", async () => {
    const { store, socket } = await liveStore();
    const entry = await store.send(4, 'Pages for you', false);
    socket.frame({ ...sentFrame(entry.clientId, 4, 141, 6), routed_to: [{ user_id: 20, reason: 'forwarded', from_user_id: 3 }] });
    await flush();
    const state = store.threads.get(4)!;
    expect(state.routed.get(141)).toEqual([{ user_id: 20, reason: 'forwarded', role_id: null, from_user_id: 3 }]);
    // The matching routed event adds nothing.
    socket.frame({ type: 'event', cursor: 'db.130', event: { id: 130, kind: 'routed', thread_id: 4, at: 't', message_id: 141, message_seq: 6, user_id: 20, role_id: null, reason: 'forwarded', from_user_id: 3 } });
    await flush();
    expect(state.routed.get(141)).toHaveLength(1);
    expect(state.lastLoopId).toBeNull();
    const looped = await store.send(4, 'Loop', false);
    socket.frame({ ...sentFrame(looped.clientId, 4, 142, 7), forwarding_loop: true });
    await flush();
    expect(state.lastLoopId).toBe(142);
    expect(state.routed.has(142)).toBe(false);
    store.stop();
  });

  test("a colleague's status is asked once while shown, again only after availability_changed about them", async () => {
    const { store, socket } = await liveStore();
    const availability = vi.fn(async (id: number) => ({ user_id: id, status: 'busy', until: null, periods: [] }));
    const forwarding = vi.fn(async (id: number) => (id === 3 ? { user_id: 3, to_user_id: 20, to_role_id: null, starts_at: '2025-01-01T00:00:00Z', ends_at: null, set_by: 3, set_at: '2025-01-01T00:00:00Z' } : null));
    Object.assign(api, { availability, forwarding });
    expect(store.personStatus(3)).toBeUndefined();
    expect(store.personStatus(3)).toBeUndefined();
    await flush();
    expect(store.personStatus(3)?.status).toBe('busy');
    expect(store.personStatus(3)?.forwarding?.to_user_id).toBe(20);
    expect(availability).toHaveBeenCalledTimes(1);
    // About someone else: nothing asked.
    socket.frame({ type: 'event', cursor: 'db.140', event: { id: 140, kind: 'availability_changed', scope: 'org', at: 't', user_id: 5, by_user_id: 5 } });
    await flush();
    store.personStatus(3);
    expect(availability).toHaveBeenCalledTimes(1);
    socket.frame({ type: 'event', cursor: 'db.141', event: { id: 141, kind: 'availability_changed', scope: 'org', at: 't', user_id: 3, by_user_id: 3 } });
    await flush();
    availability.mockImplementation(async (id: number) => ({ user_id: id, status: 'available', until: null, periods: [] }));
    // Shown again: the old status until the answer, then the new one.
    expect(store.personStatus(3)?.status).toBe('busy');
    await flush();
    expect(store.personStatus(3)?.status).toBe('available');
    expect(availability).toHaveBeenCalledTimes(2);
    store.stop();
  });
});
