// Protocol objects, as defined in docs/protocol.md sections 6 and 7.

export interface User {
  id: number;
  username: string;
  display_name: string;
  title: string;
  // Absent from servers before the directory (docs/protocol.md, "User").
  department?: string;
  is_admin: boolean;
  online: boolean;
  // The number to call them back on as the caller may see it, or null (docs/callback.md);
  // absent from servers before call back.
  callback?: string | null;
}

// Call back (docs/protocol.md, "Call back: phone numbers").
export type PhoneKind = 'work' | 'mobile' | 'pager';
export type PhoneVisibility = 'everyone' | 'colleagues' | 'admins';
export interface Phone {
  kind: PhoneKind;
  number: string;
  visibility: PhoneVisibility;
  preferred: boolean;
}
export interface Phones {
  phones: Phone[];
  callback: string | null;
}

// Quick notes (docs/protocol.md, "Quick notes").
export type QuickNoteScope = 'org' | 'personal';
export interface QuickNote {
  id: number;
  scope: QuickNoteScope;
  title: string;
  text: string;
  updated_at: string;
}
export interface QuickNotes {
  notes: QuickNote[];
  placeholders: string[];
  limits: { title_bytes: number; text_bytes: number; personal: number; org: number };
}

// A role's holder now, as directory search and the org screen show them.
export interface DirectoryHolder {
  user_id: number;
  display_name: string;
  reason: 'on_call' | 'signed_in';
  online: boolean;
}

export type DirectoryMatch = 'exact' | 'first_word' | 'word';

// One result of GET /api/v1/directory (docs/protocol.md).
export type DirectoryResult =
  | { kind: 'person'; id: number; display_name: string; username: string; title: string; department: string; online: boolean; match: DirectoryMatch }
  | { kind: 'role'; id: number; name: string; description: string; on_call: DirectoryHolder[]; match: DirectoryMatch }
  | { kind: 'group'; id: number; title: string; members: number; match: DirectoryMatch };

// An org screen item as admins edit it (PUT /api/v1/org-screen).
export type OrgScreenItem =
  | { type: 'link'; label: string; url: string }
  | { type: 'phone'; label: string; number: string }
  | { type: 'staff'; department: string }
  | { type: 'on_call' };

export interface OrgScreenSection {
  title: string;
  items: OrgScreenItem[];
}

// The org screen as GET /api/v1/org-screen answers it: staff and on-call lists resolved.
export type RenderedOrgScreenItem =
  | { type: 'link'; label: string; url: string }
  | { type: 'phone'; label: string; number: string }
  | { type: 'staff'; department: string; people: { id: number; display_name: string; title: string; online: boolean }[]; truncated: boolean }
  | { type: 'on_call'; roles: { id: number; name: string; on_call: DirectoryHolder[] }[]; truncated: boolean };

export interface OrgScreen {
  version: number;
  sections: { title: string; items: RenderedOrgScreenItem[] }[];
  updated_at?: string;
  updated_by?: number | null;
}

export interface Patient {
  id: number;
  mrn: string;
  name: string;
  date_of_birth: string;
  location: string;
  attending: string;
  // HL7 table 0001 ("F", "M", ...), or "".
  sex: string;
  // The current visit: "preadmitted", "admitted", "registered", "discharged", or "".
  status: string;
  admitted_at: string;
  discharged_at: string;
  identifiers: { value: string; authority: string; type: string }[];
  updated_at: string;
}

export type ThreadKind = 'direct' | 'group' | 'patient' | 'role';

export interface MessageEvent {
  id: number;
  kind: 'message';
  thread_id: number;
  at: string;
  seq: number;
  sender_id: number;
  client_id: string;
  urgent: boolean;
  body: string;
  // The number the sender asked to be called back on, or null (absent before call back).
  callback?: string | null;
  // When the sender's client says it was written (offline), or null.
  written_at?: string | null;
}

