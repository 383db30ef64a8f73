// The app's durable browser storage: one IndexedDB database per user
// (`wardline-user-<id>`), so that users sharing a browser never touch each other's
// data. Each holds the user's outbox (messages not yet acknowledged by the server), the
// stream cursor and a cache of the thread list and recent messages for an offline
// start. Message text and cached data are sealed with the user's storage key
// (vault.ts); what stays in clear is ids, order and times. docs/web.md ("Browser
// storage") says when each database is deleted.

import { draftsDatabaseName } from './drafts';
import { seal, unseal, type Sealed } from './vault';

export const kDatabasePrefix = 'wardline-user-';
// The single database of earlier versions; its entries move to their owner's database
// at her next sign-in (moveLegacyEntries).
export const kLegacyDatabaseName = 'wardline';
const kVersion = 1;
// How long a step of the sign-in path waits for IndexedDB (another tab holding a
// database that must change) before it gives up with LocalDataBlocked.
export const kOpenWaitMs = 8000;
// How long the sign-in waits for a database it can do without (the earlier single
// database, other users' databases): such a step is skipped, and tried again at the
// next sign-in.
const kOptionalWaitMs = 1000;
// Another user's database unused for this long has no session left (sessions last at
// most 12 hours): its cache is cleared, and the database is deleted if its outbox is empty.
export const kStaleAfterMs = 12 * 60 * 60 * 1000;
// At most this many unsent messages per user.
export const kOutboxLimit = 500;

export const databaseName = (userId: number) => `${kDatabasePrefix}${userId}`;

export interface OutboxEntry {
  clientId: string;
  userId: number;
  threadId: number;
  body: string;
  urgent: boolean;
  // An urgent message the user chose to deliver at once to an off-duty person
  // (emergency override); absent or false otherwise.
  override?: boolean;
  // The number the sender asks to be called back on (normalised), absent for none.
  callback?: string;
  // Creation order; entries are sent in this order.
  order: number;
  createdAt: string;
  failed: string | null;
}

// Why the local database was closed under a running app: another tab deleted it (a
// sign-out) or opened a newer version of it (an update of the app).
export type LostReason = 'deleted' | 'upgraded';

export interface LocalStore {
  outboxAll(userId: number): Promise<OutboxEntry[]>;
  outboxPut(entry: OutboxEntry): Promise<void>;
  outboxDelete(clientId: string): Promise<void>;
  getCursor(userId: number): Promise<string | null>;
  setCursor(userId: number, cursor: string | null): Promise<void>;
  // A cached value (JSON), sealed; null when absent or unreadable.
  cacheGet<T>(name: string): Promise<T | null>;
  cachePut(name: string, value: unknown): Promise<void>;
  cacheClear(): Promise<void>;
  // Called once if another tab needs the database closed; the store is closed by then.
  onLost(callback: (reason: LostReason) => void): void;
  close(): void;
}

// IndexedDB could not be opened in time: another tab holds it.
export class LocalDataBlocked extends Error {
  constructor() {
    super('Another Wardline tab on this browser is holding its local data. Close the other Wardline tabs and sign in again.');
  }
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

// Opens a database, creating its stores, waiting at most `waitMs`. A connection that
// opens after the wait is closed at once. Every connection closes itself when another
// tab deletes or upgrades the database (`onversionchange`), so no tab ever waits on
// another forever.
function openDatabase(factory: IDBFactory, name: string, waitMs: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new LocalDataBlocked());
    }, waitMs);
    const request = factory.open(name, kVersion);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const store of ['outbox', 'meta', 'cache']) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store, store === 'outbox' ? { keyPath: 'clientId' } : undefined);
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();
      clearTimeout(timer);
      if (settled) db.close();
      else resolve(db);
      settled = true;
    };
    request.onerror = () => {
      clearTimeout(timer);
      if (!settled) reject(request.error);
      settled = true;
    };
  });
}

// An outbox entry as stored: the body sealed, bound to its user and client id. Entries
// written before bodies were sealed have `body` instead and are sealed when next read.
// A call-back number is sealed too, under its own context.
type StoredEntry = Omit<OutboxEntry, 'body' | 'callback'> & { sealed?: Sealed; body?: string; sealedCallback?: Sealed };

