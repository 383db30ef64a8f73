import { describe, expect, test } from 'vitest';
import { timeOfDay } from './format';
import {
  awaitsAcceptance, changesHandoffs, handedOverText, handOffBannerText, noteSentText, noteToSend, rolesOnShift, withoutHandoff,
} from './handoffs';
import { routedText } from './routing';
import type { HandOff, Role } from './types';

const names: Record<number, string> = { 9: 'Olivia Harper, RN', 10: 'Mateo Santos, RN' };
const name = (id: number) => names[id] ?? `User ${id}`;
const roleName = (id: number) => (id === 6 ? '4 West Charge Nurse' : `Role ${id}`);

function handOff(messageId: number): HandOff {
  return {
    message_id: messageId, role_id: 6, thread_id: 4, message_seq: 1, from_user_id: 9, to_user_id: 10,
    created_at: '2026-12-07T23:58:00Z', accepted_at: null,
  };
}

describe('hand-off notes', () => {
  test('the routed lines under a note: to whom, and accepted when', () => {
    expect(routedText({ user_id: 10, reason: 'hand_off', role_id: 6 }, name, () => null)).toBe('Hand-off note to Mateo Santos, RN');
    const at = '2026-12-08T00:04:00Z';
    expect(routedText({ user_id: 10, reason: 'accepted', role_id: 6, at }, name, () => null)).toBe(`Accepted by Mateo Santos, RN at ${timeOfDay(at)}`);
    // Without the event's time (an older cache): the person alone.
    expect(routedText({ user_id: 10, reason: 'accepted', role_id: 6 }, name, () => null)).toBe('Accepted by Mateo Santos, RN');
  });

  test('a note waits for acceptance by the person it is to, until they accept it', () => {
    const toSantos = [{ user_id: 10, reason: 'hand_off' as const }];
    expect(awaitsAcceptance(toSantos, 10)).toBe(true);
    // Its writer, or anyone else, sees no Accept.
    expect(awaitsAcceptance(toSantos, 9)).toBe(false);
    expect(awaitsAcceptance([...toSantos, { user_id: 10, reason: 'accepted' as const, at: '2026-12-08T00:04:00Z' }], 10)).toBe(false);
    // Listed by GET /handoffs before the thread has its routed events.
    expect(awaitsAcceptance([], 10, true)).toBe(true);
    expect(awaitsAcceptance([{ user_id: 10, reason: 'accepted' as const }], 10, true)).toBe(false);
    // An ordinary message to a role.
    expect(awaitsAcceptance([{ user_id: 10, reason: 'signed_in' as const }], 10)).toBe(false);
  });

  test('the banner names the writer and the role', () => {
    expect(handOffBannerText(handOff(1), name, roleName)).toBe('Hand-off note from Olivia Harper, RN for 4 West Charge Nurse');
  });

  test('which routed events change the list of notes to accept', () => {
    expect(changesHandoffs({ reason: 'hand_off', user_id: 10 }, 10)).toBe(true);
    expect(changesHandoffs({ reason: 'accepted', user_id: 10 }, 10)).toBe(true);
    // About someone else (the writer sees them too), or another reason.
    expect(changesHandoffs({ reason: 'hand_off', user_id: 10 }, 9)).toBe(false);
    expect(changesHandoffs({ reason: 'signed_in', user_id: 10 }, 10)).toBe(false);
  });

  test('a note leaves the list once accepted', () => {
    expect(withoutHandoff([handOff(1), handOff(2)], 1).map((h) => h.message_id)).toEqual([2]);
    expect(withoutHandoff([handOff(1)], 3).map((h) => h.message_id)).toEqual([1]);
  });

  test('the note the hand-over sends: optional, trimmed, with its client id', () => {
    expect(noteToSend('', 'c1')).toBeUndefined();
    expect(noteToSend('  \n ', 'c1')).toBeUndefined();
    expect(noteToSend('  Bed 7 on heparin, APTT due 02:00\n', 'c1')).toEqual({ client_id: 'c1', body: 'Bed 7 on heparin, APTT due 02:00' });
  });

  test('what the dialog says when done', () => {
    expect(handedOverText('4 West Charge Nurse', 'Mateo Santos, RN', false)).toBe('4 West Charge Nurse is handed over to Mateo Santos, RN.');
    expect(handedOverText('4 West Charge Nurse', 'Mateo Santos, RN', true)).toBe('4 West Charge Nurse is handed over to Mateo Santos, RN, with your hand-off note.');
    expect(noteSentText('4 West Charge Nurse', 'Mateo Santos, RN')).toBe('Hand-off note for 4 West Charge Nurse sent to Mateo Santos, RN.');
  });

  test('the roles held by a shift, besides the sign-ins', () => {
    const role = (id: number, nameOf: string, holders: Role['holders']): Role => ({
      id, kind: 'role', name: nameOf, description: '', fallback_role_id: null, fallback_user_id: null, created_at: '', updated_at: '', holders,
    });
    const shift = (userId: number) => ({ user_id: userId, via: 'shift' as const, since: '', until: '', shift_id: 1 });
    const signIn = (userId: number) => ({ user_id: userId, via: 'sign_in' as const, since: '', until: null, shift_id: null });
    const roles = [role(1, 'Rapid Response RN', [shift(10)]), role(2, 'Cardiology On Call', [shift(3)]), role(3, 'ICU Charge', [signIn(10)]), role(4, 'A Team', [shift(10)])];
    expect(rolesOnShift(roles, 10, new Set()).map((r) => r.id)).toEqual([4, 1]);
    expect(rolesOnShift(roles, 10, new Set([4])).map((r) => r.id)).toEqual([1]);
  });
});
