import { describe, expect, test } from 'vitest';
import type { OutboxEntry } from './db';
import { timeOfDay } from './format';
import { addHeld, heldFromSent, heldNotice, heldPeer, heldText, mayHold, reconcileHeld, refill, releaseHeld, withoutHeld } from './held';
import type { Held, Thread } from './types';

const names: Record<number, string> = { 2: 'Dr. Nina Patel', 3: 'Dr. Emeka Okafor' };
const name = (id: number) => names[id];
const morning = '2026-12-08T07:00:00Z';

function thread(kind: Thread['kind'], members: number[]): Thread {
  return {
    id: 4, kind, title: '', member_ids: members, patient: null, created_at: '2026-12-07T13:00:00Z',
    last_seq: 0, read_seq: 0, unread_count: 0, has_unread_urgent: false, last_message: null,
  };
}

function held(id: number, clientId = `c-${id}`): Held {
  return {
    held_id: id, thread_id: 4, client_id: clientId, body: `b${id}`, urgent: false, user_id: 3,
    held_at: `2026-12-07T22:0${id}:00Z`, until: morning, written_at: null,
  };
}

const entry: OutboxEntry = {
  clientId: 'c-9', userId: 2, threadId: 4, body: 'Bed 4 potassium 6.1', urgent: true, order: 1, createdAt: '2026-12-07T22:10:00.000Z', failed: null,
};

describe('where messages are held', () => {
  test('a direct thread, or a patient thread of two: the other person', () => {
    expect(heldPeer(thread('direct', [2, 3]), 2)).toBe(3);
    expect(heldPeer(thread('patient', [2, 3]), 2)).toBe(3);
    expect(heldPeer(thread('patient', [2, 3, 5]), 2)).toBeNull();
    expect(heldPeer(thread('group', [2, 3]), 2)).toBeNull();
    expect(heldPeer(thread('role', [2, 3]), 2)).toBeNull();
    // A thread the user is no longer in.
    expect(heldPeer(thread('direct', [3, 5]), 2)).toBeNull();
  });

  test('a conversation between two people that others joined is still theirs', () => {
    const grown = { ...thread('direct', [2, 3, 7]), pair_user_ids: [2, 3] as [number, number] };
    expect(heldPeer(grown, 2)).toBe(3);
    expect(heldPeer(grown, 3)).toBe(2);
    expect(heldPeer(grown, 7)).toBeNull();
    // A patient group left with two members is still a group.
    const patientGroup = { ...thread('patient', [2, 3]), pair_user_ids: null };
    expect(heldPeer(patientGroup, 2)).toBeNull();
  });

  test('held messages are asked for in direct and patient threads only', () => {
    expect(mayHold(thread('direct', [2, 3]))).toBe(true);
    expect(mayHold(thread('patient', [2, 3, 5]))).toBe(true);
    expect(mayHold(thread('group', [2, 3]))).toBe(false);
    expect(mayHold(thread('role', [2]))).toBe(false);
  });
});

describe('the held list', () => {
  test('a `sent` with `held` becomes a held message with the outbox entry\'s text', () => {
    const made = heldFromSent(
      { type: 'sent', client_id: 'c-9', thread_id: 4, at: '2026-12-07T22:10:00.000102Z', duplicate: false, held: { held_id: 9, user_id: 3, availability: 'off_duty', until: morning } },
      entry,
    );
    expect(made).toEqual({
      held_id: 9, thread_id: 4, client_id: 'c-9', body: 'Bed 4 potassium 6.1', urgent: true, user_id: 3,
      held_at: '2026-12-07T22:10:00.000102Z', until: morning, written_at: null, availability: 'off_duty',
      sender_id: 2, state: 'off_duty', screened_by: null, gatekeeper_ids: [],
    });
  });

  test('a screened `sent` keeps its state and the gatekeepers', () => {
    const made = heldFromSent(
      {
        type: 'sent', client_id: 'c-9', thread_id: 4, at: '2026-12-07T22:10:00.000102Z', duplicate: false,
        held: { held_id: 9, user_id: 3, availability: 'in_procedure', until: null, state: 'screening', gatekeeper_ids: [17, 8] },
      },
      entry,
    );
    expect(made.state).toBe('screening');
    expect(made.gatekeeper_ids).toEqual([17, 8]);
  });

  test('added once, oldest first; released by its client id; withdrawn by its held id', () => {
    let list = addHeld([], held(2));
    list = addHeld(list, held(1));
    list = addHeld(list, held(2));
    expect(list.map((h) => h.held_id)).toEqual([1, 2]);
    expect(releaseHeld(list, 'c-1').map((h) => h.held_id)).toEqual([2]);
    expect(releaseHeld(list, 'other')).toHaveLength(2);
    expect(withoutHeld(list, 2).map((h) => h.held_id)).toEqual([1]);
  });

  test("the server's answer replaces the list", () => {
    const local = [held(1), held(2)];
    // 2 was released or withdrawn on another device; 3 was held by another device.
    const answer = [held(1), held(3)];
    expect(reconcileHeld(answer, local, new Set([1, 2]), new Set()).map((h) => h.held_id)).toEqual([1, 3]);
    expect(reconcileHeld([], local, new Set([1, 2]), new Set())).toEqual([]);
  });

  test('what changed while the request was out is kept', () => {
    // Asked with 1 and 2 known; meanwhile 2 was withdrawn here, 4 was held by a `sent`,
    // and 1's message arrived (released).
    const local = [held(1), held(4)];
    const answer = [held(1), held(2)];
    expect(reconcileHeld(answer, local, new Set([1, 2]), new Set(['c-1'])).map((h) => h.held_id)).toEqual([4]);
    // A message already in the thread is never shown held, whatever the answer says.
    expect(reconcileHeld([held(5)], [], new Set(), new Set(['c-5']))).toEqual([]);
  });

  test("the server's copy keeps the availability a `sent` told", () => {
    const local = [{ ...held(1), availability: 'off_duty' as const }];
    expect(reconcileHeld([held(1)], local, new Set([1]), new Set())[0].availability).toBe('off_duty');
    expect(reconcileHeld([held(1)], [], new Set(), new Set())[0].availability).toBeUndefined();
  });
});

describe('held texts', () => {
  test('the bubble says whom it waits for and until when', () => {
    expect(heldText(held(1), name)).toBe(`Held — Dr. Emeka Okafor is off duty until ${timeOfDay(morning)}`);
    expect(heldText({ ...held(1), until: null }, name)).toBe('Held — Dr. Emeka Okafor is off duty until they are back on duty');
    expect(heldNotice({ ...held(1), until: null }, name)).toBe('Your message is held: Dr. Emeka Okafor is off duty until they are back on duty.');
  });

  test('a withdrawn message goes back to the composer, its quote too, after what is typed', () => {
    expect(refill('', null, 'Bed 4 potassium 6.1')).toEqual({ text: 'Bed 4 potassium 6.1', quote: null });
    expect(refill('  ', null, '> Dr. Emeka Okafor:\n> Any labs?\n\nPotassium 6.1')).toEqual({
      text: 'Potassium 6.1', quote: { author: 'Dr. Emeka Okafor', text: 'Any labs?' },
    });
    const quote = { author: 'A', text: 'q' };
    expect(refill('Also: ', quote, 'Bed 4')).toEqual({ text: 'Also:\n\nBed 4', quote });
  });
});
