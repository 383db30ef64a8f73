// Roles, routing and the schedule as the app words and computes them
// (docs/routing.md, docs/web.md "Roles and the schedule"). Pure functions: the
// components and the unit tests use the same ones.
import { timeOfDay } from './format';
import { handOffRoutedText } from './handoffs';
import type { RoleHolder, RoutePreview, RouteReason, RouteTarget, Shift } from './types';

const kReasonText: Record<RouteReason, string> = {
  on_call: 'on call', signed_in: 'signed in', fallback: 'fallback', escalated: 'escalated', override: 'override', forwarded: 'forwarded', screened: 'screened', kept: 'kept', answered: 'answered',
  unscreened: 'not screened in time', hand_off: 'hand-off note', accepted: 'accepted',
};

export function reasonText(reason: RouteReason): string {
  return kReasonText[reason] ?? reason;
}

// The line under a message for one person it reached: "Reached Dr. Nina Patel · on
// call", or for an escalation step "Not read in time: escalated to Dr. Yasmin Haddad"
// (with the step's role when it was a role and its name is known), or for an urgent
// message sent with an emergency override "Emergency override: delivered to Dr. Emeka
// Okafor although off duty", or for a forwarding "Forwarded to Dr. Yasmin Haddad (Dr.
// Emeka Okafor's forwarding)", or for a gatekeeper's decision (docs/routing.md,
// "Gatekeepers") "Passed on by Riley Morgan (screening for Dr. Minh Nguyen)", "Held by
// Riley Morgan until Dr. Minh Nguyen was available", "Answered by Riley Morgan, screening
// for Dr. Minh Nguyen", or for a hand-off note (docs/routing.md, "Hand-off notes")
// "Hand-off note to Mateo Santos, RN" and "Accepted by Mateo Santos, RN at 19:04", or
// for an urgent message no gatekeeper decided on in time "Urgent, not screened in
// time: delivered to Dr. Minh Nguyen". `addressee`: whom the message was written to, for `answered`
// (the event names only the gatekeeper); in a conversation of two, the other person.
export function routedText(
  target: RouteTarget, name: (userId: number) => string, roleName: (roleId: number) => string | null, addressee: number | null = null,
): string {
  if (target.reason === 'screened' || target.reason === 'kept' || target.reason === 'answered') return screenedText(target, name, addressee);
  if (target.reason === 'hand_off' || target.reason === 'accepted') return handOffRoutedText(target, name);
  if (target.reason === 'forwarded') {
    return target.from_user_id == null ? `Forwarded to ${name(target.user_id)}` : `Forwarded to ${name(target.user_id)} (${name(target.from_user_id)}'s forwarding)`;
  }
  if (target.reason === 'override') return `Emergency override: delivered to ${name(target.user_id)} although off duty`;
  if (target.reason === 'unscreened') return `Urgent, not screened in time: delivered to ${name(target.user_id)}`;
  if (target.reason !== 'escalated') return `Reached ${name(target.user_id)} · ${reasonText(target.reason)}`;
  const role = target.role_id == null ? null : roleName(target.role_id);
  const whom = role ? `${name(target.user_id)} (${role})` : name(target.user_id);
  return `Not read in time: escalated to ${whom}`;
}

function screenedText(target: RouteTarget, name: (userId: number) => string, addressee: number | null): string {
  const gatekeeper = target.gatekeeper_id ?? (target.reason === 'answered' ? target.user_id : null);
  const by = gatekeeper == null ? 'a gatekeeper' : name(gatekeeper);
  if (target.reason === 'screened') return `Passed on by ${by} (screening for ${name(target.user_id)})`;
  if (target.reason === 'kept') return `Held by ${by} until ${name(target.user_id)} was available`;
  return addressee === null || addressee === gatekeeper ? `Answered by ${by}, screening` : `Answered by ${by}, screening for ${name(addressee)}`;
}

// How a holder holds a role now: "on call until 19:00", "signed in".
export function holderText(holder: RoleHolder): string {
  if (holder.via === 'sign_in') return 'signed in';
  return holder.until ? `on call until ${timeOfDay(holder.until)}` : 'on call';
}

// Where a message to the role would go now, for the composer.
export function previewText(preview: RoutePreview, roleName: string, name: (userId: number) => string): string {
  const people = preview.recipients.map((r) => name(r.user_id));
  if (people.length === 0) return 'Nobody holds this role now; a message cannot be sent.';
  if (preview.fallback) return `Nobody holds ${roleName}: goes to its fallback, ${joinNames(people)}`;
  const reasons = preview.recipients.map((r) => `${name(r.user_id)} (${reasonText(r.reason)})`);
  return `Goes to ${joinNames(reasons)}`;
}

export function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

// ---- time zones --------------------------------------------------------------

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    zoneFormats.set(timeZone, format);
  }
  return format;
}

export interface LocalTime {
  date: string; // YYYY-MM-DD
  time: string; // HH:MM
}

// The wall-clock date and time of an instant in an IANA zone.
export function localIn(at: string | number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const part of zoneFormat(timeZone).formatToParts(new Date(at))) parts[part.type] = part.value;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

// The zone's offset from UTC at an instant, in ms.
function offsetAt(instant: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const part of zoneFormat(timeZone).formatToParts(new Date(instant))) parts[part.type] = part.value;
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

// The instant (RFC 3339 UTC) of a wall-clock time in a zone. As the server reads local
// times (docs/routing.md): a time in a spring-forward gap takes the offset from before
// the gap; an ambiguous fall-back time is its first occurrence.
export function instantOf(date: string, time: string, timeZone: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // The offsets in force a day either side; the earlier one wins when both fit.
  const candidates = [...new Set([offsetAt(wall - 86_400_000, timeZone), offsetAt(wall + 86_400_000, timeZone), offsetAt(wall, timeZone)])]
    .sort((a, b) => b - a)
    .map((offset) => wall - offset);
  const fitting = candidates.filter((instant) => wall === instant + offsetAt(instant, timeZone)).sort((a, b) => a - b);
  const before = offsetAt(wall - 86_400_000, timeZone);
  const instant = fitting[0] ?? wall - before;
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

// ---- the week ----------------------------------------------------------------

// Calendar dates as YYYY-MM-DD, computed in UTC so no local zone moves them.
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

// The Monday of the week holding `date`.
export function mondayOf(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

export function weekDays(monday: string): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

// The UTC window to ask GET /shifts for: the week's dates widened by 14 hours each side,
// so a shift that starts on one of them in any zone is in it.
export function weekWindow(monday: string): { from: string; to: string } {
  const start = Date.parse(`${monday}T00:00:00Z`) - 14 * 3600_000;
  const end = Date.parse(`${addDays(monday, 7)}T00:00:00Z`) + 14 * 3600_000;
  const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { from: iso(start), to: iso(end) };
}

// The shifts of one role on one date: those that start on that date in their own zone.
export function shiftsOn(shifts: Shift[], roleId: number, date: string): Shift[] {
  return shifts.filter((s) => s.role_id === roleId && localIn(s.starts_at, s.time_zone).date === date);
}

// "19:00–07:00" in the shift's zone.
export function shiftTimes(shift: Shift): string {
  return `${localIn(shift.starts_at, shift.time_zone).time}–${localIn(shift.ends_at, shift.time_zone).time}`;
}

const dayHeading = new Intl.DateTimeFormat([], { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

export function dayTitle(date: string): string {
  return dayHeading.format(new Date(`${date}T12:00:00Z`));
}
