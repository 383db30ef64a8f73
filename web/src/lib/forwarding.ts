// Forwarding as the app words it (docs/routing.md, "Forwarding"; docs/web.md
// "Forwarding"). Pure functions: the components and the unit tests use the same ones.
import { dayKey, dayLabel, timeOfDay } from './format';
import { joinNames } from './routing';
import type { AvailabilityPeriod, AvailabilityStatus, Forwarding, Recipient } from './types';

type Name = (userId: number) => string;
type RoleName = (roleId: number) => string;

// Whether a forwarding is ahead, in force or over at `now`.
export type ForwardingPhase = 'ahead' | 'active' | 'ended';

export function forwardingPhase(forwarding: Pick<Forwarding, 'starts_at' | 'ends_at'>, now: number): ForwardingPhase {
  if (Date.parse(forwarding.starts_at) > now) return 'ahead';
  if (forwarding.ends_at !== null && Date.parse(forwarding.ends_at) <= now) return 'ended';
  return 'active';
}

// Whom it goes to: the colleague's name or the role's.
export function forwardingTarget(forwarding: Pick<Forwarding, 'to_user_id' | 'to_role_id'>, name: Name, roleName: RoleName): string {
  if (forwarding.to_user_id !== null) return name(forwarding.to_user_id);
  if (forwarding.to_role_id !== null) return roleName(forwarding.to_role_id);
  return 'nobody';
}

// "14:00" today, else "Tue 8 Dec 14:00" (or "Tomorrow 14:00").
export function whenText(at: string, now: number): string {
  if (dayKey(at) === dayKey(now)) return timeOfDay(at);
  const tomorrow = new Date(now);
  tomorrow.setDate(tomorrow.getDate() + 1);
  const day = dayKey(at) === dayKey(tomorrow.getTime()) ? 'Tomorrow' : dayLabel(at, now);
  return `${day} ${timeOfDay(at)}`;
}

// The user's own forwarding, for the dialog: "Forwarding to Dr. Yasmin Haddad until
// 18:00", "Forwarding to Hospitalist On Call until you stop it", "Forwarding to … from
// Tomorrow 08:00 until 18:00"; null when there is none or it is over.
export function ownForwardingText(forwarding: Forwarding | null, now: number, name: Name, roleName: RoleName): string | null {
  if (!forwarding) return null;
  const phase = forwardingPhase(forwarding, now);
  if (phase === 'ended') return null;
  const target = forwardingTarget(forwarding, name, roleName);
  const from = phase === 'ahead' ? ` from ${whenText(forwarding.starts_at, now)}` : '';
  const until = forwarding.ends_at ? ` until ${whenText(forwarding.ends_at, now)}` : ' until you stop it';
  return `Forwarding to ${target}${from}${until}`;
}

// The body of PUT /users/{id}/forwarding from the form: a colleague or a role, and
// optional times of day ("HH:MM", the local clock). `from` is the next time the clock
// shows it (now when empty); `until` the next time after the start.
export function forwardingRequest(
  target: { userId: number } | { roleId: number }, from: string, until: string, now: number,
): { to_user_id?: number; to_role_id?: number; starts_at?: string; ends_at?: string } {
  const body: { to_user_id?: number; to_role_id?: number; starts_at?: string; ends_at?: string } =
    'userId' in target ? { to_user_id: target.userId } : { to_role_id: target.roleId };
  let start = now;
  if (from) {
    body.starts_at = nextAt(from, now);
    start = Date.parse(body.starts_at);
  }
  if (until) body.ends_at = nextAt(until, start);
  return body;
}

