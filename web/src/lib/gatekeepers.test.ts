import { describe, expect, test } from 'vitest';
import { threadPreviewShown, overrideHint } from './availability';
import { timeOfDay } from './format';
import {
  addGatekeeper, decisionText, gatekeepersChanged, kMaxGatekeepers, ownGatekeepersText, removeGatekeeper, screenedForText, screeningHint, withoutScreened,
} from './gatekeepers';
import { heldNotice, heldText, reconcileHeld } from './held';
import { routedText } from './routing';
import type { Held, Recipient, Screened } from './types';

const names: Record<number, string> = { 5: 'Dr. Minh Nguyen', 8: 'Daniel Kim, PA', 9: 'Olivia Harper, RN', 11: 'Grace Chen, RN', 17: 'Riley Morgan', 20: 'Dr. Yasmin Haddad' };
const name = (id: number) => names[id];
const noRole = () => null;

function recipient(fields: Partial<Recipient> = {}): Recipient {
  return { user_id: 5, reason: 'member', availability: 'in_procedure', until: null, forwarding: null, gatekeeper_ids: [17], ...fields };
}

function screened(id: number, fields: Partial<Held> = {}): Held {
  return {
    held_id: id, thread_id: 5, client_id: `c-${id}`, body: `b${id}`, urgent: false, user_id: 5, held_at: '2026-12-07T18:13:26Z', until: null,
    written_at: null, sender_id: 9, state: 'screening', screened_by: null, ...fields,
  };
}

describe('naming gatekeepers', () => {
  test('added at the end, once, never oneself, at most five', () => {
    expect(addGatekeeper([], 17, 5)).toEqual([17]);
    expect(addGatekeeper([17], 8, 5)).toEqual([17, 8]);
    expect(addGatekeeper([17], 17, 5)).toEqual([17]);
    expect(addGatekeeper([17], 5, 5)).toEqual([17]);
    const full = [1, 2, 3, 4, 6];
    expect(full).toHaveLength(kMaxGatekeepers);
    expect(addGatekeeper(full, 7, 5)).toEqual(full);
    expect(removeGatekeeper([17, 8], 17)).toEqual([8]);
  });

  test('changed when the people or their order differ', () => {
    expect(gatekeepersChanged([17, 8], [17, 8])).toBe(false);
    expect(gatekeepersChanged([17, 8], [8, 17])).toBe(true);
    expect(gatekeepersChanged([17], [])).toBe(true);
  });

  test("the dialog's sentence", () => {
    expect(ownGatekeepersText([], name)).toBe('Nobody screens your messages.');
    expect(ownGatekeepersText([17], name)).toBe('Riley Morgan screens your messages while you are not available.');
    expect(ownGatekeepersText([17, 8], name)).toBe('Riley Morgan and Daniel Kim, PA screen your messages while you are not available.');
  });
});

describe("the composer's hint", () => {
  test('someone not available with gatekeepers: who screens their messages', () => {
    expect(screeningHint(recipient(), [recipient()], name, 9)).toBe('Dr. Minh Nguyen is in procedure — Riley Morgan screens their messages');
    expect(screeningHint(recipient({ gatekeeper_ids: [17, 8], availability: 'busy' }), [], name, 9))
      .toBe('Dr. Minh Nguyen is busy — Riley Morgan and Daniel Kim, PA screen their messages');
    const until = '2026-12-08T15:00:00Z';
    expect(screeningHint(recipient({ until }), [], name, 9)).toBe(`Dr. Minh Nguyen is in procedure until ${timeOfDay(until)} — Riley Morgan screens their messages`);
  });

  test('no hint when the message is not screened', () => {
    expect(screeningHint(recipient({ availability: 'available' }), [], name, 9)).toBeNull();
    expect(screeningHint(recipient({ gatekeeper_ids: [] }), [], name, 9)).toBeNull();
    expect(screeningHint(recipient({ gatekeeper_ids: undefined }), [], name, 9)).toBeNull();
    // A gatekeeper's own message.
    expect(screeningHint(recipient(), [], name, 17)).toBeNull();
    // Forwarding comes first.
    const forwarding = { user_id: 5, to_user_id: 20, to_role_id: null, starts_at: '2026-12-07T00:00:00Z', ends_at: null, set_by: 5, set_at: '2026-12-07T00:00:00Z' };
    const forwards = recipient({ forwarding });
    expect(screeningHint(forwards, [forwards, { user_id: 20, reason: 'forwarded', from_user_id: 5, availability: 'available', until: null }], name, 9)).toBeNull();
  });

  test('the preview of a conversation of two: the screening hold, which an urgent override also skips', () => {
    const hold = threadPreviewShown([recipient()], name, 5, undefined, 9).hold;
    expect(hold).toEqual({ userId: 5, text: 'Dr. Minh Nguyen is in procedure — Riley Morgan screens their messages', status: 'in_procedure', screening: true });
    expect(overrideHint(5, name, 'in_procedure')).toBe('Emergency override: Dr. Minh Nguyen gets this urgent message now, although in procedure.');
    // Off duty with gatekeepers: screened, not simply held.
    expect(threadPreviewShown([recipient({ availability: 'off_duty' })], name, 5, undefined, 9).hold?.screening).toBe(true);
    // Off duty, the user being the gatekeeper: held as before.
    expect(threadPreviewShown([recipient({ availability: 'off_duty' })], name, 5, undefined, 17).hold?.text)
      .toBe('Dr. Minh Nguyen is off duty: your message will be held until they are back on duty.');
    // Busy, the user being the gatekeeper: goes straight through.
    expect(threadPreviewShown([recipient({ availability: 'busy' })], name, 5, undefined, 17).hold).toBeNull();
  });
});

