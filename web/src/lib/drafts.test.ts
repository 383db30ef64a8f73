import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, test } from 'vitest';
import { deleteLocalData } from './db';
import { draftsDatabaseName, openDrafts } from './drafts';

const kKey = 'q3v1f2QpXo7m0Q8lJkR1bB7cX4yN9sT6uW2eA5dH0gI';
const kOtherKey = 'AAAAf2QpXo7m0Q8lJkR1bB7cX4yN9sT6uW2eA5dH0gI';

// The drafts database's records as stored.
function rawAll(factory: IDBFactory): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const request = factory.open(draftsDatabaseName(2));
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('drafts')) {
        db.close();
        resolve([]);
        return;
      }
      const all = db.transaction('drafts').objectStore('drafts').getAll();
      all.onsuccess = () => {
        db.close();
        resolve(all.result);
      };
    };
  });
}

describe('drafts', () => {
  test('a draft per thread survives reopening, sealed, and an empty one is deleted', async () => {
    const factory = new IDBFactory();
    const drafts = await openDrafts(2, kKey, factory);
    await drafts.put(4, { text: 'call pharmacy about the vancomycin level', quote: null });
    await drafts.put(7, { text: 'yes', quote: { author: 'Olivia Harper, RN', text: 'are you on the unit?' } });

    const reopened = await openDrafts(2, kKey, factory);
    expect(await reopened.get(4)).toEqual({ text: 'call pharmacy about the vancomycin level', quote: null });
    expect(await reopened.get(7)).toEqual({ text: 'yes', quote: { author: 'Olivia Harper, RN', text: 'are you on the unit?' } });
    expect(await reopened.get(5)).toBeNull();

    const stored = await rawAll(factory);
    expect(stored).toHaveLength(2);
    const latin1 = new TextDecoder('latin1');
    for (const record of stored) {
      const text = JSON.stringify(record) + latin1.decode((record.sealed as { data: ArrayBuffer }).data);
      expect(text).not.toContain('vancomycin');
      expect(text).not.toContain('Harper');
    }

    await reopened.put(4, { text: '  ', quote: null });
    expect(await reopened.get(4)).toBeNull();
    expect(await rawAll(factory)).toHaveLength(1);
  });

  test("another user's drafts, or drafts under another key, do not open", async () => {
    const factory = new IDBFactory();
    await (await openDrafts(2, kKey, factory)).put(4, { text: 'for user 2 only', quote: null });
    expect(await (await openDrafts(3, kKey, factory)).get(4)).toBeNull();
    expect(await (await openDrafts(2, kOtherKey, factory)).get(4)).toBeNull();
  });

  test('deleteLocalData deletes the drafts with the outbox, also while they are open', async () => {
    const factory = new IDBFactory();
    const drafts = await openDrafts(2, kKey, factory);
    await drafts.put(4, { text: 'gone at sign-out', quote: null });
    await deleteLocalData(2, factory);
    expect((await factory.databases()).map((d) => d.name)).not.toContain(draftsDatabaseName(2));
  });

  test('without a storage key drafts stay in memory', async () => {
    const factory = new IDBFactory();
    const drafts = await openDrafts(2, undefined, factory);
    await drafts.put(4, { text: 'kept in memory', quote: null });
    expect(await drafts.get(4)).toEqual({ text: 'kept in memory', quote: null });
    expect(await factory.databases()).toEqual([]);
  });
});