export interface DeliveredEvent {
  id: number;
  kind: 'delivered';
  thread_id: number;
  at: string;
  user_id: number;
  message_id: number;
  message_seq: number;
}

export interface ReadEvent {
  id: number;
  kind: 'read';
  thread_id: number;
  at: string;
  user_id: number;
  up_to_seq: number;
}

export interface MemberEvent {
  id: number;
  kind: 'member_added' | 'member_removed';
  thread_id: number;
  at: string;
  user_id: number;
  by_user_id: number;
}

export interface ThreadCreatedEvent {
  id: number;
  kind: 'thread_created';
  thread_id: number;
  at: string;
  by_user_id: number;
}

export interface ThreadRenamedEvent {
  id: number;
  kind: 'thread_renamed';
  thread_id: number;
  at: string;
  title: string;
  by_user_id: number;
}

// Message `message_id` reached `user_id`: in a role thread through role `role_id`, or,
// unread past its deadline, as a step of a backup chain (`escalated`, `role_id` null for
// a person), or although they were off duty, by an urgent message's emergency override
// (`override`), or through the forwarding of `from_user_id` (`forwarded`), or through a
// gatekeeper `gatekeeper_id` who passed it on (`screened`), held it until they were
// available (`kept`) or answered it (`answered`: `user_id` is the gatekeeper), or as a
// role's hand-off note to `user_id`, the incoming holder (`hand_off`), which they later
// accepted (`accepted`, a second event about the same message, `at` when)
// (docs/routing.md, "Reasons", "Gatekeepers" and "Hand-off notes").
export type RouteReason =
  | 'on_call' | 'signed_in' | 'fallback' | 'escalated' | 'override' | 'forwarded' | 'screened' | 'kept' | 'answered' | 'unscreened' | 'hand_off' | 'accepted';

export interface RoutedEvent {
  id: number;
  kind: 'routed';
  thread_id: number;
  at: string;
  message_id: number;
  message_seq: number;
  user_id: number;
  role_id: number | null;
  reason: RouteReason;
  // Whose forwarding sent it (reason `forwarded` only).
  from_user_id?: number;
  // The gatekeeper who decided (reasons `screened`, `kept`, `answered` only).
  gatekeeper_id?: number;
}

// The thread's patient changed (the ADT feed): fetch the thread again for its banner.
export interface PatientChangedEvent {
  id: number;
  kind: 'patient_changed';
  thread_id: number;
  at: string;
}

// A provider of the NPPES directory was invited to the thread (docs/protocol.md,
// "Providers and invitations"); the invitation's id is the event's.
export interface ProviderInvitedEvent {
  id: number;
  kind: 'provider_invited';
  thread_id: number;
  at: string;
  invitation_id: number;
  npi: string;
  by_user_id: number;
}

export type ThreadEvent =
  | MessageEvent | DeliveredEvent | ReadEvent | MemberEvent | ThreadCreatedEvent | ThreadRenamedEvent | RoutedEvent
  | PatientChangedEvent | ProviderInvitedEvent;

// Events scoped to the user or the whole org rather than a thread (docs/protocol.md,
// "Events"): they say what changed; the client fetches it.
export interface UserChangedEvent {
  id: number;
  kind: 'user_changed';
  scope: 'org';
  at: string;
  user_id: number;
  by_user_id: number;
}

export interface OrgChangedEvent {
  id: number;
  kind: 'org_changed';
  scope: 'org';
  at: string;
  by_user_id: number;
}

export interface DevicesChangedEvent {
  id: number;
  kind: 'devices_changed';
  scope: 'user';
  at: string;
  user_id: number;
  by_user_id: number;
}

// A role was created or changed (role_changed), or who holds it changed (on_call_changed).
export interface RoleEvent {
  id: number;
  kind: 'role_changed' | 'on_call_changed';
  scope: 'org';
  at: string;
  role_id: number;
  by_user_id: number;
}

