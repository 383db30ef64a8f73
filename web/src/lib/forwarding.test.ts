import { describe, expect, test } from 'vitest';
import { periodText, rolePreviewShown, statusTag, threadPreviewShown } from './availability';
import { timeOfDay } from './format';
import {
  forwardedFrom, forwardingLines, forwardingPhase, forwardingRequest, forwardsTag, localInputToUtc, loopNotice, ownForwardingText, personStatus,
  personStatusFromRecipient, whenText,
} from './forwarding';
import { routedText } from './routing';
import type { Forwarding, Recipient } from './types';

const names: Record<number, string> = { 3: 'Dr. Emeka Okafor', 9: 'Olivia Harper, RN', 20: 'Dr. Yasmin Haddad', 2: 'Dr. Nina Patel' };
const name = (id: number) => names[id];
const roleName = (id: number) => (id === 1 ? 'Hospitalist On Call' : `Role ${id}`);

// A fixed local noon, so "today" and "tomorrow" do not depend on when the test runs.
const noon = new Date(2026, 11, 7, 12, 0, 0).getTime();
const at = (day: number, hour: number, minute = 0) => new Date(2026, 11, day, hour, minute, 0).toISOString();

function forwarding(fields: Partial<Forwarding> = {}): Forwarding {
  return { user_id: 3, to_user_id: 20, to_role_id: null, starts_at: at(7, 9), ends_at: null, set_by: 3, set_at: at(7, 9), ...fields };
}

const forwardingOkafor = forwarding();
const directPreview: Recipient[] = [
  { user_id: 3, reason: 'member', availability: 'available', until: null, forwarding: forwardingOkafor },
  { user_id: 20, reason: 'forwarded', availability: 'available', until: null, forwarding: null, from_user_id: 3 },
];

describe('the own forwarding', () => {
  test('ahead, in force or ended', () => {
    expect(forwardingPhase(forwarding(), noon)).toBe('active');
    expect(forwardingPhase(forwarding({ starts_at: at(7, 14) }), noon)).toBe('ahead');
    expect(forwardingPhase(forwarding({ ends_at: at(7, 11) }), noon)).toBe('ended');
  });

  test('what the dialog says of it', () => {
    expect(ownForwardingText(null, noon, name, roleName)).toBeNull();
    expect(ownForwardingText(forwarding(), noon, name, roleName)).toBe('Forwarding to Dr. Yasmin Haddad until you stop it');
    expect(ownForwardingText(forwarding({ ends_at: at(7, 18) }), noon, name, roleName)).toBe(`Forwarding to Dr. Yasmin Haddad until ${timeOfDay(at(7, 18))}`);
    expect(ownForwardingText(forwarding({ to_user_id: null, to_role_id: 1, starts_at: at(8, 8), ends_at: at(8, 18) }), noon, name, roleName)).toBe(
      `Forwarding to Hospitalist On Call from Tomorrow ${timeOfDay(at(8, 8))} until Tomorrow ${timeOfDay(at(8, 18))}`,
    );
    expect(ownForwardingText(forwarding({ ends_at: at(7, 11) }), noon, name, roleName)).toBeNull();
  });

  test('a time today is only the time; another day says which', () => {
    expect(whenText(at(7, 18), noon)).toBe(timeOfDay(at(7, 18)));
    expect(whenText(at(8, 7), noon)).toBe(`Tomorrow ${timeOfDay(at(8, 7))}`);
    expect(whenText(at(10, 7), noon)).toMatch(new RegExp(`10.*${timeOfDay(at(10, 7))}$`));
  });

  test('the request: to a person or a role, from now or the next such time, until the next such time after the start', () => {
    expect(forwardingRequest({ userId: 20 }, '', '', noon)).toEqual({ to_user_id: 20 });
    expect(forwardingRequest({ roleId: 1 }, '', '18:00', noon)).toEqual({ to_role_id: 1, ends_at: at(7, 18).replace('.000Z', 'Z') });
    // From 20:00 until 07:00: tonight until tomorrow morning.
    expect(forwardingRequest({ userId: 20 }, '20:00', '07:00', noon)).toEqual({
      to_user_id: 20, starts_at: at(7, 20).replace('.000Z', 'Z'), ends_at: at(8, 7).replace('.000Z', 'Z'),
    });
    // 09:00 has passed today: tomorrow.
    expect(forwardingRequest({ userId: 20 }, '09:00', '', noon).starts_at).toBe(at(8, 9).replace('.000Z', 'Z'));
  });

  test('a datetime-local value, as UTC', () => {
    expect(localInputToUtc('')).toBeNull();
    expect(localInputToUtc('nonsense')).toBeNull();
    expect(localInputToUtc('2026-12-08T10:30')).toBe(at(8, 10, 30).replace('.000Z', 'Z'));
  });
});

