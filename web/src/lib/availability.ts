// Availability as the app words it (docs/routing.md, "Availability"; docs/web.md
// "Availability"). Pure functions: the components and the unit tests use the same ones.
import { forwardedFrom, forwardingLines, whenText } from './forwarding';
import { timeOfDay } from './format';
import { screeningHint } from './gatekeepers';
import { previewText } from './routing';
import type { Availability, AvailabilityPeriod, AvailabilityStatus, Recipient, RoutePreview } from './types';

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

// The small label beside a colleague: "Busy", "In procedure", "Off duty"; nothing when
// available.
export function statusTag(status: AvailabilityStatus): string {
  return status === 'available' ? '' : statusLabel(status);
}

// One availability period in the dialog's list: "Busy · Tomorrow 10:00 – 12:00",
// "Off duty · from 18:00" (no end: until a later setting replaces it), "In procedure ·
// now – 15:30" for the one in force.
export function periodText(period: Pick<AvailabilityPeriod, 'status' | 'starts_at' | 'ends_at'>, now: number): string {
  const started = Date.parse(period.starts_at) <= now;
  const from = started ? 'now' : whenText(period.starts_at, now);
  const span = period.ends_at ? `${from} – ${whenText(period.ends_at, now)}` : started ? 'now, no end' : `from ${from}, no end`;
  return `${statusLabel(period.status)} · ${span}`;
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
// urgent message may then override it); for anyone whose forwarding the message would
// follow, where it goes too (`forwarding`). `people`: whose availability or forwarding
// changes call for a new preview.
export interface ComposerPreview {
  route: string | null;
  blocked: boolean;
  lines: string[];
  forwarding: string[];
  hold: Hold | null;
  people: number[];
}

export interface Hold {
  userId: number;
  text: string;
  // How they are: an urgent message's emergency override says it.
  status: AvailabilityStatus;
  // Screened by their gatekeepers rather than held for them to be back on duty.
  screening: boolean;
}

// The composer's hint in a conversation between two people whose other person is off
// duty: "Dr. Emeka Okafor is off duty until 07:00: your message will be held until
// then."; or who is not available and has gatekeepers: "Dr. Minh Nguyen is in procedure
// — Riley Morgan screens their messages" (gatekeepers.ts). Null when messages go
// straight through (or the preview does not name them). `selfId`: the user, who is
// never screened as one of the person's gatekeepers.
export function heldHint(peer: number | null, recipients: readonly Recipient[], name: (userId: number) => string, selfId: number | null = null): Hold | null {
  if (peer === null) return null;
  const other = recipients.find((r) => r.user_id === peer);
  if (!other) return null;
  const screening = screeningHint(other, recipients, name, selfId);
  if (screening) return { userId: peer, text: screening, status: other.availability, screening: true };
  if (other.availability !== 'off_duty') return null;
  const text = other.until
    ? `${name(peer)} is off duty until ${timeOfDay(other.until)}: your message will be held until then.`
    : `${name(peer)} is off duty: your message will be held until they are back on duty.`;
  return { userId: peer, text, status: 'off_duty', screening: false };
}

// The hint once the emergency override is chosen for an urgent message.
export function overrideHint(userId: number, name: (userId: number) => string, status: AvailabilityStatus = 'off_duty'): string {
  return `Emergency override: ${name(userId)} gets this urgent message now, although ${statusText(status)}.`;
}

// `roleNames`: any role's name, for a forwarding to a role.
export function rolePreviewShown(
  preview: RoutePreview, roleName: string, name: (userId: number) => string, roleNames: (roleId: number) => string = (id) => `Role ${id}`,
): ComposerPreview {
  // A holder who forwards is replaced by whom it leads to: "Goes to" names them.
  const recipients = preview.recipients as Recipient[];
  const replaced = new Set(recipients.filter((r) => r.forwarding && r.reason !== 'forwarded' && forwardedFrom(recipients, r.user_id).length > 0).map((r) => r.user_id));
  const reached = preview.recipients.filter((r) => !replaced.has(r.user_id));
  return {
    route: previewText({ ...preview, recipients: reached.length > 0 ? reached : preview.recipients }, roleName, name),
    blocked: preview.recipients.length === 0,
    lines: roleAvailabilityLines(preview.recipients, name),
    forwarding: forwardingLines(preview.recipients as Recipient[], name, roleNames, 'instead'),
    hold: null,
    people: preview.recipients.map((r) => r.user_id),
  };
}

// `peer`: the other person of a conversation between two people (held.ts, heldPeer),
// else null. The people a forwarding leads to are warned about too when they are not
// available. `selfId`: the user (a gatekeeper's own message is not screened).
export function threadPreviewShown(
  recipients: Recipient[], name: (userId: number) => string, peer: number | null = null, roleNames: (roleId: number) => string = (id) => `Role ${id}`,
  selfId: number | null = null,
): ComposerPreview {
  return {
    route: null,
    blocked: false,
    lines: memberAvailabilityLines(recipients, name),
    forwarding: forwardingLines(recipients, name, roleNames),
    hold: heldHint(peer, recipients, name, selfId),
    people: recipients.map((r) => r.user_id),
  };
}