const bodyContext = (entry: { userId: number; clientId: string }) => `outbox body|user:${entry.userId}|client:${entry.clientId}`;
const callbackContext = (entry: { userId: number; clientId: string }) =>
  `outbox callback|user:${entry.userId}|client:${entry.clientId}`;
const cacheContext = (userId: number, name: string) => `cache|user:${userId}|${name}`;

class IndexedDbStore implements LocalStore {
  private lost: ((reason: LostReason) => void) | null = null;

  constructor(
    private readonly db: IDBDatabase,
    private readonly userId: number,
    private readonly key: CryptoKey,
  ) {
    db.onversionchange = (event) => {
      db.close();
      const callback = this.lost;
      this.lost = null;
      callback?.(event.newVersion === null ? 'deleted' : 'upgraded');
    };
  }

  // An entry that does not open (sealed with another key, or damaged) is left out; it
  // goes with the database.
  async outboxAll(userId: number): Promise<OutboxEntry[]> {
    const transaction = this.db.transaction('outbox', 'readonly');
    const all = await promised(transaction.objectStore('outbox').getAll() as IDBRequest<StoredEntry[]>);
    const entries: OutboxEntry[] = [];
    for (const stored of all.filter((e) => e.userId === userId)) {
      const { sealed, body, sealedCallback, ...rest } = stored;
      if (sealed) {
        try {
          const entry: OutboxEntry = { ...rest, body: await unseal(this.key, sealed, bodyContext(stored)) };
          if (sealedCallback) entry.callback = await unseal(this.key, sealedCallback, callbackContext(stored));
          entries.push(entry);
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
    const { body, callback, ...rest } = entry;
    const stored: StoredEntry = { ...rest, sealed: await seal(this.key, body, bodyContext(entry)) };
    if (callback) stored.sealedCallback = await seal(this.key, callback, callbackContext(entry));
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

  // Also records when the database was last used (see kStaleAfterMs).
  async setCursor(userId: number, cursor: string | null): Promise<void> {
    const transaction = this.db.transaction('meta', 'readwrite');
    const meta = transaction.objectStore('meta');
    if (cursor === null) meta.delete(`cursor:${userId}`);
    else meta.put(cursor, `cursor:${userId}`);
    meta.put(Date.now(), 'lastUsed');
    await completed(transaction);
  }

  async cacheGet<T>(name: string): Promise<T | null> {
    const transaction = this.db.transaction('cache', 'readonly');
    const sealed = (await promised(transaction.objectStore('cache').get(name))) as Sealed | undefined;
    if (!sealed) return null;
    try {
      return JSON.parse(await unseal(this.key, sealed, cacheContext(this.userId, name))) as T;
    } catch {
      return null;
    }
  }

  async cachePut(name: string, value: unknown): Promise<void> {
    const sealed = await seal(this.key, JSON.stringify(value), cacheContext(this.userId, name));
    const transaction = this.db.transaction('cache', 'readwrite');
    transaction.objectStore('cache').put(sealed, name);
    await completed(transaction);
  }

  async cacheClear(): Promise<void> {
    const transaction = this.db.transaction('cache', 'readwrite');
    transaction.objectStore('cache').clear();
    await completed(transaction);
  }

  onLost(callback: (reason: LostReason) => void): void {
    this.lost = callback;
  }

  close(): void {
    this.lost = null;
    this.db.close();
  }

  // Stores records as they were stored elsewhere (moveLegacyEntries).
  async putRaw(entries: StoredEntry[], cursor: string | null): Promise<void> {
    const transaction = this.db.transaction(['outbox', 'meta'], 'readwrite');
    for (const entry of entries) transaction.objectStore('outbox').put(entry);
    if (cursor !== null) transaction.objectStore('meta').put(cursor, `cursor:${this.userId}`);
    await completed(transaction);
  }

  async touch(): Promise<void> {
    const transaction = this.db.transaction('meta', 'readwrite');
    transaction.objectStore('meta').put(Date.now(), 'lastUsed');
    await completed(transaction);
  }
}

// Opens the user's own database; `key` seals its text (importStorageKey in vault.ts).
// Rejects with LocalDataBlocked after `waitMs` if another tab keeps it from opening.
export async function openLocalStore(userId: number, key: CryptoKey, factory: IDBFactory = indexedDB, waitMs = kOpenWaitMs): Promise<LocalStore> {
  const store = new IndexedDbStore(await openDatabase(factory, databaseName(userId), waitMs), userId, key);
  await store.touch();
  return store;
}

// Deletes one user's database and her drafts (drafts.ts). Resolves once they are gone,
// or once the tabs holding them were told to close (they do, and the deletion then
// completes without this page).
export async function deleteLocalData(userId: number, factory: IDBFactory = indexedDB): Promise<void> {
  await Promise.all([databaseName(userId), draftsDatabaseName(userId)].map((name) => deleteDatabase(factory, name)));
}

function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => resolve();
    request.onblocked = () => resolve();
  });
}

async function databaseNames(factory: IDBFactory): Promise<string[]> {
  try {
    return (await factory.databases()).map((d) => d.name ?? '');
  } catch {
    return [];
  }
}

// Moves the user's entries and cursor from the single database of earlier versions
// into her own store (their sealing does not name the database, so they move as they
// are), and deletes the old database once no one's entries are left in it. Entries of
// other users stay there for them. Rejects with LocalDataBlocked when the old database
// stays busy for `waitMs`.
export async function moveLegacyEntries(userId: number, into: LocalStore, factory: IDBFactory = indexedDB, waitMs = kOptionalWaitMs): Promise<void> {
  if (!(into instanceof IndexedDbStore) || !(await databaseNames(factory)).includes(kLegacyDatabaseName)) return;
  const legacy = await openDatabase(factory, kLegacyDatabaseName, waitMs);
  try {
    const read = legacy.transaction(['outbox', 'meta'], 'readonly');
    const all = await promised(read.objectStore('outbox').getAll() as IDBRequest<StoredEntry[]>);
    const cursor = await promised(read.objectStore('meta').get(`cursor:${userId}`));
    const mine = all.filter((e) => e.userId === userId);
    await into.putRaw(mine, typeof cursor === 'string' ? cursor : null);
    const write = legacy.transaction(['outbox', 'meta'], 'readwrite');
    for (const entry of mine) write.objectStore('outbox').delete(entry.clientId);
    write.objectStore('meta').delete(`cursor:${userId}`);
    await completed(write);
    if (mine.length === all.length) {
      legacy.close();
      await deleteDatabase(factory, kLegacyDatabaseName);
    }
  } finally {
    legacy.close();
  }
}

// Bounds what other users leave on a shared browser (docs/web.md): a database of
// another user unused for kStaleAfterMs loses its cache, and is deleted if its outbox
// is empty. A database held open by a tab is skipped, never waited for.
export async function sweepOtherStores(selfId: number, now: number, factory: IDBFactory = indexedDB): Promise<void> {
  for (const name of await databaseNames(factory)) {
    if (!name.startsWith(kDatabasePrefix) || name === databaseName(selfId)) continue;
    let db: IDBDatabase;
    try {
      db = await openDatabase(factory, name, kOptionalWaitMs);
    } catch {
      continue;
    }
    try {
      const read = db.transaction(['meta', 'outbox'], 'readonly');
      const lastUsed = await promised(read.objectStore('meta').get('lastUsed'));
      const queued = await promised(read.objectStore('outbox').count());
      if (typeof lastUsed === 'number' && now - lastUsed < kStaleAfterMs) continue;
      if (queued === 0) {
        db.close();
        await deleteLocalData(Number(name.slice(kDatabasePrefix.length)), factory);
      } else {
        const clear = db.transaction('cache', 'readwrite');
        clear.objectStore('cache').clear();
        await completed(clear);
      }
    } catch {
      // Left for the next sweep.
    } finally {
      db.close();
    }
  }
}

// An in-memory LocalStore, for tests and for browsers without IndexedDB (private modes).
export class MemoryStore implements LocalStore {
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly cursors = new Map<number, string>();
  private readonly cache = new Map<string, string>();
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
  async cacheGet<T>(name: string): Promise<T | null> {
    const value = this.cache.get(name);
    return value === undefined ? null : (JSON.parse(value) as T);
  }
  async cachePut(name: string, value: unknown): Promise<void> {
    this.cache.set(name, JSON.stringify(value));
  }
  async cacheClear(): Promise<void> {
    this.cache.clear();
  }
  onLost(): void {}
  close(): void {}
}
