import { describe, expect, test } from 'vitest';
import {
  availabilityText, heldHint, memberAvailabilityLines, nextTimeOfDay, overrideHint, ownAvailabilityText, roleAvailabilityLines, rolePreviewShown, statusLabel, threadPreviewShown,
} from './availability';
import { timeOfDay } from './format';
import type { Recipient } from './types';

const names: Record<number, string> = { 2: 'Dr. Nina Patel', 3: 'Dr. Emeka Okafor', 7: 'Jordan Brooks, NP' };
const name = (id: number) => names[id];
const evening = '2026-12-07T00:00:00Z';

describe('availability texts', () => {
  test('a status, with its end when it has one', () => {
    expect(availabilityText('off_duty', null)).toBe('off duty');
    expect(availabilityText('in_procedure', evening)).toBe(`in procedure until ${timeOfDay(evening)}`);
    expect(availabilityText('available', evening)).toBe('available');
    expect(statusLabel('in_procedure')).toBe('In procedure');
    expect(ownAvailabilityText('busy', null)).toBe('You are busy.');
  });

  test('a conversation warns about the members who are not available, and says nothing when all are', () => {
    expect(memberAvailabilityLines([{ user_id: 3, reason: 'member', availability: 'available', until: null }], name)).toEqual([]);
    expect(memberAvailabilityLines([
      { user_id: 2, reason: 'member', availability: 'available', until: null },
      { user_id: 3, reason: 'member', availability: 'off_duty', until: null },
      { user_id: 7, reason: 'member', availability: 'busy', until: evening },
    ], name)).toEqual(['Dr. Emeka Okafor is off duty', `Jordan Brooks, NP is busy until ${timeOfDay(evening)}`]);
  });

  test("a role's recipients: one line for each who is not available; none without the fields", () => {
    expect(roleAvailabilityLines([
      { user_id: 3, availability: 'off_duty', until: evening },
      { user_id: 2, availability: 'available', until: null },
      { user_id: 7 },
    ], name)).toEqual([`Dr. Emeka Okafor · off duty until ${timeOfDay(evening)}`]);
  });
});

describe('until a time of day', () => {
  test('today when it is still ahead, else tomorrow', () => {
    const now = new Date(2026, 11, 7, 14, 30).getTime();
    expect(nextTimeOfDay('19:00', now)).toBe(new Date(2026, 11, 7, 19, 0).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(nextTimeOfDay('07:00', now)).toBe(new Date(2026, 11, 8, 7, 0).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(nextTimeOfDay('14:30', now)).toBe(new Date(2026, 11, 8, 14, 30).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });
});

describe('the composer preview', () => {
  test('a role: where it goes, and how each recipient is; refreshed for its recipients', () => {
    const shown = rolePreviewShown({
      role_id: 2, via_role_id: 2, fallback: false, recipients: [{ user_id: 3, reason: 'on_call', availability: 'off_duty', until: evening }],
    }, 'Hospitalist On Call', name);
    expect(shown).toEqual({
      route: 'Goes to Dr. Emeka Okafor (on call)', blocked: false, lines: [`Dr. Emeka Okafor · off duty until ${timeOfDay(evening)}`], forwarding: [], hold: null, people: [3],
    });
    expect(rolePreviewShown({ role_id: 2, via_role_id: 2, fallback: false, recipients: [] }, 'X', name).blocked).toBe(true);
  });

  test('a conversation: no route, only the members who are not available', () => {
    expect(threadPreviewShown([{ user_id: 3, reason: 'member', availability: 'available', until: null }], name))
      .toEqual({ route: null, blocked: false, lines: [], forwarding: [], hold: null, people: [3] });
    expect(threadPreviewShown([{ user_id: 3, reason: 'member', availability: 'busy', until: null }], name).lines).toEqual(['Dr. Emeka Okafor is busy']);
  });

  test('a conversation between two people whose other person is off duty says the message will be held', () => {
    const off = [{ user_id: 3, reason: 'member', availability: 'off_duty' as const, until: evening }];
    expect(threadPreviewShown(off, name, 3).hold).toEqual({ status: 'off_duty', screening: false, userId: 3, text: `Dr. Emeka Okafor is off duty until ${timeOfDay(evening)}: your message will be held until then.` });
    expect(threadPreviewShown([{ ...off[0], until: null }], name, 3).hold?.text)
      .toBe('Dr. Emeka Okafor is off duty: your message will be held until they are back on duty.');
    expect(overrideHint(3, name)).toBe('Emergency override: Dr. Emeka Okafor gets this urgent message now, although off duty.');
    // Not in a group (no peer), and not for someone only busy or in a procedure.
    expect(threadPreviewShown(off, name, null).hold).toBeNull();
    expect(threadPreviewShown([{ ...off[0], availability: 'busy' }], name, 3).hold).toBeNull();
    expect(threadPreviewShown([{ ...off[0], availability: 'in_procedure' }], name, 3).hold).toBeNull();
    // The preview does not name the peer (an older server, or the member changed).
    expect(threadPreviewShown([], name, 3).hold).toBeNull();
    // An older server without availability fields: nothing is held.
    expect(heldHint(3, [{ user_id: 3, reason: 'member' } as Recipient], name)).toBeNull();
  });
});