describe('previews', () => {
  test('the people a forwarding leads to, along a chain', () => {
    expect(forwardedFrom(directPreview, 3)).toEqual([20]);
    expect(forwardedFrom(directPreview, 20)).toEqual([]);
    const chain: Recipient[] = [
      ...directPreview,
      { user_id: 2, reason: 'forwarded', availability: 'available', until: null, forwarding: null, from_user_id: 20 },
    ];
    expect(forwardedFrom(chain, 3)).toEqual([20, 2]);
  });

  test('a conversation: the forwarding and whom the message also reaches', () => {
    expect(forwardingLines(directPreview, name, roleName)).toEqual([
      'Dr. Emeka Okafor forwards to Dr. Yasmin Haddad — your message will also reach Dr. Yasmin Haddad',
    ]);
    const toRole: Recipient[] = [
      { ...directPreview[0], forwarding: forwarding({ to_user_id: null, to_role_id: 1 }) },
      { ...directPreview[1], user_id: 2 },
    ];
    expect(forwardingLines(toRole, name, roleName)).toEqual(['Dr. Emeka Okafor forwards to Hospitalist On Call — your message will also reach Dr. Nina Patel']);
    expect(forwardingLines(toRole, name, roleName, 'instead')).toEqual(['Dr. Emeka Okafor forwards to Hospitalist On Call — your message will reach Dr. Nina Patel instead']);
  });

  test('nothing for a forwarding the send would not follow (a group: nobody listed after it), or without forwarding', () => {
    expect(forwardingLines([directPreview[0]], name, roleName)).toEqual([]);
    expect(forwardingLines([{ user_id: 3, reason: 'member', availability: 'available', until: null }], name, roleName)).toEqual([]);
  });

  test("the composer's preview carries the forwarding lines, and still warns about who is not available", () => {
    const shown = threadPreviewShown([{ ...directPreview[0], availability: 'off_duty' }, directPreview[1]], name, 3);
    expect(shown.forwarding).toHaveLength(1);
    expect(shown.lines).toEqual(['Dr. Emeka Okafor is off duty']);
    expect(shown.people).toEqual([3, 20]);
  });
});

describe('under a message', () => {
  test('a forwarded step names whose forwarding', () => {
    expect(routedText({ user_id: 20, reason: 'forwarded', from_user_id: 3 }, name, () => null)).toBe("Forwarded to Dr. Yasmin Haddad (Dr. Emeka Okafor's forwarding)");
    expect(routedText({ user_id: 20, reason: 'forwarded' }, name, () => null)).toBe('Forwarded to Dr. Yasmin Haddad');
  });

  test('a loop that was not followed', () => {
    expect(loopNotice(3, name)).toBe("Dr. Emeka Okafor's forwarding loops back, so it was not followed: the message went to Dr. Emeka Okafor.");
    expect(loopNotice(null, name)).toMatch(/^A forwarding loops back/);
  });
});

describe("colleagues' status", () => {
  test('labels: nothing for available', () => {
    expect(statusTag('available')).toBe('');
    expect(statusTag('in_procedure')).toBe('In procedure');
    expect(statusTag('off_duty')).toBe('Off duty');
  });

  test('what is known holds until the next period or forwarding boundary', () => {
    const person = personStatus(
      { status: 'busy', until: at(7, 15), periods: [{ starts_at: at(7, 11) }, { starts_at: at(8, 9) }] },
      forwarding({ ends_at: at(7, 14) }),
      noon,
    );
    expect(person.staleAt).toBe(Date.parse(at(7, 14)));
    expect(forwardsTag(person, noon, name, roleName)).toBe('→ Dr. Yasmin Haddad');
    expect(forwardsTag(person, Date.parse(at(7, 14)), name, roleName)).toBe('');
    const ahead = personStatus({ status: 'available', until: null, periods: [] }, forwarding({ starts_at: at(7, 16) }), noon);
    expect(forwardsTag(ahead, noon, name, roleName)).toBe('');
    expect(ahead.staleAt).toBe(Date.parse(at(7, 16)));
    const ended = personStatus({ status: 'available', until: null, periods: [] }, forwarding({ ends_at: at(7, 11) }), noon);
    expect(ended.forwarding).toBeNull();
    expect(ended.staleAt).toBeNull();
  });

  test('from a preview recipient', () => {
    const person = personStatusFromRecipient({ ...directPreview[0], availability: 'off_duty', until: at(7, 19) });
    expect(person.status).toBe('off_duty');
    expect(person.staleAt).toBe(Date.parse(at(7, 19)));
    expect(forwardsTag(person, noon, name, roleName)).toBe('→ Dr. Yasmin Haddad');
  });

  test('a period in the list', () => {
    expect(periodText({ status: 'busy', starts_at: at(8, 10), ends_at: at(8, 12) }, noon)).toBe(`Busy · Tomorrow ${timeOfDay(at(8, 10))} – Tomorrow ${timeOfDay(at(8, 12))}`);
    expect(periodText({ status: 'off_duty', starts_at: at(7, 9), ends_at: null }, noon)).toBe('Off duty · now, no end');
    expect(periodText({ status: 'in_procedure', starts_at: at(7, 9), ends_at: at(7, 15) }, noon)).toBe(`In procedure · now – ${timeOfDay(at(7, 15))}`);
    expect(periodText({ status: 'off_duty', starts_at: at(7, 18), ends_at: null }, noon)).toBe(`Off duty · from ${timeOfDay(at(7, 18))}, no end`);
  });
});

describe('a role whose holder forwards', () => {
  test('the holder is replaced: the route names whom it leads to, and the line says instead', () => {
    const shown = rolePreviewShown({
      role_id: 2, via_role_id: 2, fallback: false, recipients: [
        { user_id: 2, reason: 'on_call', availability: 'available', until: null, forwarding: forwarding({ user_id: 2 }) },
        { user_id: 20, reason: 'forwarded', availability: 'available', until: null, forwarding: null, from_user_id: 2 },
      ],
    }, 'Cardiology On Call', name);
    expect(shown.route).toBe('Goes to Dr. Yasmin Haddad (forwarded)');
    expect(shown.forwarding).toEqual(['Dr. Nina Patel forwards to Dr. Yasmin Haddad — your message will reach Dr. Yasmin Haddad instead']);
    expect(shown.people).toEqual([2, 20]);
  });
});
