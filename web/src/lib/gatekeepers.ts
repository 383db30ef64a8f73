// Gatekeepers as the app words and handles them (docs/routing.md, "Gatekeepers";
// docs/web.md "Gatekeepers"). Pure functions: the store, the components and the unit
// tests use the same ones.
import { availabilityText } from './availability';
import { forwardedFrom } from './forwarding';
import { joinNames } from './routing';
import type { AvailabilityStatus, Recipient, Screened, ScreeningOutcome } from './types';

type Name = (userId: number) => string;

// A person names at most this many (the server refuses more).
export const kMaxGatekeepers = 5;

// ---- naming one's gatekeepers ---------------------------------------------------

// The list with a colleague added at its end: never oneself, never twice, at most
// kMaxGatekeepers (the list as it was otherwise).
export function addGatekeeper(list: readonly number[], userId: number, selfId: number): number[] {
  if (userId === selfId || list.includes(userId) || list.length >= kMaxGatekeepers) return [...list];
  return [...list, userId];
}

export function removeGatekeeper(list: readonly number[], userId: number): number[] {
  return list.filter((id) => id !== userId);
}

// Whether the chosen list differs from the saved one (order counts: it is the order the
// server keeps).
export function gatekeepersChanged(saved: readonly number[], chosen: readonly number[]): boolean {
  return saved.length !== chosen.length || saved.some((id, i) => chosen[i] !== id);
}

// What the dialog says of the user's own gatekeepers.
export function ownGatekeepersText(userIds: readonly number[], name: Name): string {
  if (userIds.length === 0) return 'Nobody screens your messages.';
  const verb = userIds.length === 1 ? 'screens' : 'screen';
  return `${joinNames(userIds.map(name))} ${verb} your messages while you are not available.`;
}

// ---- the sender's side: the composer -----------------------------------------------

// The composer's hint in a conversation between two people whose other person is not
// available and has gatekeepers: "Dr. Minh Nguyen is in procedure — Riley Morgan
// screens their messages". Null when a message to them is not screened: they are
// available, name no gatekeeper, the user is one of them (a gatekeeper's own message is
// never screened), or their forwarding is followed instead (forwarding comes first).
export function screeningHint(recipient: Recipient, recipients: readonly Recipient[], name: Name, selfId: number | null): string | null {
  const gatekeepers = recipient.gatekeeper_ids ?? [];
  if (recipient.availability === 'available' || gatekeepers.length === 0) return null;
  if (selfId !== null && gatekeepers.includes(selfId)) return null;
  if (recipient.forwarding && forwardedFrom(recipients, recipient.user_id).length > 0) return null;
  const verb = gatekeepers.length === 1 ? 'screens' : 'screen';
  return `${name(recipient.user_id)} is ${availabilityText(recipient.availability, recipient.until)} — ${joinNames(gatekeepers.map(name))} ${verb} their messages`;
}

// ---- the gatekeeper's side: the screening list --------------------------------------

// The list without one message (decided here, or by another gatekeeper).
export function withoutScreened(list: readonly Screened[], heldId: number): Screened[] {
  return list.filter((s) => s.held_id !== heldId);
}

// What a decision did, said briefly after it: "Passed on to Dr. Minh Nguyen", "Held:
// Dr. Minh Nguyen is off duty" (passed on, but a normal message waits for someone off
// duty), "Held until Dr. Minh Nguyen is available", "Answered".
export function decisionText(outcome: ScreeningOutcome['outcome'], addressee: number, name: Name): string {
  switch (outcome) {
    case 'delivered':
      return `Passed on to ${name(addressee)}`;
    case 'held':
      return `Held: ${name(addressee)} is off duty`;
    case 'kept':
      return `Held until ${name(addressee)} is available`;
    case 'answered':
      return 'Answered';
  }
  return 'Done';
}

// "For Dr. Minh Nguyen (in procedure)", the heading of one screened message; the
// person's status when known.
export function screenedForText(screened: Pick<Screened, 'user_id'>, name: Name, status?: AvailabilityStatus): string {
  return status && status !== 'available' ? `For ${name(screened.user_id)} (${availabilityText(status, null)})` : `For ${name(screened.user_id)}`;
}

// The refusal of a decision that came too late (someone else decided, the sender
// withdrew it, it was released).
export const kGoneText = 'This message is no longer waiting: another gatekeeper decided, it was withdrawn, or it was delivered.';
