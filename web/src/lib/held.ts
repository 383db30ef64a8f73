// Messages held for an off-duty person (docs/routing.md, "Off duty: held messages";
// docs/web.md "Availability"). Pure functions: the store, the components and the unit
// tests use the same ones.
import { statusText } from './availability';
import { splitQuote, type Quote } from './compose';
import type { OutboxEntry } from './db';
import { timeOfDay } from './format';
import { joinNames } from './routing';
import type { AvailabilityStatus, Held, SentHeldFrame, Thread } from './types';

// A conversation between two people (direct, or a patient thread of two): the only
// kind where a message to an off-duty person is held, and where an override applies.
// Answers the other person, or null. Such a thread keeps its two people when others
// join it (an escalation or a forwarding adds who covers): the Thread's `pair_user_ids`
// (docs/protocol.md). A thread cached before that field existed falls back to its
// members, when there are two.
export function heldPeer(thread: Thread, selfId: number): number | null {
  if (thread.kind !== 'direct' && thread.kind !== 'patient') return null;
  const pair = thread.pair_user_ids !== undefined ? thread.pair_user_ids : thread.member_ids.length === 2 ? thread.member_ids : null;
  if (!pair || !pair.includes(selfId) || !thread.member_ids.includes(selfId)) return null;
  return pair.find((id) => id !== selfId) ?? null;
}

// Whether held messages can be in the thread, so whether GET /threads/{id}/held is worth
// asking: direct and patient threads (a patient thread may have grown past two people
// since one was held).
export function mayHold(thread: Thread): boolean {
  return thread.kind === 'direct' || thread.kind === 'patient';
}

// The held message a `sent` answer describes, from the outbox entry it answers.
export function heldFromSent(frame: SentHeldFrame, entry: OutboxEntry): Held {
  return {
    held_id: frame.held.held_id,
    thread_id: frame.thread_id,
    client_id: frame.client_id,
    body: entry.body,
    urgent: entry.urgent,
    user_id: frame.held.user_id,
    held_at: frame.at,
    until: frame.held.until,
    written_at: null,
    availability: frame.held.availability,
    sender_id: entry.userId,
    state: frame.held.state ?? 'off_duty',
    screened_by: null,
    gatekeeper_ids: frame.held.gatekeeper_ids ?? [],
  };
}

function byHeldId(a: Held, b: Held): number {
  return a.held_id - b.held_id;
}

// Adds a held message once (a duplicate `sent` says the same again), oldest first.
export function addHeld(list: readonly Held[], held: Held): Held[] {
  if (list.some((h) => h.held_id === held.held_id || h.client_id === held.client_id)) return [...list];
  return [...list, held].sort(byHeldId);
}

// The held message with this client id has arrived as a message (released): it goes.
export function releaseHeld(list: readonly Held[], clientId: string): Held[] {
  return list.filter((h) => h.client_id !== clientId);
}

export function withoutHeld(list: readonly Held[], heldId: number): Held[] {
  return list.filter((h) => h.held_id !== heldId);
}

// The thread's held list once GET /threads/{id}/held answered `answer`. The server is the
// truth, except for what this client learnt while the request was out: messages held
// by a `sent` meanwhile (in `local`, not in `before`, the held ids known when the
// request went) stay; those released or withdrawn meanwhile (in `before`, no longer in
// `local`), and any whose message is already in the thread (`delivered`, client ids),
// stay gone.
export function reconcileHeld(answer: readonly Held[], local: readonly Held[], before: ReadonlySet<number>, delivered: ReadonlySet<string>): Held[] {
  const now = new Set(local.map((h) => h.held_id));
  const gone = new Set([...before].filter((id) => !now.has(id)));
  const listed = new Set(answer.map((h) => h.held_id));
  const kept = answer.filter((h) => !gone.has(h.held_id) && !delivered.has(h.client_id));
  // A local entry carries the availability and gatekeepers `sent` told; the server's copy
  // does not.
  const merged = kept.map((h) => {
    const known = local.find((l) => l.held_id === h.held_id);
    return { ...h, availability: h.availability ?? known?.availability, gatekeeper_ids: h.gatekeeper_ids ?? known?.gatekeeper_ids };
  });
  const added = local.filter((h) => !before.has(h.held_id) && !listed.has(h.held_id) && !delivered.has(h.client_id));
  return [...merged, ...added].sort(byHeldId);
}

type Name = (userId: number) => string;
type HeldShown = Pick<Held, 'user_id' | 'until' | 'availability' | 'state' | 'screened_by' | 'gatekeeper_ids'>;

// What the app knows besides the held message: the person's gatekeepers and how they
// are now (a preview told), for a screened message listed by GET /threads/{id}/held,
// which says neither.
export interface HeldContext {
  gatekeepers?: readonly number[];
  availability?: AvailabilityStatus;
}

// "off duty until 07:00", "off duty until they are back on duty".
function awayText(held: Pick<Held, 'until' | 'availability'>): string {
  const status = statusText(held.availability ?? 'off_duty');
  return held.until ? `${status} until ${timeOfDay(held.until)}` : `${status} until they are back on duty`;
}

// "in procedure", "busy until 15:00"; "not available" when it is not known.
function screenedAway(held: HeldShown, context: HeldContext): string {
  const status = held.availability ?? context.availability;
  if (!status || status === 'available') return 'not available';
  return held.until ? `${statusText(status)} until ${timeOfDay(held.until)}` : statusText(status);
}

function gatekeeperNames(held: HeldShown, context: HeldContext, name: Name): string {
  const ids = held.gatekeeper_ids && held.gatekeeper_ids.length > 0 ? held.gatekeeper_ids : context.gatekeepers ?? [];
  return ids.length > 0 ? joinNames(ids.map(name)) : 'their gatekeepers';
}

// The line on a held bubble: "Held — Dr. Emeka Okafor is off duty until 07:00"; screened,
// "With Riley Morgan for screening — Dr. Minh Nguyen is in procedure"; held by a
// gatekeeper, "Held by Riley Morgan until Dr. Minh Nguyen is available".
export function heldText(held: HeldShown, name: Name, context: HeldContext = {}): string {
  if (held.state === 'screening') return `With ${gatekeeperNames(held, context, name)} for screening — ${name(held.user_id)} is ${screenedAway(held, context)}`;
  if (held.state === 'kept') {
    return held.screened_by != null ? `Held by ${name(held.screened_by)} until ${name(held.user_id)} is available` : `Held until ${name(held.user_id)} is available`;
  }
  const line = `Held — ${name(held.user_id)} is ${awayText(held)}`;
  // Passed on by a gatekeeper to someone off duty: it waits for them to be back.
  return held.screened_by != null ? `${line} (passed on by ${name(held.screened_by)})` : line;
}

// What is announced when a message is held.
export function heldNotice(held: HeldShown, name: Name, context: HeldContext = {}): string {
  if (held.state === 'screening') {
    return `Your message is with ${gatekeeperNames(held, context, name)} for screening: ${name(held.user_id)} is ${screenedAway(held, context)}.`;
  }
  return `Your message is held: ${name(held.user_id)} is ${awayText(held)}.`;
}

// The composer after a held message was withdrawn: an empty composer gets the message
// back as it was (its quote too, for a reply); text already typed stays, with the
// message after it.
export function refill(typed: string, quote: Quote | null, body: string): { text: string; quote: Quote | null } {
  if (typed.trim()) return { text: `${typed.trimEnd()}\n\n${body}`, quote };
  const reply = splitQuote(body);
  return reply ? { text: reply.text, quote: reply.quote } : { text: body, quote: null };
}
