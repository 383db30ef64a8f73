import type { MessageSearchPage } from './search';
import type {
  AvailabilityPeriod, AvailabilityStatus, DirectoryResult, Forwarding, HandOff, HandOffNote, HandOffNoteWritten,
  Held, HistoryPage, Invitation, LoginAnswer, MessageEvent, MessageStatus, OrgScreen, OrgScreenSection, Patient,
  Provider, ProviderQuery, Recipient, Role, RoutePreview, Screened, ScreeningAction, ScreeningOutcome, SessionState,
  Phone, Phones, QuickNote, QuickNotes, QuickNoteScope, Shift, ShiftInput, SignIn, Thread, User, UserAvailability,
} from './types';

// An error answer of the API, or a network failure (code "network").
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers['Authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check the network connection.');
  }
  if (response.status === 204) return undefined as T;
  let parsed: unknown = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'unknown', error?.message ?? `The server answered ${response.status}.`);
  }
  return parsed as T;
}

export function login(username: string, password: string, deviceName: string): Promise<LoginAnswer> {
  return request('POST', '/api/v1/login', null, { username, password, device_name: deviceName });
}

// Talks to the API with one session's token. onUnauthenticated runs on every 401,
// onLocked on every 423 (the server locked the session).
export class Api {
  constructor(
    private readonly token: string,
    private readonly onUnauthenticated: (message: string) => void,
    private readonly onLocked: () => void = () => {},
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await request<T>(method, path, this.token, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.onUnauthenticated(error.message);
      if (error instanceof ApiError && error.status === 423) this.onLocked();
      throw error;
    }
  }

  logout(): Promise<void> {
    return this.call('POST', '/api/v1/logout');
  }
  session(): Promise<SessionState> {
    return this.call('GET', '/api/v1/session');
  }
  lock(): Promise<void> {
    return this.call('POST', '/api/v1/session/lock');
  }
  // Exactly one of pin and password.
  unlock(secret: { pin: string } | { password: string }): Promise<SessionState> {
    return this.call('POST', '/api/v1/session/unlock', secret);
  }
  // The user's input, reported at most once a minute, keeps the server's idle lock away.
  activity(): Promise<void> {
    return this.call('POST', '/api/v1/session/activity');
  }
  setPin(password: string, pin: string): Promise<void> {
    return this.call('PUT', '/api/v1/me/pin', { password, pin });
  }
  me(): Promise<User & { org_id: number; device_id: number }> {
    return this.call('GET', '/api/v1/me');
  }
  async users(): Promise<User[]> {
    return (await this.call<{ users: User[] }>('GET', '/api/v1/users')).users;
  }
  // Current inpatients whose name, MRN or location has a word starting with each word of
  // `query` (all of them for ""), at most `limit`.
  async searchPatients(query: string, limit: number): Promise<Patient[]> {
    const path = `/api/v1/patients/search?q=${encodeURIComponent(query)}&limit=${limit}`;
    return (await this.call<{ patients: Patient[] }>('GET', path)).patients;
  }
  async threads(): Promise<Thread[]> {
    return (await this.call<{ threads: Thread[] }>('GET', '/api/v1/threads')).threads;
  }
  thread(id: number): Promise<Thread> {
    return this.call('GET', `/api/v1/threads/${id}`);
  }
  openDirect(userId: number): Promise<Thread> {
    return this.call('POST', '/api/v1/threads', { kind: 'direct', user_id: userId });
  }
  createGroup(title: string, memberIds: number[]): Promise<Thread> {
    return this.call('POST', '/api/v1/threads', { kind: 'group', title, member_ids: memberIds });
  }
  openPatient(patientId: number, memberIds: number[], title: string): Promise<Thread> {
    return this.call('POST', '/api/v1/threads', { kind: 'patient', patient_id: patientId, member_ids: memberIds, title });
  }
  renameThread(threadId: number, title: string): Promise<Thread> {
    return this.call('PATCH', `/api/v1/threads/${threadId}`, { title });
  }
  addMember(threadId: number, userId: number): Promise<void> {
    return this.call('POST', `/api/v1/threads/${threadId}/members`, { user_id: userId });
  }
  removeMember(threadId: number, userId: number): Promise<void> {
    return this.call('DELETE', `/api/v1/threads/${threadId}/members/${userId}`);
  }
  // Newest first; beforeSeq 0 = from the newest.
  history(threadId: number, beforeSeq: number, limit: number): Promise<HistoryPage> {
    return this.call('GET', `/api/v1/threads/${threadId}/messages?before_seq=${beforeSeq}&limit=${limit}`);
  }
  // The key that seals what the app keeps on the device (base64url, 32 bytes).
  async storageKey(): Promise<string> {
    return (await this.call<{ key: string }>('GET', '/api/v1/me/storage-key')).key;
  }
  message(messageId: number): Promise<MessageEvent> {
    return this.call('GET', `/api/v1/messages/${messageId}`);
  }
  messageStatus(messageId: number): Promise<MessageStatus> {
    return this.call('GET', `/api/v1/messages/${messageId}/status`);
  }

