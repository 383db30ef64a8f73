// The app's durable browser storage (with the composer's drafts, drafts.ts): one
// IndexedDB database holding the outbox (messages not yet acknowledged by the server)
// and the stream cursor. Message text is sealed with the user's storage key (vault.ts),
// and the database is deleted at sign-out (deleteLocalData).

import { kDraftsDatabaseName } from './drafts';
import { seal, unseal, type Sealed } from './vault';

export const kDatabaseName = 'wardline';
const kVersion = 1;

export interface OutboxEntry {
  clientId: string;
  userId: number;
  threadId: number;
  body: string;
  urgent: boolean;
  // Creation order; entries are sent in this order.
  order: number;
  createdAt: string;
  failed: string | null;
}

export interface LocalStore {
  outboxAll(userId: number): Promise<OutboxEntry[]>;
  outboxPut(entry: OutboxEntry): Promise<void>;
  outboxDelete(clientId: string): Promise<void>;
  getCursor(userId: number): Promise<string | null>;
  setCursor(userId: number, cursor: string | null): Promise<void>;
  // The user whose data this store holds (set at sign-in).
  owner(): Promise<number | null>;
  setOwner(userId: number): Promise<void>;
  close(): void;
}

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function completed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

// An outbox entry as stored: the body sealed, bound to its user and client id. Entries
// written before bodies were sealed have `body` instead and are sealed when next read.
type StoredEntry = Omit<OutboxEntry, 'body'> & { sealed?: Sealed; body?: string };

const bodyContext = (entry: { userId: number; clientId: string }) => `outbox body|user:${entry.userId}|client:${entry.clientId}`;

class IndexedDbStore implements LocalStore {
  constructor(
    private readonly db: IDBDatabase,
    private readonly key: CryptoKey,
  ) {}

  // An entry that does not open (sealed with another key, or damaged) is left out; it
  // goes with the database at sign-out.
  async outboxAll(userId: number): Promise<OutboxEntry[]> {
    const transaction = this.db.transaction('outbox', 'readonly');
    const all = await promised(transaction.objectStore('outbox').getAll() as IDBRequest<StoredEntry[]>);
    const entries: OutboxEntry[] = [];
    for (const stored of all.filter((e) => e.userId === userId)) {
      const { sealed, body, ...rest } = stored;
      if (sealed) {
        try {
          entries.push({ ...rest, body: await unseal(this.key, sealed, bodyContext(stored)) });
        } catch {
          // Left out, see above.
        }
      } else if (typeof body === 'string') {
        const entry = { ...rest, body };
        await this.outboxPut(entry);
        entries.push(entry);
      }
    }
    return entries.sort((a, b) => a.order - b.order);
  }

  async outboxPut(entry: OutboxEntry): Promise<void> {
    const { body, ...rest } = entry;
    const stored: StoredEntry = { ...rest, sealed: await seal(this.key, body, bodyContext(entry)) };
    const transaction = this.db.transaction('outbox', 'readwrite');
    transaction.objectStore('outbox').put(stored);
    await completed(transaction);
  }

  async outboxDelete(clientId: string): Promise<void> {
    const transaction = this.db.transaction('outbox', 'readwrite');
    transaction.objectStore('outbox').delete(clientId);
    await completed(transaction);
  }

  async getCursor(userId: number): Promise<string | null> {
    const transaction = this.db.transaction('meta', 'readonly');
    const value = await promised(transaction.objectStore('meta').get(`cursor:${userId}`));
    return typeof value === 'string' ? value : null;
  }

  async setCursor(userId: number, cursor: string | null): Promise<void> {
    const transaction = this.db.transaction('meta', 'readwrite');
    if (cursor === null) transaction.objectStore('meta').delete(`cursor:${userId}`);
    else transaction.objectStore('meta').put(cursor, `cursor:${userId}`);
    await completed(transaction);
  }

  async owner(): Promise<number | null> {
    const transaction = this.db.transaction('meta', 'readonly');
    const value = await promised(transaction.objectStore('meta').get('owner'));
    return typeof value === 'number' ? value : null;
  }

  async setOwner(userId: number): Promise<void> {
    const transaction = this.db.transaction('meta', 'readwrite');
    transaction.objectStore('meta').put(userId, 'owner');
    await completed(transaction);
  }

  close(): void {
    this.db.close();
  }
}

// `key` seals the outbox's message text (importStorageKey in vault.ts).
export async function openLocalStore(key: CryptoKey, factory: IDBFactory = indexedDB): Promise<LocalStore> {
  const request = factory.open(kDatabaseName, kVersion);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'clientId' });
    if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
  };
  return new IndexedDbStore(await promised(request), key);
}

// Deletes the whole database, and the composer's drafts (drafts.ts). Resolves once they
// are gone (or blocked connections were told to close).
export async function deleteLocalData(factory: IDBFactory = indexedDB): Promise<void> {
  await Promise.all([kDatabaseName, kDraftsDatabaseName].map((name) => deleteDatabase(name, factory)));
}

function deleteDatabase(name: string, factory: IDBFactory): Promise<void> {
  return new Promise((resolve) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => resolve();
    request.onblocked = () => resolve();
  });
}

// An in-memory LocalStore, for tests and for browsers without IndexedDB (private modes).
export class MemoryStore implements LocalStore {
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly cursors = new Map<number, string>();
  async outboxAll(userId: number): Promise<OutboxEntry[]> {
    return [...this.outbox.values()].filter((e) => e.userId === userId).sort((a, b) => a.order - b.order);
  }
  async outboxPut(entry: OutboxEntry): Promise<void> {
    this.outbox.set(entry.clientId, { ...entry });
  }
  async outboxDelete(clientId: string): Promise<void> {
    this.outbox.delete(clientId);
  }
  async getCursor(userId: number): Promise<string | null> {
    return this.cursors.get(userId) ?? null;
  }
  async setCursor(userId: number, cursor: string | null): Promise<void> {
    if (cursor === null) this.cursors.delete(userId);
    else this.cursors.set(userId, cursor);
  }
  private ownerId: number | null = null;
  async owner(): Promise<number | null> {
    return this.ownerId;
  }
  async setOwner(userId: number): Promise<void> {
    this.ownerId = userId;
  }
  close(): void {}
}