// The next moment after `after` the local clock shows `time` ("HH:MM"), as RFC 3339 UTC.
function nextAt(time: string, after: number): string {
  const [hh, mm] = time.split(':').map(Number);
  const at = new Date(after);
  at.setHours(hh, mm, 0, 0);
  if (at.getTime() <= after) at.setDate(at.getDate() + 1);
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// A `datetime-local` value ("2026-12-08T14:00", the local clock) as RFC 3339 UTC; null
// when it is empty or not a time.
export function localInputToUtc(value: string): string | null {
  if (!value) return null;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return null;
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The people a recipient's forwarding leads to in a preview: those after it with reason
// `forwarded` from them, and on along a chain (a target who forwards too).
export function forwardedFrom(recipients: readonly Recipient[], userId: number): number[] {
  const reached: number[] = [];
  const from = new Set([userId]);
  for (const r of recipients) {
    if (r.reason !== 'forwarded' || r.from_user_id === undefined || !from.has(r.from_user_id)) continue;
    if (!reached.includes(r.user_id) && r.user_id !== userId) reached.push(r.user_id);
    from.add(r.user_id);
  }
  return reached;
}

// For each person in a preview whose forwarding a send would follow, one line: "Dr.
// Emeka Okafor forwards to Dr. Yasmin Haddad — your message will also reach Dr. Yasmin
// Haddad" (a conversation: the person keeps it too), or, for a role's holder, "… — your
// message will reach … instead". Nothing for a forwarding the send would not follow
// (a group, or a preview that lists nobody after it).
export function forwardingLines(recipients: readonly Recipient[], name: Name, roleName: RoleName, mode: 'also' | 'instead' = 'also'): string[] {
  const lines: string[] = [];
  for (const r of recipients) {
    if (!r.forwarding || r.reason === 'forwarded') continue;
    const reached = forwardedFrom(recipients, r.user_id);
    if (reached.length === 0) continue;
    const whom = joinNames(reached.map(name));
    const reach = mode === 'also' ? `your message will also reach ${whom}` : `your message will reach ${whom} instead`;
    lines.push(`${name(r.user_id)} forwards to ${forwardingTarget(r.forwarding, name, roleName)} — ${reach}`);
  }
  return lines;
}

// The notice when `sent` says a forwarding loop was not followed. `addressee`: the
// other person of a conversation between two people, when known.
export function loopNotice(addressee: number | null, name: Name): string {
  if (addressee === null) return 'A forwarding loops back, so it was not followed: the message went to whom you wrote to.';
  return `${name(addressee)}'s forwarding loops back, so it was not followed: the message went to ${name(addressee)}.`;
}

// ---- colleagues' status in the directory and the people picker ----------------

// What the app knows of a colleague's availability and forwarding now.
export interface PersonStatus {
  status: AvailabilityStatus;
  until: string | null;
  // Only one in force now (or ahead: shown once it starts).
  forwarding: Forwarding | null;
  // When what is known may no longer hold (a period ends or starts, a forwarding
  // starts or ends), in ms; null: not before the next change is announced.
  staleAt: number | null;
}

// From GET /users/{id}/availability and GET /users/{id}/forwarding.
export function personStatus(
  availability: { status: AvailabilityStatus; until: string | null; periods: Pick<AvailabilityPeriod, 'starts_at'>[] },
  forwarding: Forwarding | null, now: number,
): PersonStatus {
  const moments: number[] = [];
  if (availability.until) moments.push(Date.parse(availability.until));
  for (const p of availability.periods) moments.push(Date.parse(p.starts_at));
  const kept = forwarding && forwardingPhase(forwarding, now) !== 'ended' ? forwarding : null;
  if (kept) {
    moments.push(Date.parse(kept.starts_at));
    if (kept.ends_at) moments.push(Date.parse(kept.ends_at));
  }
  const ahead = moments.filter((t) => t > now);
  return { status: availability.status, until: availability.until, forwarding: kept, staleAt: ahead.length > 0 ? Math.min(...ahead) : null };
}

// From a preview's recipient (its `forwarding` is one in force now). Periods ahead are
// not in a preview, so it is good only until the period in force ends.
export function personStatusFromRecipient(recipient: Recipient): PersonStatus {
  const forwarding = recipient.forwarding ?? null;
  const moments = [recipient.until, forwarding?.ends_at ?? null].filter((t): t is string => t !== null).map(Date.parse);
  return { status: recipient.availability, until: recipient.until, forwarding, staleAt: moments.length > 0 ? Math.min(...moments) : null };
}

// "→ Dr. Yasmin Haddad" when their forwarding is in force now.
export function forwardsTag(person: PersonStatus, now: number, name: Name, roleName: RoleName): string {
  if (!person.forwarding || forwardingPhase(person.forwarding, now) !== 'active') return '';
  return `→ ${forwardingTarget(person.forwarding, name, roleName)}`;
}
