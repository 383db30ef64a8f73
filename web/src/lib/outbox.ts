import type { LocalStore, OutboxEntry } from './db';

// What to do with an outbox entry after an error frame whose ref is its client_id
// (docs/protocol.md section 14, "Sending: the outbox").
export type ErrorDisposition = 'retry' | 'failed' | 'done';

export function dispositionFor(code: string): ErrorDisposition {
  switch (code) {
    case 'resource_exhausted':
    case 'unavailable':
    case 'internal':
    case 'deadline_exceeded':
      return 'retry';
    default:
      return 'failed';
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
export class Outbox {
  private entries: OutboxEntry[] = [];
  private nextOrder = 1;

  constructor(
    private readonly store: LocalStore,
    private readonly userId: number,
  ) {}

  async load(): Promise<void> {
    this.entries = await this.store.outboxAll(this.userId);
    this.nextOrder = this.entries.reduce((max, e) => Math.max(max, e.order), 0) + 1;
  }

  // Creates and durably stores an entry; resolves once it is stored.
  async add(threadId: number, body: string, urgent: boolean, clientId = newClientId()): Promise<OutboxEntry> {
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
    await this.store.outboxPut(entry);
    this.entries.push(entry);
    return entry;
  }

  // Entries to (re)send, oldest first: everything not marked failed.
  pending(): OutboxEntry[] {
    return this.entries.filter((e) => e.failed === null);
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
    this.entries.splice(index, 1);
    await this.store.outboxDelete(clientId);
    return true;
  }

  // Applies an error frame answering the entry's send.
  async reject(clientId: string, code: string, message: string): Promise<ErrorDisposition> {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry) return 'done';
    const disposition = dispositionFor(code);
    if (disposition === 'failed') {
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

  async discard(clientId: string): Promise<void> {
    await this.confirm(clientId);
  }
}
