import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, test } from 'vitest';
import { databaseName, deleteLocalData, kLegacyDatabaseName, kOutboxLimit, kStaleAfterMs, LocalDataBlocked, moveLegacyEntries, openLocalStore, sweepOtherStores } from './db';
import { dispositionFor, Outbox, OutboxFull, sendFrame } from './outbox';
import { importStorageKey } from './vault';

const kKey = 'q3v1f2QpXo7m0Q8lJkR1bB7cX4yN9sT6uW2eA5dH0gI';
const key = await importStorageKey(kKey);

// Writes an outbox record as it is stored, past the store's sealing.
function rawPut(factory: IDBFactory, record: Record<string, unknown>, name = databaseName(2)): Promise<void> {
  return new Promise((resolve) => {
    const request = factory.open(name);
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
    const store = await openLocalStore(2, key, factory);
    const outbox = new Outbox(store, 2);
    await outbox.load();
    const first = await outbox.add(4, 'first', false, 'c-1');
    await outbox.add(4, 'second', true, 'c-2');
    await outbox.add(7, 'third', false, 'c-3');
    store.close();

    const reopened = new Outbox(await openLocalStore(2, key, factory), 2);
    await reopened.load();
    expect(reopened.pending().map((e) => e.clientId)).toEqual(['c-1', 'c-2', 'c-3']);
    expect(reopened.pending()[1]).toMatchObject({ body: 'second', urgent: true, threadId: 4 });
    expect(reopened.forThread(7).map((e) => e.body)).toEqual(['third']);
    expect(first.order).toBeLessThan(reopened.pending()[2].order);
    const later = await reopened.add(4, 'fourth', false, 'c-4');
    expect(later.order).toBeGreaterThan(reopened.pending()[2].order);
  });

  test('a confirmation removes the entry once; a duplicate confirmation is harmless', async () => {
    const store = await openLocalStore(2, key, new IDBFactory());
    const outbox = new Outbox(store, 2);
    await outbox.load();
    await outbox.add(4, 'hello', false, 'c-1');
    expect(await outbox.confirm('c-1')).toBe(true);
    expect(await outbox.confirm('c-1')).toBe(false);
    expect(outbox.pending()).toEqual([]);
    expect(await store.outboxAll(2)).toEqual([]);
  });

  test('errors: retryable ones keep the entry pending, others mark it failed until retried', async () => {
    const outbox = new Outbox(await openLocalStore(2, key, new IDBFactory()), 2);
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
    const outbox = new Outbox(await openLocalStore(2, key, new IDBFactory()), 2);
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
    const store = await openLocalStore(2, key, factory);
    await new Outbox(store, 2).add(4, 'Bed 4 potassium is 6.1', false, 'c-1');
    store.close();
    const raw = await new Promise<Record<string, unknown>[]>((resolve) => {
      const request = factory.open(databaseName(2));
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
    const withOtherKey = await openLocalStore(2, otherKey, factory);
    expect(await withOtherKey.outboxAll(2)).toEqual([]);
    withOtherKey.close();
    // Moved to another user, the sealed body no longer opens.
    await rawPut(factory, { ...raw[0], userId: 3 });
    const reopened = await openLocalStore(2, key, factory);
    expect(await reopened.outboxAll(3)).toEqual([]);
  });

  test('an entry stored before bodies were sealed is read once and sealed', async () => {
    const factory = new IDBFactory();
    (await openLocalStore(2, key, factory)).close();
    await rawPut(factory, { clientId: 'old-1', userId: 2, threadId: 4, body: 'from before', urgent: false, order: 1, createdAt: '', failed: null });
    const store = await openLocalStore(2, key, factory);
    expect((await store.outboxAll(2)).map((e) => e.body)).toEqual(['from before']);
    store.close();
    const withOtherKey = await openLocalStore(2, await importStorageKey('A'.repeat(43)), factory);
    expect(await withOtherKey.outboxAll(2)).toEqual([]);
  });

  test('one database per user: another user’s store never sees or deletes her entries', async () => {
    const factory = new IDBFactory();
    const mine = await openLocalStore(2, key, factory);
    await new Outbox(mine, 2).add(4, 'mine', false, 'c-1');
    await mine.setCursor(2, 'abc.17');
    mine.close();
    const otherKey = await importStorageKey('B'.repeat(43));
    const theirs = await openLocalStore(3, otherKey, factory);
    const other = new Outbox(theirs, 3);
    await other.load();
    expect(other.pending()).toEqual([]);
    expect(await theirs.getCursor(3)).toBeNull();
    theirs.close();
    await deleteLocalData(3, factory);
    const names = (await factory.databases()).map((d) => d.name);
    expect(names).toEqual([databaseName(2)]);
    const reopened = await openLocalStore(2, key, factory);
    expect((await reopened.outboxAll(2)).map((e) => e.body)).toEqual(['mine']);
    expect(await reopened.getCursor(2)).toBe('abc.17');
  });

  test('an open store lets another tab delete its database: it closes and says why', async () => {
    const factory = new IDBFactory();
    const store = await openLocalStore(2, key, factory);
    const lost: string[] = [];
    store.onLost((reason) => lost.push(reason));
    await deleteLocalData(2, factory);
    await expect.poll(async () => (await factory.databases()).map((d) => d.name)).toEqual([]);
    expect(lost).toEqual(['deleted']);
  });

  test('opening a database another tab keeps busy gives up with a clear error', async () => {
    const factory = new IDBFactory();
    // A tab of an older version holds the database and never lets go; a deletion waits
    // for it, and so does every open queued behind the deletion.
    const holder = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open(databaseName(2), 1);
      request.onupgradeneeded = () => request.result.createObjectStore('outbox', { keyPath: 'clientId' });
      request.onsuccess = () => resolve(request.result);
    });
    await deleteLocalData(2, factory);
    await expect(openLocalStore(2, key, factory, 20)).rejects.toBeInstanceOf(LocalDataBlocked);
    await expect(openLocalStore(2, key, factory, 20)).rejects.toThrow(/Close the other Wardline tabs/);
    holder.close();
  });

  test('the cache is sealed for its user: no text at rest, unreadable with another key', async () => {
    const factory = new IDBFactory();
    const store = await openLocalStore(2, key, factory);
    await store.cachePut('messages:4', [{ body: 'Bed 4 potassium is 6.1' }]);
    expect(await store.cacheGet('messages:4')).toEqual([{ body: 'Bed 4 potassium is 6.1' }]);
    expect(await store.cacheGet('threads')).toBeNull();
    store.close();
    const raw = await new Promise<unknown>((resolve) => {
      const request = factory.open(databaseName(2));
      request.onsuccess = () => {
        const get = request.result.transaction('cache').objectStore('cache').get('messages:4');
        get.onsuccess = () => {
          request.result.close();
          resolve(get.result);
        };
      };
    });
    expect(new TextDecoder('latin1').decode((raw as { data: ArrayBuffer }).data)).not.toContain('potassium');
    const withOtherKey = await openLocalStore(2, await importStorageKey('A'.repeat(43)), factory);
    expect(await withOtherKey.cacheGet('messages:4')).toBeNull();
    await withOtherKey.cacheClear();
    expect(await withOtherKey.cacheGet('messages:4')).toBeNull();
  });

  test('other users’ stale databases: emptied of their cache, deleted only when nothing is unsent', async () => {
    const factory = new IDBFactory();
    const seed = async (userId: number, queued: boolean) => {
      const store = await openLocalStore(userId, key, factory);
      if (queued) await new Outbox(store, userId).add(4, 'unsent', false, `c-${userId}`);
      await store.cachePut('threads', { users: [], threads: [] });
      store.close();
    };
    await seed(2, false);
    await seed(3, false);
    await seed(4, true);
    const names = async () => (await factory.databases()).map((d) => d.name).sort();
    // Within the stale bound nothing changes.
    await sweepOtherStores(2, Date.now(), factory);
    expect(await names()).toEqual([databaseName(2), databaseName(3), databaseName(4)]);
    await sweepOtherStores(2, Date.now() + kStaleAfterMs + 1000, factory);
    expect(await names()).toEqual([databaseName(2), databaseName(4)]);
    const kept = await openLocalStore(4, key, factory);
    expect((await kept.outboxAll(4)).map((e) => e.body)).toEqual(['unsent']);
    expect(await kept.cacheGet('threads')).toBeNull();
    kept.close();
    const self = await openLocalStore(2, key, factory);
    expect(await self.cacheGet('threads')).toEqual({ users: [], threads: [] });
  });

  test('entries of the earlier single database move to their owner’s; the old database goes when empty', async () => {
    const factory = new IDBFactory();
    const legacy = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open(kLegacyDatabaseName, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore('outbox', { keyPath: 'clientId' });
        request.result.createObjectStore('meta');
      };
      request.onsuccess = () => resolve(request.result);
    });
    legacy.close();
    // Sealed as the earlier version sealed them (the sealing names user and client id).
    const scratch = await openLocalStore(9, key, factory);
    await new Outbox(scratch, 2).add(4, 'hers', false, 'c-2');
    await new Outbox(scratch, 3).add(5, 'his', false, 'c-3');
    const records = await new Promise<Record<string, unknown>[]>((resolve) => {
      const request = factory.open(databaseName(9));
      request.onsuccess = () => {
        const get = request.result.transaction('outbox').objectStore('outbox').getAll();
        get.onsuccess = () => {
          request.result.close();
          resolve(get.result);
        };
      };
    });
    scratch.close();
    for (const record of records) await rawPut(factory, record, kLegacyDatabaseName);

    const hers = await openLocalStore(2, key, factory);
    await moveLegacyEntries(2, hers, factory);
    expect((await hers.outboxAll(2)).map((e) => e.body)).toEqual(['hers']);
    expect((await factory.databases()).map((d) => d.name)).toContain(kLegacyDatabaseName);
    const his = await openLocalStore(3, key, factory);
    await moveLegacyEntries(3, his, factory);
    expect((await his.outboxAll(3)).map((e) => e.body)).toEqual(['his']);
    expect((await factory.databases()).map((d) => d.name)).not.toContain(kLegacyDatabaseName);
  });

  test('the outbox is bounded', async () => {
    const outbox = new Outbox(await openLocalStore(2, key, new IDBFactory()), 2);
    await outbox.load();
    for (let i = 0; i < kOutboxLimit; i++) await outbox.add(4, `m${i}`, false, `c-${i}`);
    await expect(outbox.add(4, 'one more', false, 'c-x')).rejects.toBeInstanceOf(OutboxFull);
    expect(outbox.all()).toHaveLength(kOutboxLimit);
  });
});

