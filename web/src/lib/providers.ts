import type { Invitation, Provider, ProviderQuery } from './types';

// The provider directory (docs/npi.md): how a provider and an invitation read.

// "WIEBE, DAVID A, M.D." or an organization's name.
export function providerLabel(provider: Provider): string {
  return provider.credential ? `${provider.name}, ${provider.credential}` : provider.name;
}

// "Orthopaedic Surgery Physician · KEARNEY, NE · 308-865-2512"
export function providerDetails(provider: Provider): string {
  const parts: string[] = [];
  if (provider.taxonomy) parts.push(provider.taxonomy.name || provider.taxonomy.code);
  const place = [provider.city, provider.state].filter(Boolean).join(', ');
  if (place) parts.push(place);
  if (provider.phone) parts.push(phoneText(provider.phone));
  return parts.join(' · ');
}

// NPPES keeps US phone numbers as ten digits: shown 308-865-2512; anything else as it is.
export function phoneText(phone: string): string {
  return /^\d{10}$/.test(phone) ? `${phone.slice(0, 3)}-${phone.slice(3, 6)}-${phone.slice(6)}` : phone;
}

// The thread's line for an invitation: "Olivia Harper invited WIEBE, DAVID A, M.D.
// (NPI 1679576722)". Before the invitation itself is fetched only its NPI is known.
export function invitationText(inviter: string, npi: string, provider: Provider | null): string {
  const who = provider ? providerLabel(provider) : 'a provider';
  return `${inviter} invited ${who} (NPI ${npi})`;
}

// Why a search cannot be sent as it is (the server says the same, in its words), or
// null. Checked in the form so that a half-filled search answers at once.
export function searchProblem(query: ProviderQuery): string | null {
  const given = (key: keyof ProviderQuery) => String(query[key] ?? '').trim() !== '';
  if (!given('q') && !given('npi') && !given('taxonomy') && !given('state')) {
    return 'Enter a name, a specialty, a state or an NPI.';
  }
  if (given('npi') && !/^\d{10}$/.test(String(query.npi).trim())) return 'An NPI is 10 digits.';
  if (given('state') && !/^[A-Za-z]{2}$/.test(String(query.state).trim())) return 'A state is two letters, such as NE.';
  if (given('city') && !given('state')) return 'Add the state to search by city.';
  return null;
}

// Whether the provider is invited (pending) to the thread already.
export function isInvited(invitations: Invitation[], npi: string): boolean {
  return invitations.some((invitation) => invitation.npi === npi && invitation.state === 'pending');
}
