// The rows of a thread's message list, in order: the history edge, a separator at the
// start of each local day, the new-messages divider, the messages, the user's messages
// held for an off-duty person, then the outbox's entries. Separators and the divider are rows like the messages, so the windowed list
// renders them only near the viewport.
import type { OutboxEntry } from './db';
import { dayKey } from './format';
import type { Held, MessageEvent } from './types';

export type ThreadRow =
  | { key: string; type: 'top' }
  | { key: string; type: 'day'; at: string; headsNext: true }
  | { key: string; type: 'unread'; count: number }
  | { key: string; type: 'message'; message: MessageEvent }
  | { key: string; type: 'held'; held: Held }
  | { key: string; type: 'pending'; entry: OutboxEntry };

export const kUnreadKey = 'unread';

// `messages` ascending by seq and contiguous; `pending` the thread's unsent entries not
// among them. The divider goes above the first message from someone else after
// `unreadAfter` (the read position when the thread was opened), when the loaded
// messages reach back to it; null: no divider. `held`: the thread's held messages,
// oldest first, none of them among `messages`.
export function threadRows(
  messages: readonly MessageEvent[],
  pending: readonly OutboxEntry[],
  selfId: number,
  unreadAfter: number | null,
  held: readonly Held[] = [],
): ThreadRow[] {
  const rows: ThreadRow[] = [{ key: 'top', type: 'top' }];
  const reachesDivider = unreadAfter !== null && messages.length > 0 && messages[0].seq <= unreadAfter + 1;
  const unread = reachesDivider ? messages.filter((m) => m.seq > unreadAfter && m.sender_id !== selfId) : [];
  let day = '';
  const startDay = (at: string) => {
    const key = dayKey(at);
    if (key === day) return;
    day = key;
    rows.push({ key: `day:${key}`, type: 'day', at, headsNext: true });
  };
  for (const message of messages) {
    startDay(message.at);
    if (message === unread[0]) rows.push({ key: kUnreadKey, type: 'unread', count: unread.length });
    rows.push({ key: `m${message.id}`, type: 'message', message });
  }
  for (const item of held) {
    startDay(item.held_at);
    rows.push({ key: `h${item.held_id}`, type: 'held', held: item });
  }
  for (const entry of pending) {
    startDay(entry.createdAt);
    rows.push({ key: `c${entry.clientId}`, type: 'pending', entry });
  }
  return rows;
}
