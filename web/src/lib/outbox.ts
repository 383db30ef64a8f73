import { kOutboxLimit, type LocalStore, type OutboxEntry } from './db';

// What to do with an outbox entry after an error frame whose ref is its client_id
// (docs/protocol.md section 14, "Sending: the outbox").
export type ErrorDisposition = 'retry' | 'failed' | 'done';

export function dispositionFor(code: string): ErrorDisposition {
  switch (code) {
    case 'resource_exhausted':
    case 'unavailable':
    case 'internal':
    case 'deadline_exceeded':
    case 'session_locked':
      return 'retry';
    default:
      return 'failed';
  }
}

// A message's written time is sent, and shown, when it is this far from its sent time.
export const kWrittenShownAfterMs = 60_000;
const kWrittenMaxAgeMs = 7 * 24 * 3600_000 - 3600_000;

// The `send` frame of an entry (docs/protocol.md, "send"). `urgent` and `override` only
// when set, and `override` only on an urgent message (the server refuses it on another).
// An entry's createdAt is when it was written: sent along when that was a while ago
// (written offline), within the server's bound.
export function sendFrame(entry: OutboxEntry, now: number): Record<string, unknown> {
  const frame: Record<string, unknown> = { type: 'send', thread_id: entry.threadId, client_id: entry.clientId, body: entry.body };
  if (entry.urgent) frame.urgent = true;
  if (entry.urgent && entry.override) frame.override = true;
  if (entry.callback) frame.callback = entry.callback;
  const age = now - Date.parse(entry.createdAt);
  if (age > kWrittenShownAfterMs && age < kWrittenMaxAgeMs) frame.written_at = entry.createdAt;
  return frame;
}

export class OutboxFull extends Error {
  constructor() {
    super(`${kOutboxLimit} messages are waiting to be sent: wait for the connection, or discard some, before writing more.`);
  }
}

export function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Messages the user wrote that the server has not confirmed with `sent`. Every entry is
// written to the LocalStore before it is handed to the socket, so a reload or a lost
// connection loses nothing; the client_id makes resending harmless. Entries leave the
// outbox when their `sent` answer or their own message event arrives.
//
// Order per thread: at most one send per thread is unconfirmed at a time (in flight).
// The next entry of that thread goes once the one in flight is confirmed or fails
// permanently. A retryable error holds the thread: the same entry is resent after a
// backoff and the entries behind it wait. Different threads proceed independently.
export class Outbox {
  private entries: OutboxEntry[] = [];
  private nextOrder = 1;
  // client_id of the send in flight, per thread.
  private readonly inFlight = new Map<number, string>();
  // Threads whose head entry waits for a retry after a retryable error.
  private readonly held = new Set<number>();

  constructor(
    private readonly store: LocalStore,
    private readonly userId: number,
  ) {}

  async load(): Promise<void> {
    this.entries = (await this.store.outboxAll(this.userId)).sort((a, b) => a.order - b.order);
    this.inFlight.clear();
    this.held.clear();
    this.nextOrder = this.entries.reduce((max, e) => Math.max(max, e.order), 0) + 1;
  }

  // Creates and durably stores an entry; resolves once it is stored. Rejects with
  // OutboxFull when kOutboxLimit entries are waiting. `override` is kept only with
  // `urgent`.
  async add(threadId: number, body: string, urgent: boolean, clientId = newClientId(), override = false, callback = ''): Promise<OutboxEntry> {
    if (this.entries.length >= kOutboxLimit) throw new OutboxFull();
    const entry: OutboxEntry = {
      clientId,
      userId: this.userId,
      threadId,
      body,
      urgent,
      order: this.nextOrder++,
      createdAt: new Date().toISOString(),
      failed: null,
    };
    if (urgent && override) entry.override = true;
    if (callback) entry.callback = callback;
    await this.store.outboxPut(entry);
    this.entries.push(entry);
    return entry;
  }

  // Entries to (re)send, oldest first: everything not marked failed.
  pending(): OutboxEntry[] {
    return this.entries.filter((e) => e.failed === null);
  }

  // The entries that may be handed to the server now, oldest first: for each thread
  // with nothing in flight and not held for a retry, its oldest pending entry.
  ready(): OutboxEntry[] {
    const seen = new Set<number>();
    const out: OutboxEntry[] = [];
    for (const entry of this.entries) {
      if (entry.failed !== null || seen.has(entry.threadId)) continue;
      seen.add(entry.threadId);
      if (this.inFlight.has(entry.threadId) || this.held.has(entry.threadId)) continue;
      out.push(entry);
    }
    return out;
  }

  // The entry was handed to the server; its thread waits for the answer.
  markInFlight(clientId: string): void {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (entry) this.inFlight.set(entry.threadId, clientId);
  }

  isInFlight(clientId: string): boolean {
    return [...this.inFlight.values()].includes(clientId);
  }

  // A new connection: no earlier send is awaiting an answer any more, and held threads
  // are resent at once (with the same client_id).
  resetInFlight(): void {
    this.inFlight.clear();
    this.held.clear();
  }

  // The retry backoff of a held thread is over.
  release(threadId: number): void {
    this.held.delete(threadId);
  }

  all(): OutboxEntry[] {
    return [...this.entries];
  }

  forThread(threadId: number): OutboxEntry[] {
    return this.entries.filter((e) => e.threadId === threadId);
  }

  has(clientId: string): boolean {
    return this.entries.some((e) => e.clientId === clientId);
  }

  // The server has the message (a `sent` answer, or its event came back). Returns
  // whether the entry was still in the outbox.
  async confirm(clientId: string): Promise<boolean> {
    const index = this.entries.findIndex((e) => e.clientId === clientId);
    if (index < 0) return false;
    const [entry] = this.entries.splice(index, 1);
    this.settle(entry);
    await this.store.outboxDelete(clientId);
    return true;
  }

  // Applies an error frame answering the entry's send.
  async reject(clientId: string, code: string, message: string): Promise<ErrorDisposition> {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry) return 'done';
    const disposition = dispositionFor(code);
    this.settle(entry);
    if (disposition === 'retry') {
      this.held.add(entry.threadId);
    } else {
      entry.failed = message;
      await this.store.outboxPut(entry);
    }
    return disposition;
  }

  // Puts a failed entry back in line (the user chose "retry").
  async retry(clientId: string): Promise<OutboxEntry | null> {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry) return null;
    entry.failed = null;
    await this.store.outboxPut(entry);
    return entry;
  }

  private settle(entry: OutboxEntry): void {
    if (this.inFlight.get(entry.threadId) === entry.clientId) this.inFlight.delete(entry.threadId);
  }

  async discard(clientId: string): Promise<void> {
    await this.confirm(clientId);
  }
}