// One of the user's messages, or one sent to them, needs attention (docs/routing.md,
// "Reminders" and "Escalation"): nobody read it (reminder, unanswered), or an urgent
// message to them is still unread (alert).
export type AttentionKind = 'reminder' | 'unanswered' | 'alert';

export interface AttentionEvent {
  id: number;
  kind: AttentionKind;
  scope: 'user';
  at: string;
  message_id: number;
}

// Someone's availability changed (a period was set or removed), or their forwarding
// was set or cleared.
export interface AvailabilityEvent {
  id: number;
  kind: 'availability_changed';
  scope: 'org';
  at: string;
  user_id: number;
  by_user_id: number;
}

// A message to `user_id` was screened (sent by `by_user_id`: to their gatekeepers), or
// gatekeeper `by_user_id` decided on one (to the gatekeepers and the message's sender)
// (docs/protocol.md, "Gatekeepers"). The client fetches the screening list or the held list.
export interface ScreeningEvent {
  id: number;
  kind: 'screening';
  scope: 'user';
  at: string;
  user_id: number;
  by_user_id: number;
}

export type ScopedEvent = UserChangedEvent | OrgChangedEvent | DevicesChangedEvent | RoleEvent | AttentionEvent | AvailabilityEvent | ScreeningEvent;

export type StreamEvent = ThreadEvent | ScopedEvent;

export function isThreadEvent(event: StreamEvent): event is ThreadEvent {
  return 'thread_id' in event && typeof event.thread_id === 'number';
}

export interface Thread {
  id: number;
  kind: ThreadKind;
  title: string;
  member_ids: number[];
  // A direct or two-person patient thread's two people, even after others joined it;
  // null for other threads (absent from threads cached by older versions).
  pair_user_ids?: [number, number] | null;
  patient: Patient | null;
  // The role, for role threads.
  role_id?: number | null;
  created_at: string;
  last_seq: number;
  read_seq: number;
  unread_count: number;
  has_unread_urgent: boolean;
  last_message: MessageEvent | null;
  // Only in the answer of POST /api/v1/threads: the thread existed before.
  existing?: boolean;
}

export interface Receipt {
  user_id: number;
  delivered_at: string | null;
  read_at: string | null;
}

// GET /api/v1/threads/{id}/messages (docs/protocol.md).
export interface HistoryPage {
  messages: MessageEvent[];
  receipts: {
    read: { user_id: number; up_to_seq: number }[];
    delivered: { message_id: number; user_ids: number[] }[];
  };
  // Whom the page's messages reached (role routing, escalation steps), by message seq.
  routed?: RoutedEvent[];
}

export interface MessageStatus {
  message_id: number;
  recipients: Receipt[];
}

export interface LoginAnswer {
  token: string;
  user: User;
  org_id: number;
  device_id: number;
  expires_at: string;
  idle_lock_seconds: number;
  has_pin: boolean;
}

// GET /api/v1/session: the session's lock (docs/protocol.md section 3).
export interface SessionState {
  locked: boolean;
  idle_lock_seconds: number;
  expires_at: string;
  has_pin: boolean;
  pin_tries_left: number;
}

// Server-to-client WebSocket frames (section 7.5).
export type ServerFrame =
  | { type: 'welcome'; user_id: number; org_id: number; device_id: number; server_time: string }
  | { type: 'resync'; reason: string; cursor: string }
  | { type: 'event'; cursor: string; event: StreamEvent }
  | { type: 'events'; cursor: string; events: StreamEvent[] }
  | { type: 'caught_up'; cursor: string }
  | SentMessageFrame
  | SentHeldFrame
  | { type: 'pong'; ref?: string }
  | { type: 'error'; code: string; message: string; ref?: string }
  | { type: 'presence'; user_id: number; online: boolean }
  | { type: 'typing'; thread_id: number; user_id: number };

