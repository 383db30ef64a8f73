// Unsent composer text per thread, kept across navigation and reloads: a database of
// its own per user (`wardline-drafts-<id>`, beside her `wardline-user-<id>`), each draft sealed with
// the user's storage key like the outbox (vault.ts) and bound to its user and thread.
// deleteLocalData (db.ts) deletes it with the user's outbox database.
import type { Quote } from './compose';
import { importStorageKey, seal, unseal, type Sealed } from './vault';

export const kDraftsDatabasePrefix = 'wardline-drafts-';
export const draftsDatabaseName = (userId: number) => `${kDraftsDatabasePrefix}${userId}`;
const kVersion = 1;

export interface Draft {
  text: string;
  quote: Quote | null;
}

export interface Drafts {
  get(threadId: number): Promise<Draft | null>;
  // An empty draft (no text, no quote) deletes it.
  put(threadId: number, draft: Draft): Promise<void>;
}

interface StoredDraft {
  key: string;
  userId: number;
  threadId: number;
  sealed: Sealed;
}

const draftContext = (userId: number, threadId: number) => `draft|user:${userId}|thread:${threadId}`;
const isEmpty = (draft: Draft) => !draft.text.trim() && !draft.quote;

class IndexedDbDrafts implements Drafts {
  constructor(
    private readonly db: IDBDatabase,
    private readonly key: CryptoKey,
    private readonly userId: number,
  ) {}

  // A draft that does not open (another key, damaged) counts as none.
  async get(threadId: number): Promise<Draft | null> {
    const transaction = this.db.transaction('drafts', 'readonly');
    const request = transaction.objectStore('drafts').get(`${this.userId}:${threadId}`) as IDBRequest<StoredDraft | undefined>;
    const stored = await new Promise<StoredDraft | undefined>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    if (!stored) return null;
    try {
      const draft = JSON.parse(await unseal(this.key, stored.sealed, draftContext(this.userId, threadId))) as Draft;
      return typeof draft.text === 'string' ? { text: draft.text, quote: draft.quote ?? null } : null;
    } catch {
      return null;
    }
  }

  async put(threadId: number, draft: Draft): Promise<void> {
    const key = `${this.userId}:${threadId}`;
    const stored: StoredDraft | null = isEmpty(draft)
      ? null
      : { key, userId: this.userId, threadId, sealed: await seal(this.key, JSON.stringify(draft), draftContext(this.userId, threadId)) };
    const transaction = this.db.transaction('drafts', 'readwrite');
    if (stored) transaction.objectStore('drafts').put(stored);
    else transaction.objectStore('drafts').delete(key);
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
}

// Drafts in memory only: without IndexedDB or a storage key, and in tests.
export class MemoryDrafts implements Drafts {
  private readonly drafts = new Map<number, Draft>();
  async get(threadId: number): Promise<Draft | null> {
    return this.drafts.get(threadId) ?? null;
  }
  async put(threadId: number, draft: Draft): Promise<void> {
    if (isEmpty(draft)) this.drafts.delete(threadId);
    else this.drafts.set(threadId, { ...draft });
  }
}

// The user's drafts, sealed with `storageKey` (GET /api/v1/me/storage-key); in memory
// when there is no key or no IndexedDB. The connection closes itself when the
// database is deleted.
export async function openDrafts(userId: number, storageKey: string | undefined, factory: IDBFactory = indexedDB): Promise<Drafts> {
  if (!storageKey) return new MemoryDrafts();
  try {
    const key = await importStorageKey(storageKey);
    const request = factory.open(draftsDatabaseName(userId), kVersion);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains('drafts')) request.result.createObjectStore('drafts', { keyPath: 'key' });
    };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.onversionchange = () => db.close();
    return new IndexedDbDrafts(db, key, userId);
  } catch {
    return new MemoryDrafts();
  }
}
