// Hand-off notes as the app words and handles them (docs/routing.md, "Hand-off notes";
// docs/web.md "Hand-off notes"). Pure functions: the store, the components and the unit
// tests use the same ones.
import { timeOfDay } from './format';
import type { HandOff, HandOffNote, RoutedEvent, RouteTarget, Role, RoleHolder } from './types';

type Name = (userId: number) => string;

// The lines under a note in its thread: "Hand-off note to Mateo Santos, RN" (reason
// `hand_off`) and "Accepted by Mateo Santos, RN at 19:04" (reason `accepted`, the time
// of its `routed` event; without one, no time).
export function handOffRoutedText(target: RouteTarget, name: Name): string {
  if (target.reason === 'hand_off') return `Hand-off note to ${name(target.user_id)}`;
  return target.at ? `Accepted by ${name(target.user_id)} at ${timeOfDay(target.at)}` : `Accepted by ${name(target.user_id)}`;
}

// Whether a message whose routed lines these are is a hand-off note to `selfId` that
// they have not accepted yet, as the thread shows it ("Hand-off note for you — Accept").
// `listed`: the note is in the user's GET /handoffs list (the thread may not have its
// routed events yet).
export function awaitsAcceptance(targets: readonly RouteTarget[], selfId: number, listed = false): boolean {
  if (targets.some((t) => t.reason === 'accepted' && t.user_id === selfId)) return false;
  return listed || targets.some((t) => t.reason === 'hand_off' && t.user_id === selfId);
}

// The banner for a note to accept: "Hand-off note from Olivia Harper, RN for 4 West
// Charge Nurse".
export function handOffBannerText(handOff: Pick<HandOff, 'from_user_id' | 'role_id'>, name: Name, roleName: (roleId: number) => string): string {
  return `Hand-off note from ${name(handOff.from_user_id)} for ${roleName(handOff.role_id)}`;
}

// A `routed` event that changes the user's list of notes to accept: a note to them
// (`hand_off`), or accepted by them (`accepted`, maybe on another device).
export function changesHandoffs(event: Pick<RoutedEvent, 'reason' | 'user_id'>, selfId: number): boolean {
  return (event.reason === 'hand_off' || event.reason === 'accepted') && event.user_id === selfId;
}

export function withoutHandoff(list: readonly HandOff[], messageId: number): HandOff[] {
  return list.filter((h) => h.message_id !== messageId);
}

// The note the hand-over form sends, or none when the field is left empty (the note is
// optional). Surrounding blank lines and spaces are not part of it.
export function noteToSend(text: string, clientId: string): HandOffNote | undefined {
  const body = text.trim();
  return body ? { client_id: clientId, body } : undefined;
}

// What the sign-in dialog says once it is done.
export function handedOverText(roleName: string, to: string, withNote: boolean): string {
  return withNote ? `${roleName} is handed over to ${to}, with your hand-off note.` : `${roleName} is handed over to ${to}.`;
}

export function noteSentText(roleName: string, to: string): string {
  return `Hand-off note for ${roleName} sent to ${to}.`;
}

// The roles the user holds by a shift in force now (the sign-ins are listed apart):
// those whose holders name them `via: "shift"`, not among `signedIn`, by name.
export function rolesOnShift(roles: Iterable<Role>, selfId: number, signedIn: ReadonlySet<number>): Role[] {
  const onShift = (h: RoleHolder) => h.user_id === selfId && h.via === 'shift';
  return [...roles].filter((r) => !signedIn.has(r.id) && r.holders.some(onShift)).sort((a, b) => a.name.localeCompare(b.name));
}