// `sent` for a message that is in the thread now.
export interface SentMessageFrame {
  type: 'sent'; client_id: string; message_id: number; thread_id: number; seq: number; at: string; duplicate: boolean;
  // Whom the message reached and why: role threads, an emergency override, forwarding.
  routed_to?: RouteTarget[];
  // A forwarding loop was not followed: the message stayed with its addressee.
  forwarding_loop?: boolean;
  held?: undefined;
}

// `sent` for a message held for an off-duty person: no message id or seq yet.
export interface SentHeldFrame {
  type: 'sent'; client_id: string; thread_id: number; at: string; duplicate: boolean;
  held: HeldFor;
}

export type SentFrame = SentMessageFrame | SentHeldFrame;
export type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

// Routing (docs/protocol.md section 5, "Routing: roles, sign-ins and shifts").
export interface RouteTarget {
  user_id: number;
  reason: RouteReason;
  // The role of an escalation step that was a role (null or absent: a person).
  role_id?: number | null;
  // Whose forwarding sent it (reason `forwarded` only).
  from_user_id?: number | null;
  // The gatekeeper who decided (reasons `screened`, `kept`, `answered` only).
  gatekeeper_id?: number | null;
  // When it happened, where the line says it (reason `accepted`: the `routed` event's `at`).
  at?: string;
}

export interface RoleHolder {
  user_id: number;
  via: 'shift' | 'sign_in';
  since: string;
  until: string | null;
  shift_id: number | null;
}

export interface Role {
  id: number;
  kind: 'role' | 'unit' | 'room';
  name: string;
  description: string;
  fallback_role_id: number | null;
  fallback_user_id: number | null;
  created_at: string;
  updated_at: string;
  holders: RoleHolder[];
}

export interface RoutePreview {
  role_id: number;
  via_role_id: number;
  fallback: boolean;
  recipients: (RouteTarget & Partial<Availability> & { forwarding?: Forwarding | null })[];
}

// Availability (docs/protocol.md, "Availability and previews").
export type AvailabilityStatus = 'available' | 'busy' | 'in_procedure' | 'off_duty';

// How a person is now: the status and when the period in force ends (null: no end).
export interface Availability {
  availability: AvailabilityStatus;
  until: string | null;
}

// One of the people a message would reach now (GET /threads/{id}/preview, /users/{id}/preview).
// After a person whose forwarding a send would follow come the people it leads to,
// with reason `forwarded` and `from_user_id`.
export interface Recipient extends Availability {
  user_id: number;
  reason: string;
  // Their forwarding in force now (absent: an older server).
  forwarding?: Forwarding | null;
  from_user_id?: number;
  // Their gatekeepers in order, who screen a message to them while they are not
  // available ([]: none; absent: an older server).
  gatekeeper_ids?: number[];
}

// A person's forwarding (docs/protocol.md, "Forwarding"): to a colleague or a role
// (the other is null), from `starts_at` until `ends_at` (null: until cleared).
export interface Forwarding {
  user_id: number;
  to_user_id: number | null;
  to_role_id: number | null;
  starts_at: string;
  ends_at: string | null;
  set_by: number;
  set_at: string;
}

// What a held message waits for (docs/protocol.md, "Held messages"): the person to be
// back on duty (`off_duty`), a gatekeeper's decision (`screening`), or, held by a
// gatekeeper, the person to be available (`kept`).
export type HeldState = 'off_duty' | 'screening' | 'kept';

// Whom a held message waits for, as `sent` says it: their availability when it was
// held, and until when (null: until they change it); what it waits for and, when it is
// screened, the person's gatekeepers in order.
export interface HeldFor {
  held_id: number;
  user_id: number;
  availability: AvailabilityStatus;
  until: string | null;
  // Absent: an older server (off duty, no gatekeepers).
  state?: HeldState;
  gatekeeper_ids?: number[];
}

