import { describe, expect, it } from 'vitest';
import { insertMessage, type ThreadState } from './store';
import type { MessageEvent } from './types';

function state(): ThreadState {
  return {
    thread: { id: 4, kind: 'direct', title: '', member_ids: [2, 3], patient: null, created_at: '2025-06-02T14:00:00.000000Z', last_seq: 0, read_seq: 0, unread_count: 0, has_unread_urgent: false, last_message: null },
    messages: [], ids: new Set(), clientIds: new Set(), historyLoaded: true, reachedStart: true, loadingOlder: false,
    readMarks: new Map(), delivered: new Map(), typing: new Map(), activity: '', removed: false, removedBy: null, openedReadSeq: 0, routed: new Map(), held: [], lastHeldId: null, lastLoopId: null,
    invitations: [],
    announced: new Map(),
  };
}

const sent: MessageEvent = { id: 20, kind: 'message', thread_id: 4, at: '2025-06-02T14:20:00.000000Z', seq: 1, sender_id: 2, client_id: 'c-1', urgent: false, body: 'Bed 4' };

describe('a message written offline', () => {
  it('learns its written time from its event when its sent answer showed it first', () => {
    const thread = state();
    expect(insertMessage(thread, sent)).toBe(true);
    expect(insertMessage(thread, { ...sent, written_at: '2025-06-02T14:02:00.000000Z' })).toBe(false);
    expect(thread.messages).toHaveLength(1);
    expect(thread.messages[0].written_at).toBe('2025-06-02T14:02:00.000000Z');
  });
});