describe("the sender's held bubble", () => {
  test('screened: with whom, and how the person is', () => {
    expect(heldText(screened(1, { availability: 'in_procedure', gatekeeper_ids: [17] }), name)).toBe('With Riley Morgan for screening — Dr. Minh Nguyen is in procedure');
    // From GET /threads/{id}/held: the gatekeepers and status a preview told.
    expect(heldText(screened(1), name, { gatekeepers: [17], availability: 'in_procedure' })).toBe('With Riley Morgan for screening — Dr. Minh Nguyen is in procedure');
    expect(heldText(screened(1), name)).toBe('With their gatekeepers for screening — Dr. Minh Nguyen is not available');
    expect(heldNotice(screened(1, { availability: 'busy', gatekeeper_ids: [17] }), name)).toBe('Your message is with Riley Morgan for screening: Dr. Minh Nguyen is busy.');
  });

  test('held by a gatekeeper, or passed on to someone off duty', () => {
    expect(heldText(screened(1, { state: 'kept', screened_by: 17 }), name)).toBe('Held by Riley Morgan until Dr. Minh Nguyen is available');
    expect(heldText(screened(1, { state: 'off_duty', screened_by: 17 }), name))
      .toBe('Held — Dr. Minh Nguyen is off duty until they are back on duty (passed on by Riley Morgan)');
  });

  test("the server's list keeps the gatekeepers `sent` told", () => {
    const local = [screened(1, { gatekeeper_ids: [17], availability: 'in_procedure' })];
    const merged = reconcileHeld([screened(1, { state: 'kept', screened_by: 17 })], local, new Set([1]), new Set());
    expect(merged[0]).toMatchObject({ state: 'kept', screened_by: 17, gatekeeper_ids: [17], availability: 'in_procedure' });
  });
});

describe("the gatekeeper's screening list", () => {
  test('a decision in words', () => {
    expect(decisionText('delivered', 5, name)).toBe('Passed on to Dr. Minh Nguyen');
    expect(decisionText('held', 5, name)).toBe('Held: Dr. Minh Nguyen is off duty');
    expect(decisionText('kept', 5, name)).toBe('Held until Dr. Minh Nguyen is available');
    expect(decisionText('answered', 5, name)).toBe('Answered');
  });

  test('for whom, and the decided one leaves the list', () => {
    expect(screenedForText({ user_id: 5 }, name, 'in_procedure')).toBe('For Dr. Minh Nguyen (in procedure)');
    expect(screenedForText({ user_id: 5 }, name)).toBe('For Dr. Minh Nguyen');
    const list: Screened[] = [1, 2].map((id) => {
      const { client_id: _c, ...rest } = screened(id);
      return rest as Screened;
    });
    expect(withoutScreened(list, 1).map((s) => s.held_id)).toEqual([2]);
  });
});

describe('routed lines of a screened message', () => {
  test('passed on, held, answered', () => {
    expect(routedText({ user_id: 5, reason: 'screened', gatekeeper_id: 17 }, name, noRole)).toBe('Passed on by Riley Morgan (screening for Dr. Minh Nguyen)');
    expect(routedText({ user_id: 5, reason: 'kept', gatekeeper_id: 17 }, name, noRole)).toBe('Held by Riley Morgan until Dr. Minh Nguyen was available');
    expect(routedText({ user_id: 17, reason: 'answered', gatekeeper_id: 17 }, name, noRole, 5)).toBe('Answered by Riley Morgan, screening for Dr. Minh Nguyen');
    expect(routedText({ user_id: 17, reason: 'answered', gatekeeper_id: 17 }, name, noRole)).toBe('Answered by Riley Morgan, screening');
  });

  test('an urgent message nobody screened in time', () => {
    expect(routedText({ user_id: 5, reason: 'unscreened' }, name, noRole)).toBe('Urgent, not screened in time: delivered to Dr. Minh Nguyen');
  });
});
