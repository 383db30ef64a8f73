import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, test } from 'vitest';
import { deleteLocalData, kDatabaseName, openLocalStore } from './db';
import { dispositionFor, Outbox } from './outbox';
import { importStorageKey } from './vault';

const kKey = 'q3v1f2QpXo7m0Q8lJkR1bB7cX4yN9sT6uW2eA5dH0gI';
const key = await importStorageKey(kKey);

// Writes an outbox record as it is stored, past the store's sealing.
function rawPut(factory: IDBFactory, record: Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const request = factory.open(kDatabaseName);
    request.onsuccess = () => {
      const transaction = request.result.transaction('outbox', 'readwrite');
      transaction.objectStore('outbox').put(record);
      transaction.oncomplete = () => {
        request.result.close();
        resolve();
      };
    };
  });
}

describe('outbox', () => {
  test('entries are stored before sending and survive a reload, in order', async () => {
    const factory = new IDBFactory();
    const store = await openLocalStore(key, factory);
    const outbox = new Outbox(store, 2);
    await outbox.load();
    const first = await outbox.add(4, 'first', false, 'c-1');
    await outbox.add(4, 'second', true, 'c-2');
    await outbox.add(7, 'third', false, 'c-3');
    store.close();

    const reopened = new Outbox(await openLocalStore(key, factory), 2);
    await reopened.load();
    expect(reopened.pending().map((e) => e.clientId)).toEqual(['c-1', 'c-2', 'c-3']);
    expect(reopened.pending()[1]).toMatchObject({ body: 'second', urgent: true, threadId: 4 });
    expect(reopened.forThread(7).map((e) => e.body)).toEqual(['third']);
    expect(first.order).toBeLessThan(reopened.pending()[2].order);
    const later = await reopened.add(4, 'fourth', false, 'c-4');
    expect(later.order).toBeGreaterThan(reopened.pending()[2].order);
  });

  test('a confirmation removes the entry once; a duplicate confirmation is harmless', async () => {
    const store = await openLocalStore(key, new IDBFactory());
    const outbox = new Outbox(store, 2);
    await outbox.load();
    await outbox.add(4, 'hello', false, 'c-1');
    expect(await outbox.confirm('c-1')).toBe(true);
    expect(await outbox.confirm('c-1')).toBe(false);
    expect(outbox.pending()).toEqual([]);
    expect(await store.outboxAll(2)).toEqual([]);
  });

  test('errors: retryable ones keep the entry pending, others mark it failed until retried', async () => {
    const outbox = new Outbox(await openLocalStore(key, new IDBFactory()), 2);
    await outbox.load();
    await outbox.add(4, 'a', false, 'c-1');
    await outbox.add(4, 'b', false, 'c-2');
    expect(await outbox.reject('c-1', 'resource_exhausted', 'sending too fast')).toBe('retry');
    expect(await outbox.reject('c-2', 'permission_denied', 'you are not a member of this thread')).toBe('failed');
    expect(outbox.pending().map((e) => e.clientId)).toEqual(['c-1']);
    expect(outbox.all()[1].failed).toBe('you are not a member of this thread');
    await outbox.retry('c-2');
    expect(outbox.pending().map((e) => e.clientId)).toEqual(['c-1', 'c-2']);
    expect(await outbox.reject('unknown', 'internal', 'x')).toBe('done');
  });

  test('one send in flight per thread: the next waits for the answer, a retryable error holds the thread', async () => {
    const outbox = new Outbox(await openLocalStore(key, new IDBFactory()), 2);
    await outbox.load();
    await outbox.add(4, 'a', false, 'c-1');
    await outbox.add(4, 'b', false, 'c-2');
    await outbox.add(7, 'c', false, 'c-3');
    const ids = () => outbox.ready().map((e) => e.clientId);
    expect(ids()).toEqual(['c-1', 'c-3']);
    outbox.markInFlight('c-1');
    outbox.markInFlight('c-3');
    expect(ids()).toEqual([]);
    expect(await outbox.reject('c-1', 'resource_exhausted', 'sending too fast')).toBe('retry');
    expect(ids()).toEqual([]);
    outbox.release(4);
    expect(ids()).toEqual(['c-1']);
    outbox.markInFlight('c-1');
    await outbox.confirm('c-1');
    expect(ids()).toEqual(['c-2']);
    outbox.markInFlight('c-2');
    expect(await outbox.reject('c-2', 'invalid_argument', 'the message is empty')).toBe('failed');
    expect(ids()).toEqual([]);
    outbox.resetInFlight();
    expect(ids()).toEqual(['c-3']);
  });

  test('error codes map to what the protocol asks', () => {
    for (const code of ['resource_exhausted', 'unavailable', 'internal', 'deadline_exceeded']) expect(dispositionFor(code)).toBe('retry');
    for (const code of ['invalid_argument', 'permission_denied', 'not_found', 'already_exists']) expect(dispositionFor(code)).toBe('failed');
  });

  test('bodies are sealed at rest: no text in the stored record, unreadable with another key or for another user', async () => {
    const factory = new IDBFactory();
    const store = await openLocalStore(key, factory);
    await new Outbox(store, 2).add(4, 'Bed 4 potassium is 6.1', false, 'c-1');
    store.close();
    const raw = await new Promise<Record<string, unknown>[]>((resolve) => {
      const request = factory.open(kDatabaseName);
      request.onsuccess = () => {
        const get = request.result.transaction('outbox').objectStore('outbox').getAll();
        get.onsuccess = () => {
          request.result.close();
          resolve(get.result);
        };
      };
    });
    expect(raw).toHaveLength(1);
    expect(raw[0].body).toBeUndefined();
    expect(JSON.stringify(raw[0])).not.toContain('potassium');
    expect(new TextDecoder().decode((raw[0].sealed as { data: ArrayBuffer }).data)).not.toContain('potassium');

    const otherKey = await importStorageKey('A'.repeat(43));
    const withOtherKey = await openLocalStore(otherKey, factory);
    expect(await withOtherKey.outboxAll(2)).toEqual([]);
    withOtherKey.close();
    // Moved to another user, the sealed body no longer opens.
    await rawPut(factory, { ...raw[0], userId: 3 });
    const reopened = await openLocalStore(key, factory);
    expect(await reopened.outboxAll(3)).toEqual([]);
  });

  test('an entry stored before bodies were sealed is read once and sealed', async () => {
    const factory = new IDBFactory();
    (await openLocalStore(key, factory)).close();
    await rawPut(factory, { clientId: 'old-1', userId: 2, threadId: 4, body: 'from before', urgent: false, order: 1, createdAt: '', failed: null });
    const store = await openLocalStore(key, factory);
    expect((await store.outboxAll(2)).map((e) => e.body)).toEqual(['from before']);
    store.close();
    const withOtherKey = await openLocalStore(await importStorageKey('A'.repeat(43)), factory);
    expect(await withOtherKey.outboxAll(2)).toEqual([]);
  });

  test('entries and cursors are per user; deleting the database removes everything', async () => {
    const factory = new IDBFactory();
    const store = await openLocalStore(key, factory);
    await new Outbox(store, 2).add(4, 'mine', false, 'c-1');
    await store.setCursor(2, 'abc.17');
    await store.setOwner(2);
    const other = new Outbox(store, 3);
    await other.load();
    expect(other.pending()).toEqual([]);
    expect(await store.getCursor(3)).toBeNull();
    expect(await store.getCursor(2)).toBe('abc.17');
    expect(await store.owner()).toBe(2);
    store.close();
    await deleteLocalData(factory);
    expect((await factory.databases()).map((d) => d.name)).not.toContain(kDatabaseName);
    const fresh = await openLocalStore(key, factory);
    expect(await fresh.outboxAll(2)).toEqual([]);
    expect(await fresh.getCursor(2)).toBeNull();
  });
});