describe('the send frame', () => {
  const now = Date.parse('2026-12-07T22:10:30Z');
  const entry = { clientId: 'c-1', userId: 2, threadId: 4, body: 'Bed 4', urgent: false, order: 1, createdAt: '2026-12-07T22:10:00.000Z', failed: null };

  test('urgent and override only when set; override never on a normal message', () => {
    expect(sendFrame(entry, now)).toEqual({ type: 'send', thread_id: 4, client_id: 'c-1', body: 'Bed 4' });
    expect(sendFrame({ ...entry, urgent: true }, now)).toEqual({ type: 'send', thread_id: 4, client_id: 'c-1', body: 'Bed 4', urgent: true });
    expect(sendFrame({ ...entry, urgent: true, override: true }, now)).toEqual({ type: 'send', thread_id: 4, client_id: 'c-1', body: 'Bed 4', urgent: true, override: true });
    expect(sendFrame({ ...entry, override: true }, now)).toEqual({ type: 'send', thread_id: 4, client_id: 'c-1', body: 'Bed 4' });
    expect(sendFrame({ ...entry, callback: '+15550102000' }, now)).toEqual({ type: 'send', thread_id: 4, client_id: 'c-1', body: 'Bed 4', callback: '+15550102000' });
  });

  test('an entry written a while ago says when', () => {
    expect(sendFrame(entry, now + 120_000).written_at).toBe('2026-12-07T22:10:00.000Z');
    expect(sendFrame(entry, now + 8 * 24 * 3600_000).written_at).toBeUndefined();
  });

  test('the outbox keeps an override only with urgent, through a reload', async () => {
    const factory = new IDBFactory();
    const store = await openLocalStore(2, key, factory);
    const outbox = new Outbox(store, 2);
    await outbox.add(4, 'now', true, 'c-1', true);
    await outbox.add(4, 'not urgent', false, 'c-2', true);
    const reopened = new Outbox(store, 2);
    await reopened.load();
    expect(reopened.all().map((e) => [e.clientId, e.urgent, e.override ?? false])).toEqual([['c-1', true, true], ['c-2', false, false]]);
    store.close();
  });
});
