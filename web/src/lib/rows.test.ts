import { describe, expect, test } from 'vitest';
import type { OutboxEntry } from './db';
import { threadRows } from './rows';
import type { Held, MessageEvent } from './types';

const kSelf = 2;

function message(seq: number, at: string, sender = 9): MessageEvent {
  return { id: 100 + seq, kind: 'message', thread_id: 1, at, seq, sender_id: sender, client_id: `c${seq}`, urgent: false, body: `m${seq}` };
}

function entry(clientId: string, createdAt: string): OutboxEntry {
  return { clientId, userId: kSelf, threadId: 1, body: 'queued', urgent: false, order: 1, createdAt, failed: null };
}

// Local times, so the days are the test machine's days whatever its time zone.
const at = (day: number, hour: number) => new Date(2025, 5, day, hour, 0).toISOString();

const shape = (rows: ReturnType<typeof threadRows>) =>
  rows.map((r) => (r.type === 'message' ? r.message.seq : r.type === 'pending' ? r.entry.clientId : r.type === 'held' ? `held ${r.held.held_id}` : r.type === 'unread' ? `unread ${r.count}` : r.type));

describe('threadRows', () => {
  test('a separator starts each local day, pending entries included', () => {
    const rows = threadRows([message(1, at(2, 9)), message(2, at(2, 23)), message(3, at(3, 0)), message(4, at(5, 12))], [entry('q', at(6, 8))], kSelf, null);
    expect(shape(rows)).toEqual(['top', 'day', 1, 2, 'day', 3, 'day', 4, 'day', 'q']);
    expect(rows.filter((r) => r.type === 'day').map((r) => r.key)).toEqual(['day:2025-06-02', 'day:2025-06-03', 'day:2025-06-05', 'day:2025-06-06']);
  });

  test('the divider goes above the first unread message from someone else and counts them', () => {
    const messages = [message(1, at(2, 9)), message(2, at(2, 10), kSelf), message(3, at(2, 11)), message(4, at(2, 12), kSelf), message(5, at(2, 13))];
    expect(shape(threadRows(messages, [], kSelf, 1))).toEqual(['top', 'day', 1, 2, 'unread 2', 3, 4, 5]);
    expect(shape(threadRows(messages, [], kSelf, 5))).toEqual(['top', 'day', 1, 2, 3, 4, 5]);
  });

  test('a divider at the start of a day comes after that day\'s separator', () => {
    const rows = threadRows([message(1, at(2, 9)), message(2, at(3, 9))], [], kSelf, 1);
    expect(shape(rows)).toEqual(['top', 'day', 1, 'day', 'unread 1', 2]);
  });

  test('no divider while the first unread message is not loaded', () => {
    const rows = threadRows([message(7, at(2, 9)), message(8, at(2, 10))], [], kSelf, 3);
    expect(shape(rows)).toEqual(['top', 'day', 7, 8]);
    expect(shape(threadRows([message(7, at(2, 9)), message(8, at(2, 10))], [], kSelf, 6))).toEqual(['top', 'day', 'unread 2', 7, 8]);
  });

  test('held messages come after the messages and before the unsent ones, with their day', () => {
    const held: Held = {
      held_id: 3, thread_id: 1, client_id: 'h', body: 'held', urgent: false, user_id: 9, held_at: at(3, 22), until: null, written_at: null,
    };
    const rows = threadRows([message(1, at(2, 9))], [entry('q', at(4, 8))], kSelf, null, [held]);
    expect(shape(rows)).toEqual(['top', 'day', 1, 'day', 'held 3', 'day', 'q']);
    expect(rows.find((r) => r.type === 'held')?.key).toBe('h3');
  });
});
