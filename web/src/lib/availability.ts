// Availability as the app words it (docs/routing.md, "Availability"; docs/web.md
// "Availability"). Pure functions: the components and the unit tests use the same ones.
import { timeOfDay } from './format';
import { previewText } from './routing';
import type { Availability, AvailabilityStatus, Recipient, RoutePreview } from './types';

export const kStatuses: AvailabilityStatus[] = ['available', 'busy', 'in_procedure', 'off_duty'];

const kStatusText: Record<AvailabilityStatus, string> = { available: 'available', busy: 'busy', in_procedure: 'in procedure', off_duty: 'off duty' };

export function statusText(status: AvailabilityStatus): string {
  return kStatusText[status] ?? status;
}

// "Busy", for a control's label.
export function statusLabel(status: AvailabilityStatus): string {
  const text = statusText(status);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// "off duty until 19:00", "busy", "available".
export function availabilityText(status: AvailabilityStatus, until: string | null): string {
  return until && status !== 'available' ? `${statusText(status)} until ${timeOfDay(until)}` : statusText(status);
}

// The people a preview warns about: those who are not available. A recipient without
// the fields (an older server) counts as available.
export function unavailable<T extends Partial<Availability>>(recipients: T[]): (T & Availability)[] {
  return recipients.filter((r): r is T & Availability => r.availability !== undefined && r.availability !== 'available');
}

// For a role's recipients: "Dr. Emeka Okafor · off duty until 19:00", one per person who
// is not available.
export function roleAvailabilityLines(recipients: ({ user_id: number } & Partial<Availability>)[], name: (userId: number) => string): string[] {
  return unavailable(recipients).map((r) => `${name(r.user_id)} · ${availabilityText(r.availability, r.until)}`);
}

// For a conversation's other members: "Dr. Emeka Okafor is off duty", one per member who
// is not available; nothing when everyone is.
export function memberAvailabilityLines(recipients: Recipient[], name: (userId: number) => string): string[] {
  return unavailable(recipients).map((r) => `${name(r.user_id)} is ${availabilityText(r.availability, r.until)}`);
}

// What the dialog says of the user's own status.
export function ownAvailabilityText(status: AvailabilityStatus, until: string | null): string {
  return `You are ${availabilityText(status, until)}.`;
}

// The next moment the local wall clock shows `time` ("HH:MM"): today, or tomorrow when
// that is not after `now`. As RFC 3339 UTC.
export function nextTimeOfDay(time: string, now: number): string {
  const [hh, mm] = time.split(':').map(Number);
  const at = new Date(now);
  at.setHours(hh, mm, 0, 0);
  if (at.getTime() <= now) at.setDate(at.getDate() + 1);
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// What the composer shows before the first keystroke: for a role, where the message
// goes (`route`; `blocked` when nobody would get it); for anyone it would reach who is
// not available, a line; in a conversation between two people whose other person is
// off duty, that the message will be held (`hold`: the hint and whom it waits for; an
// urgent message may then override it). `people`: whose availability changes call for
// a new preview.
export interface ComposerPreview {
  route: string | null;
  blocked: boolean;
  lines: string[];
  hold: Hold | null;
  people: number[];
}

export interface Hold {
  userId: number;
  text: string;
}

// The composer's hint in a conversation between two people whose other person is off
// duty: "Dr. Emeka Okafor is off duty until 07:00: your message will be held until
// then." Null when messages go straight through (or the preview does not name them).
export function heldHint(peer: number | null, recipients: readonly Recipient[], name: (userId: number) => string): Hold | null {
  if (peer === null) return null;
  const other = recipients.find((r) => r.user_id === peer);
  if (!other || other.availability !== 'off_duty') return null;
  const text = other.until
    ? `${name(peer)} is off duty until ${timeOfDay(other.until)}: your message will be held until then.`
    : `${name(peer)} is off duty: your message will be held until they are back on duty.`;
  return { userId: peer, text };
}

// The hint once the emergency override is chosen for an urgent message.
export function overrideHint(userId: number, name: (userId: number) => string): string {
  return `Emergency override: ${name(userId)} gets this urgent message now, although off duty.`;
}

export function rolePreviewShown(preview: RoutePreview, roleName: string, name: (userId: number) => string): ComposerPreview {
  return {
    route: previewText(preview, roleName, name),
    blocked: preview.recipients.length === 0,
    lines: roleAvailabilityLines(preview.recipients, name),
    hold: null,
    people: preview.recipients.map((r) => r.user_id),
  };
}

// `peer`: the other person of a conversation between two people (held.ts, heldPeer),
// else null.
export function threadPreviewShown(recipients: Recipient[], name: (userId: number) => string, peer: number | null = null): ComposerPreview {
  return {
    route: null, blocked: false, lines: memberAvailabilityLines(recipients, name), hold: heldHint(peer, recipients, name), people: recipients.map((r) => r.user_id),
  };
}