// One of the user's own messages held for an off-duty person (docs/protocol.md, "Held
// messages"): stored by the server, not yet in the thread.
export interface Held {
  held_id: number;
  thread_id: number;
  client_id: string;
  body: string;
  urgent: boolean;
  user_id: number;
  held_at: string;
  until: string | null;
  written_at: string | null;
  // Only from `sent`: absent in GET /threads/{id}/held.
  availability?: AvailabilityStatus;
  // Who sent it (the user); what it waits for and the gatekeeper who passed it on or
  // held it (absent: an older server, off duty).
  sender_id?: number;
  state?: HeldState;
  screened_by?: number | null;
  // Only from `sent`, for a screened message: the person's gatekeepers.
  gatekeeper_ids?: number[];
}

// A message in the user's screening list as one of the addressee's gatekeepers
// (GET /api/v1/screening): a Held message without client_id, from `sender_id` to
// `user_id`.
export type Screened = Omit<Held, 'client_id' | 'availability' | 'gatekeeper_ids'> & { sender_id: number };

// A gatekeeper's decision (POST /api/v1/screening/{held_id}).
export type ScreeningAction = { action: 'pass' } | { action: 'hold' } | { action: 'answer'; client_id: string; body: string };

// What the decision did: passed on and in the thread (`delivered`), passed on but held
// for someone off duty (`held`), kept until they are available (`kept`), answered. With
// the message appended, when one was.
export interface ScreeningOutcome {
  held_id: number;
  outcome: 'delivered' | 'held' | 'kept' | 'answered';
  message_id?: number;
  thread_id?: number;
  seq?: number;
}

export interface AvailabilityPeriod {
  id: number;
  status: AvailabilityStatus;
  starts_at: string;
  ends_at: string | null;
  set_by: number;
  set_at: string;
}

export interface UserAvailability {
  user_id: number;
  status: AvailabilityStatus;
  until: string | null;
  periods: AvailabilityPeriod[];
}

// A hand-off note to the user (docs/protocol.md, "Hand-off notes"): a message of the
// writer's role thread with `role_id`, from the outgoing holder to the incoming one.
export interface HandOff {
  message_id: number;
  role_id: number;
  thread_id: number;
  message_seq: number;
  from_user_id: number;
  to_user_id: number;
  created_at: string;
  // null until the incoming holder accepts it.
  accepted_at: string | null;
}

// What POST /roles/{id}/handoff-notes answers: the note as a message of the caller's thread.
export interface HandOffNoteWritten {
  message_id: number;
  thread_id: number;
  seq: number;
  duplicate: boolean;
}

// A note written with a hand-over (its client id makes a resend the same note).
export interface HandOffNote {
  client_id: string;
  body: string;
}

export interface SignIn {
  role_id: number;
  user_id: number;
  since: string;
}

export interface Shift {
  id: number;
  role_id: number;
  user_id: number;
  starts_at: string;
  ends_at: string;
  time_zone: string;
  source_key: string | null;
  updated_by: number | null;
  updated_at: string;
}

// What POST and PUT /api/v1/shifts take.
export interface ShiftInput {
  role_id: number;
  user_id: number;
  starts_at: string;
  ends_at: string;
  time_zone: string;
}

// A provider of the US directory (NPPES), as GET /api/v1/providers gives it.
export interface Provider {
  npi: string;
  entity: 'individual' | 'organization';
  name: string;
  credential: string;
  taxonomy: { code: string; name: string } | null;
  city: string;
  state: string;
  postal_code: string;
  phone: string;
  deactivated: boolean;
}

export interface ProviderQuery {
  q?: string;
  npi?: string;
  taxonomy?: string;
  city?: string;
  state?: string;
  limit?: number;
}

// A provider invited to a conversation.
export interface Invitation {
  id: number;
  thread_id: number;
  npi: string;
  invited_by: number;
  created_at: string;
  state: 'pending';
  provider: Provider;
}