  // ---- routing: roles, sign-ins and shifts (docs/protocol.md section 5) ----
  async roles(): Promise<Role[]> {
    return (await this.call<{ roles: Role[] }>('GET', '/api/v1/roles')).roles;
  }
  role(roleId: number): Promise<Role> {
    return this.call('GET', `/api/v1/roles/${roleId}`);
  }
  rolePreview(roleId: number): Promise<RoutePreview> {
    return this.call('GET', `/api/v1/roles/${roleId}/preview`);
  }
  threadPreview(threadId: number): Promise<{ recipients: Recipient[] }> {
    return this.call('GET', `/api/v1/threads/${threadId}/preview`);
  }
  // The user's own messages held in the thread for an off-duty person, oldest first.
  async threadHeld(threadId: number): Promise<Held[]> {
    return (await this.call<{ held: Held[] }>('GET', `/api/v1/threads/${threadId}/held`)).held;
  }
  // Withdraws a held message: it is never delivered; the answer has its text.
  withdrawHeld(heldId: number): Promise<Held> {
    return this.call('DELETE', `/api/v1/held/${heldId}`);
  }
  availability(userId: number): Promise<UserAvailability> {
    return this.call('GET', `/api/v1/users/${userId}/availability`);
  }
  // From now; endsAt null: until a later setting replaces it.
  setAvailability(userId: number, status: AvailabilityStatus, endsAt: string | null): Promise<AvailabilityPeriod> {
    return this.call('POST', `/api/v1/users/${userId}/availability`, endsAt ? { status, ends_at: endsAt } : { status });
  }
  // Ahead: from `startsAt` (null: now) until `endsAt` (null: until a later setting).
  setAvailabilityPeriod(userId: number, status: AvailabilityStatus, startsAt: string | null, endsAt: string | null): Promise<AvailabilityPeriod> {
    const body: { status: AvailabilityStatus; starts_at?: string; ends_at?: string } = { status };
    if (startsAt) body.starts_at = startsAt;
    if (endsAt) body.ends_at = endsAt;
    return this.call('POST', `/api/v1/users/${userId}/availability`, body);
  }
  deleteAvailabilityPeriod(userId: number, periodId: number): Promise<void> {
    return this.call('DELETE', `/api/v1/users/${userId}/availability/${periodId}`);
  }
  // In force, ahead or ended; null when none was ever set (or it was cleared).
  async forwarding(userId: number): Promise<Forwarding | null> {
    return (await this.call<{ forwarding: Forwarding | null }>('GET', `/api/v1/users/${userId}/forwarding`)).forwarding;
  }
  async setForwarding(
    userId: number, body: { to_user_id?: number; to_role_id?: number; starts_at?: string; ends_at?: string },
  ): Promise<Forwarding> {
    return (await this.call<{ forwarding: Forwarding }>('PUT', `/api/v1/users/${userId}/forwarding`, body)).forwarding;
  }
  clearForwarding(userId: number): Promise<void> {
    return this.call('DELETE', `/api/v1/users/${userId}/forwarding`);
  }
  // A person's gatekeepers, in order.
  async gatekeepers(userId: number): Promise<number[]> {
    return (await this.call<{ user_ids: number[] }>('GET', `/api/v1/users/${userId}/gatekeepers`)).user_ids;
  }
  async setGatekeepers(userId: number, userIds: number[]): Promise<number[]> {
    return (await this.call<{ user_ids: number[] }>('PUT', `/api/v1/users/${userId}/gatekeepers`, { user_ids: userIds })).user_ids;
  }
  // The messages waiting for the user's decision as a gatekeeper, oldest first.
  async screening(): Promise<Screened[]> {
    return (await this.call<{ screening: Screened[] }>('GET', '/api/v1/screening')).screening;
  }
  decideScreening(heldId: number, action: ScreeningAction): Promise<ScreeningOutcome> {
    return this.call('POST', `/api/v1/screening/${heldId}`, action);
  }
  // Directory search (docs/protocol.md, "GET /api/v1/directory").
  // Message search (docs/protocol.md, "GET /api/v1/search/messages").
  searchMessages(query: string, before: number | null = null, limit = 20): Promise<MessageSearchPage> {
    const page = before === null ? '' : `&before=${before}`;
    return this.call('GET', `/api/v1/search/messages?q=${encodeURIComponent(query)}&limit=${limit}${page}`);
  }
  searchDirectory(query: string, limit = 20): Promise<{ results: DirectoryResult[] }> {
    return this.call('GET', `/api/v1/directory?q=${encodeURIComponent(query)}&limit=${limit}`);
  }
  myPhones(): Promise<Phones> {
    return this.call('GET', '/api/v1/me/phones');
  }
  setMyPhones(phones: Phone[]): Promise<Phones> {
    return this.call('PUT', '/api/v1/me/phones', { phones });
  }
  userPhones(userId: number): Promise<Phones> {
    return this.call('GET', `/api/v1/users/${userId}/phones`);
  }
  quickNotes(): Promise<QuickNotes> {
    return this.call('GET', '/api/v1/quick-notes');
  }
  createQuickNote(scope: QuickNoteScope, title: string, text: string): Promise<QuickNote> {
    return this.call('POST', '/api/v1/quick-notes', { scope, title, text });
  }
  updateQuickNote(id: number, title: string, text: string): Promise<QuickNote> {
    return this.call('PUT', `/api/v1/quick-notes/${id}`, { title, text });
  }
  deleteQuickNote(id: number): Promise<void> {
    return this.call('DELETE', `/api/v1/quick-notes/${id}`);
  }
  orgScreen(): Promise<OrgScreen> {
    return this.call('GET', '/api/v1/org-screen');
  }
  // Answers 409 (code "aborted") when someone saved since `version`.
  saveOrgScreen(version: number, sections: OrgScreenSection[]): Promise<OrgScreen> {
    return this.call('PUT', '/api/v1/org-screen', { version, sections });
  }
  openRole(roleId: number): Promise<Thread> {
    return this.call('POST', `/api/v1/roles/${roleId}/thread`, {});
  }
  signInTo(roleId: number): Promise<void> {
    return this.call('POST', `/api/v1/roles/${roleId}/sign-in`, {});
  }
  signOutOf(roleId: number): Promise<void> {
    return this.call('POST', `/api/v1/roles/${roleId}/sign-out`, {});
  }
  // With `note`, a hand-off note to `userId` is written first, in the same step.
  handOver(roleId: number, userId: number, note?: HandOffNote): Promise<void> {
    return this.call('POST', `/api/v1/roles/${roleId}/hand-over`, note ? { user_id: userId, note } : { user_id: userId });
  }
  // A hand-off note without handing over (a holder by a shift, or before the hand-over).
  writeHandoffNote(roleId: number, userId: number, note: HandOffNote): Promise<HandOffNoteWritten> {
    return this.call('POST', `/api/v1/roles/${roleId}/handoff-notes`, { user_id: userId, client_id: note.client_id, body: note.body });
  }
  // The notes to the user not accepted yet, oldest first.
  async handoffs(): Promise<HandOff[]> {
    return (await this.call<{ handoffs: HandOff[] }>('GET', '/api/v1/handoffs')).handoffs;
  }
  acceptHandoff(messageId: number): Promise<HandOff> {
    return this.call('POST', `/api/v1/handoffs/${messageId}/accept`);
  }
  async signIns(userId: number): Promise<SignIn[]> {
    return (await this.call<{ sign_ins: SignIn[] }>('GET', `/api/v1/sign-ins?user_id=${userId}`)).sign_ins;
  }
  // Shifts overlapping [from, to), at most 62 days apart.
  async shifts(from: string, to: string): Promise<Shift[]> {
    const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    return (await this.call<{ shifts: Shift[] }>('GET', `/api/v1/shifts?${query}`)).shifts;
  }
  addShift(shift: ShiftInput): Promise<Shift> {
    return this.call('POST', '/api/v1/shifts', shift);
  }
  updateShift(shiftId: number, shift: ShiftInput): Promise<Shift> {
    return this.call('PUT', `/api/v1/shifts/${shiftId}`, shift);
  }
  // The provider directory (docs/protocol.md, "Providers and invitations").
  async providers(query: ProviderQuery): Promise<Provider[]> {
    return (await this.call<{ providers: Provider[] }>('GET', `/api/v1/providers?${providerSearch(query)}`)).providers;
  }
  invite(threadId: number, npi: string): Promise<Invitation> {
    return this.call('POST', `/api/v1/threads/${threadId}/invitations`, { npi });
  }
  async invitations(threadId: number): Promise<Invitation[]> {
    return (await this.call<{ invitations: Invitation[] }>('GET', `/api/v1/threads/${threadId}/invitations`)).invitations;
  }
  deleteShift(shiftId: number): Promise<void> {
    return this.call('DELETE', `/api/v1/shifts/${shiftId}`);
  }
}

// The query string of a directory search: the fields given, trimmed; empty ones left out.
export function providerSearch(query: ProviderQuery): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'npi', 'taxonomy', 'city', 'state'] as const) {
    const value = query[key]?.trim();
    if (value) params.set(key, value);
  }
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  return params.toString();
}
