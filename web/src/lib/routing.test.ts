import { describe, expect, test } from 'vitest';
import { instantOf, localIn, mondayOf, previewText, routedText, shiftsOn, shiftTimes, weekDays, weekWindow } from './routing';
import type { Shift } from './types';

const names: Record<number, string> = { 2: 'Dr. Nina Patel', 3: 'Dr. Emeka Okafor', 7: 'Jordan Brooks, NP' };
const name = (id: number) => names[id];
const roleName = (id: number) => (id === 5 ? 'Rapid Response RN' : null);

function shift(id: number, roleId: number, startsAt: string, endsAt: string): Shift {
  return { id, role_id: roleId, user_id: 2, starts_at: startsAt, ends_at: endsAt, time_zone: 'America/New_York', source_key: null, updated_by: null, updated_at: startsAt };
}

describe('routing texts', () => {
  test('the preview names the holder, the fallback, or nobody', () => {
    expect(previewText({ role_id: 2, via_role_id: 2, fallback: false, recipients: [{ user_id: 2, reason: 'on_call' }] }, 'Cardiology On Call', name))
      .toBe('Goes to Dr. Nina Patel (on call)');
    expect(previewText({ role_id: 2, via_role_id: 1, fallback: true, recipients: [{ user_id: 3, reason: 'fallback' }] }, 'Cardiology On Call', name))
      .toBe('Nobody holds Cardiology On Call: goes to its fallback, Dr. Emeka Okafor');
    expect(previewText({ role_id: 2, via_role_id: 2, fallback: false, recipients: [] }, 'Cardiology On Call', name))
      .toBe('Nobody holds this role now; a message cannot be sent.');
    expect(previewText({ role_id: 2, via_role_id: 2, fallback: false, recipients: [{ user_id: 2, reason: 'on_call' }, { user_id: 7, reason: 'signed_in' }] }, 'X', name))
      .toBe('Goes to Dr. Nina Patel (on call) and Jordan Brooks, NP (signed in)');
  });

  test('whom a message reached: through a role, or escalated to a backup', () => {
    expect(routedText({ user_id: 2, reason: 'on_call' }, name, roleName)).toBe('Reached Dr. Nina Patel · on call');
    expect(routedText({ user_id: 7, reason: 'fallback', role_id: 5 }, name, roleName)).toBe('Reached Jordan Brooks, NP · fallback');
    expect(routedText({ user_id: 3, reason: 'escalated', role_id: null }, name, roleName)).toBe('Not read in time: escalated to Dr. Emeka Okafor');
    expect(routedText({ user_id: 3, reason: 'escalated' }, name, roleName)).toBe('Not read in time: escalated to Dr. Emeka Okafor');
    expect(routedText({ user_id: 7, reason: 'escalated', role_id: 5 }, name, roleName)).toBe('Not read in time: escalated to Jordan Brooks, NP (Rapid Response RN)');
    // A role not known yet: the person alone.
    expect(routedText({ user_id: 7, reason: 'escalated', role_id: 9 }, name, roleName)).toBe('Not read in time: escalated to Jordan Brooks, NP');
    // An urgent message sent with an emergency override to someone off duty.
    expect(routedText({ user_id: 3, reason: 'override', role_id: null }, name, roleName)).toBe('Emergency override: delivered to Dr. Emeka Okafor although off duty');
  });
});

describe('time zones', () => {
  test('local times in a zone, and back', () => {
    expect(localIn('2026-12-07T00:00:00Z', 'America/New_York')).toEqual({ date: '2026-12-06', time: '19:00' });
    expect(instantOf('2026-12-06', '19:00', 'America/New_York')).toBe('2026-12-07T00:00:00Z');
    expect(instantOf('2026-07-06', '07:00', 'America/New_York')).toBe('2026-07-06T11:00:00Z');
    expect(instantOf('2026-12-06', '19:00', 'UTC')).toBe('2026-12-06T19:00:00Z');
  });

  test('a spring-forward gap takes the offset from before it; a fall-back time is its first occurrence', () => {
    // 2026-03-08 02:30 does not exist in New York: EST (-5) applies, 07:30Z.
    expect(instantOf('2026-03-08', '02:30', 'America/New_York')).toBe('2026-03-08T07:30:00Z');
    // 2026-11-01 01:30 happens twice: the first is EDT (-4), 05:30Z.
    expect(instantOf('2026-11-01', '01:30', 'America/New_York')).toBe('2026-11-01T05:30:00Z');
  });
});

describe('the week', () => {
  test('Monday to Sunday, and a window that holds every shift starting on those dates', () => {
    expect(mondayOf('2026-12-07')).toBe('2026-12-07');
    expect(mondayOf('2026-12-13')).toBe('2026-12-07');
    expect(mondayOf('2026-12-06')).toBe('2026-11-30');
    expect(weekDays('2026-12-28')[6]).toBe('2027-01-03');
    expect(weekWindow('2026-12-07')).toEqual({ from: '2026-12-06T10:00:00Z', to: '2026-12-14T14:00:00Z' });
  });

  test('a night shift belongs to the date it starts on in its own zone', () => {
    const night = shift(1, 2, '2026-12-08T00:00:00Z', '2026-12-08T12:00:00Z');
    expect(shiftsOn([night], 2, '2026-12-07')).toEqual([night]);
    expect(shiftsOn([night], 2, '2026-12-08')).toEqual([]);
    expect(shiftTimes(night)).toBe('19:00–07:00');
  });
});
