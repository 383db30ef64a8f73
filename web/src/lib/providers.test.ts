import { describe, expect, test } from 'vitest';
import { providerSearch } from './http';
import { invitationText, isInvited, phoneText, providerDetails, providerLabel, searchProblem } from './providers';
import type { Invitation, Provider } from './types';

const wiebe: Provider = {
  npi: '1679576722',
  entity: 'individual',
  name: 'WIEBE, DAVID A',
  credential: 'M.D.',
  taxonomy: { code: '207X00000X', name: 'Orthopaedic Surgery Physician' },
  city: 'KEARNEY',
  state: 'NE',
  postal_code: '688472944',
  phone: '3088652512',
  deactivated: false,
};

describe('providers', () => {
  test('a provider reads with credential, specialty, place and phone', () => {
    expect(providerLabel(wiebe)).toBe('WIEBE, DAVID A, M.D.');
    expect(providerLabel({ ...wiebe, credential: '' })).toBe('WIEBE, DAVID A');
    expect(providerDetails(wiebe)).toBe('Orthopaedic Surgery Physician · KEARNEY, NE · 308-865-2512');
    expect(providerDetails({ ...wiebe, taxonomy: { code: '207X00000X', name: '' }, phone: '' })).toBe('207X00000X · KEARNEY, NE');
    expect(providerDetails({ ...wiebe, taxonomy: null, city: '', state: '', phone: '' })).toBe('');
    expect(phoneText('+44 20 7946 0000')).toBe('+44 20 7946 0000');
  });

  test('an invitation line names who invited whom', () => {
    expect(invitationText('Olivia Harper, RN', '1679576722', wiebe)).toBe('Olivia Harper, RN invited WIEBE, DAVID A, M.D. (NPI 1679576722)');
    expect(invitationText('Olivia Harper, RN', '1679576722', null)).toBe('Olivia Harper, RN invited a provider (NPI 1679576722)');
  });

  test('a search needs a name, specialty, state or NPI, and a city needs its state', () => {
    expect(searchProblem({})).toBe('Enter a name, a specialty, a state or an NPI.');
    expect(searchProblem({ city: 'Kearney' })).toBe('Enter a name, a specialty, a state or an NPI.');
    expect(searchProblem({ q: 'wiebe', city: 'Kearney' })).toBe('Add the state to search by city.');
    expect(searchProblem({ npi: '12345' })).toBe('An NPI is 10 digits.');
    expect(searchProblem({ state: 'Nebraska' })).toBe('A state is two letters, such as NE.');
    expect(searchProblem({ q: 'wiebe' })).toBeNull();
    expect(searchProblem({ taxonomy: 'cardio', state: 'ne', city: 'Kearney' })).toBeNull();
  });

  test('the query string carries only the fields given', () => {
    expect(providerSearch({ q: ' wiebe ', city: '', state: 'NE', limit: 20 })).toBe('q=wiebe&state=NE&limit=20');
    expect(providerSearch({ taxonomy: 'family medicine' })).toBe('taxonomy=family+medicine');
  });

  test('a pending invitation of the NPI counts as invited', () => {
    const invitation: Invitation = { id: 9, thread_id: 4, npi: wiebe.npi, invited_by: 2, created_at: '2026-12-07T10:00:00Z', state: 'pending', provider: wiebe };
    expect(isInvited([invitation], wiebe.npi)).toBe(true);
    expect(isInvited([invitation], '1932102084')).toBe(false);
  });
});
