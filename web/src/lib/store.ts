import { addAttention, removeAttention, type Attention } from './attention';
import { type LocalStore, type OutboxEntry } from './db';
import { MemoryDrafts, type Drafts } from './drafts';
import { personStatus, personStatusFromRecipient, type PersonStatus } from './forwarding';
import { withoutScreened } from './gatekeepers';
import { changesHandoffs, withoutHandoff } from './handoffs';
import { addHeld, heldFromSent, mayHold, type HeldContext, reconcileHeld, releaseHeld, withoutHeld } from './held';
import { Api, ApiError } from './http';
import { Outbox, sendFrame } from './outbox';
import { SyncSocket, type ConnectionState, type SocketFactory } from './socket';
import { addReadMark, recipientStatuses, type ReadMarks, type RecipientStatus } from './status';
import { isThreadEvent } from './types';
import type {
  AttentionEvent, AttentionKind, ErrorFrame, HandOff, Held, HistoryPage, Invitation, MessageEvent, Patient, ProviderInvitedEvent, Recipient, Role, RoutedEvent, RouteTarget, ScopedEvent,
  Screened, ScreeningAction, ScreeningOutcome, SentFrame, StreamEvent, Thread, ThreadEvent, User,
} from './types';

export interface ThreadState {
  thread: Thread;
  // Loaded messages, ascending and contiguous by seq.
  messages: MessageEvent[];
  ids: Set<number>;
  clientIds: Set<string>;
  historyLoaded: boolean;
  reachedStart: boolean;
  loadingOlder: boolean;
  readMarks: Map<number, ReadMarks>;
  // message id -> recipient id -> delivered time (null: delivered, time not known)
  delivered: Map<number, Map<number, string | null>>;
  // user id -> time (ms) until which "typing" shows
  typing: Map<number, number>;
  activity: string;
  // The user is no longer a member; the thread stays while it holds her unsent or
  // failed messages.
  removed: boolean;
  // Who removed this user from the thread (themselves: they left). The thread stays,
  // read-only, until the next full reload.
  removedBy: number | null;
  // read_seq when the thread was last opened: where its new-messages divider goes.
  openedReadSeq: number;
  // Message id -> whom it reached and why: role routing and escalation steps (`routed`
  // events, `sent`'s routed_to, the `routed` of history pages).
  routed: Map<number, RouteTarget[]>;
  // The user's own messages held in this thread for an off-duty person, oldest first:
  // from `sent` answers and GET /threads/{id}/held (the truth, fetched when the thread
  // opens and after a reconnect). Never written to the local cache.
  held: Held[];
  // The held_id of the latest message this device had held here, to announce it.
  lastHeldId: number | null;
  // The message id of the latest send from this device whose forwarding loop was not
  // followed (`sent` with forwarding_loop), to announce it.
  lastLoopId: number | null;
  // Providers invited to the thread (GET /threads/{id}/invitations, fetched when the
  // thread opens and at each `provider_invited`), oldest first; and the invitations
  // announced by events whose provider is not fetched yet (event id -> the event).
  invitations: Invitation[];
  announced: Map<number, ProviderInvitedEvent>;
}

// What the app knows of a colleague's presence: nothing while it is not connected.
export type Presence = 'online' | 'offline' | 'unknown';

// The local cache for an offline start (sealed in the user's database, see db.ts).
interface CachedThreads {
  users: User[];
  threads: Thread[];
}
const kCachedMessages = 50;
const kCacheWriteMs = 1000;

export interface Alerts {
  incoming(message: MessageEvent, senderName: string, threadVisible: boolean): void;
  // A reminder, unanswered or alert user event came (shown by the shell from `attention`).
  attention?(kind: AttentionKind): void;
}

export interface StoreDeps {
  api: Api;
  token: string;
  local: LocalStore;
  socketUrl: string;
  socketFactory?: SocketFactory;
  alerts?: Alerts;
  isVisible?: () => boolean;
  onSessionEnded: (message: string) => void;
  // The org's settings (the idle lock) changed: fetch them again.
  onOrgChanged?: () => void;
}

const kPageSize = 50;
// Colleagues whose availability and forwarding are asked at once; a failed ask is
// retried after this long.
const kPeopleFetches = 4;
const kPeopleRetryMs = 60_000;
const kAckBatch = 256;
const kTypingShowMs = 5000;
const kTypingSendEveryMs = 3000;
export { kWrittenShownAfterMs } from './outbox';

function noteDelivered(state: ThreadState, messageId: number, userId: number, at: string | null): void {
  let byUser = state.delivered.get(messageId);
  if (!byUser) state.delivered.set(messageId, (byUser = new Map()));
  if ((byUser.get(userId) ?? null) === null) byUser.set(userId, at);
}

function noteRead(state: ThreadState, userId: number, upTo: number, at: string | null): void {
  let marks = state.readMarks.get(userId);
  if (!marks) state.readMarks.set(userId, (marks = []));
  addReadMark(marks, upTo, at);
}

function noteRouted(state: ThreadState, messageId: number, target: RouteTarget): void {
  let targets = state.routed.get(messageId);
  if (!targets) state.routed.set(messageId, (targets = []));
  if (targets.some((t) => t.user_id === target.user_id && t.reason === target.reason)) return;
  const step: RouteTarget = { user_id: target.user_id, reason: target.reason, role_id: target.role_id ?? null };
  if (target.from_user_id != null) step.from_user_id = target.from_user_id;
  if (target.gatekeeper_id != null) step.gatekeeper_id = target.gatekeeper_id;
  // An acceptance says when (its event's `at`).
  if (target.reason === 'accepted' && target.at) step.at = target.at;
  targets.push(step);
}

function emptyState(thread: Thread): ThreadState {
  const state: ThreadState = {
    thread: { ...thread, last_message: null },
    messages: [],
    ids: new Set(),
    clientIds: new Set(),
    historyLoaded: false,
    reachedStart: false,
    loadingOlder: false,
    readMarks: new Map(),
    delivered: new Map(),
    typing: new Map(),
    activity: thread.created_at,
    removed: false,
    removedBy: null,
    openedReadSeq: thread.read_seq,
    routed: new Map(),
    held: [],
    lastHeldId: null,
    lastLoopId: null,
    invitations: [],
    announced: new Map(),
  };
  if (thread.last_message) insertMessage(state, thread.last_message);
  return state;
}

// Inserts a message into the loaded window, once. Returns whether it was new.
export function insertMessage(state: ThreadState, message: MessageEvent): boolean {
  if (state.ids.has(message.id)) {
    // A message first shown from its `sent` answer learns its written time from its event.
    if (message.written_at) {
      const known = state.messages.find((m) => m.id === message.id);
      if (known && !known.written_at) known.written_at = message.written_at;
    }
    return false;
  }
  const list = state.messages;
  const last = list[list.length - 1];
  if (list.length > 0 && message.seq <= last.seq) {
    // Older than the newest loaded: only accept it where it keeps the window contiguous.
    if (list.some((m) => m.seq === message.seq)) return false;
    const first = list[0];
    if (message.seq < first.seq - 1) return false;
    let index = list.findIndex((m) => m.seq > message.seq);
    if (index < 0) index = list.length;
    list.splice(index, 0, message);
  } else {
    list.push(message);
  }
  state.ids.add(message.id);
  state.clientIds.add(message.client_id);
  if (!state.thread.last_message || message.seq >= state.thread.last_message.seq) {
    state.thread.last_message = message;
    if (message.at > state.activity) state.activity = message.at;
  }
  return true;
}

// Application state of one signed-in session: threads, messages, receipts, presence,
// the outbox and the socket that keeps them current. UI components read it and
// subscribe to changes; every change goes through the methods below.
export class AppStore {
  readonly selfId: number;
  readonly api: Api;
  connection: ConnectionState = 'offline';
  // True from the first snapshot until a resync starts another.
  ready = false;
  syncing = true;
  users = new Map<number, User>();
  threads = new Map<number, ThreadState>();
  selectedThreadId: number | null = null;
  private directoryFetch: Promise<void> | null = null;
  private directoryStale = false;
  // The org's roles with their holders (GET /roles), loaded when first wanted and kept
  // current by role_changed / on_call_changed.
  roles: Map<number, Role> | null = null;
  // Bumped by every role_changed / on_call_changed: views that show a preview or the
  // schedule fetch again when it moves.
  rolesStamp = 0;
  private rolesFetch: Promise<void> | null = null;
  // Per person, bumped by each availability_changed about them: a preview or dialog
  // showing them fetches again when their stamp moves.
  private readonly availabilityStamps = new Map<number, number>();
  // Colleagues' availability and forwarding, for the directory and the people picker:
  // asked for the rows shown, kept current by availability_changed and previews.
  private readonly people = new Map<number, PersonStatus>();
  private readonly peopleFetching = new Set<number>();
  private peopleQueue: number[] = [];
  private rolesStale = false;
  outbox: Outbox;
  notice: string | null = null;
  // The thread list came from the local cache and the server has not answered yet.
  fromCache = false;
  // The composer's unsent text per thread (set at sign-in).
  drafts: Drafts = new MemoryDrafts();
  // Messages that need the user's attention (reminder, unanswered, alert), newest first.
  attention: Attention[] = [];
  // The messages waiting for the user's decision as a gatekeeper (GET /screening), oldest
  // first; null until first asked. Kept current by `screening` events; in memory only.
  screening: Screened[] | null = null;
  private screeningFetch: Promise<void> | null = null;
  private screeningStale = false;
  // The hand-off notes to the user not accepted yet (GET /handoffs), oldest first; null
  // until first asked. Asked after each welcome and unlock and at every `routed` event of
  // reason hand_off or accepted naming the user; in memory only.
  handoffs: HandOff[] | null = null;
  private handoffsFetch: Promise<void> | null = null;
  private handoffsStale = false;
  // A message to show when its thread opens (a hand-off note opened from its banner).
  focus: { threadId: number; messageId: number } | null = null;
  // Colleagues' gatekeepers as previews and `sent` told them, for the held bubble of a
  // screened message (GET /threads/{id}/held does not say them).
  private readonly gatekeepersKnown = new Map<number, number[]>();

  private readonly socket: SyncSocket;
  private readonly listeners = new Set<() => void>();
  private emitQueued = false;
  private snapshotLoading = false;
  private snapshotLoaded = false;
  // The thread list may miss something: the stream started afresh (not resumed) since
  // it was loaded, or a new thread's event came when the thread could not be fetched.
  private snapshotStale = false;
  private held = false;
  // Messages of threads not yet loaded whose arrival was announced while held.
  private alertedWhileHeld = new Set<number>();
  private buffered: { event: StreamEvent | null; cursor: string }[] = [];
  private unknownThreads = new Map<number, { event: ThreadEvent; cursor: string }[]>();
  private ackQueue: number[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private cursorTimer: ReturnType<typeof setTimeout> | null = null;
  private latestCursor: string | null = null;
  private readonly retryTimers = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly retryAttempts = new Map<number, number>();
  private lastTypingSent = new Map<number, number>();
  private stopped = false;
  private readonly isVisible: () => boolean;
  // Presence is current only from the first /users answer after a welcome until the
  // connection drops.
  private presenceKnown = false;
  private cacheTimer: ReturnType<typeof setTimeout> | null = null;
  // What the cache holds now: the thread list as written, and per thread which messages.
  private cachedList = '';
  private readonly cachedVersions = new Map<number, string>();

  constructor(
    self: User,
    private readonly deps: StoreDeps,
  ) {
    this.selfId = self.id;
    this.users.set(self.id, self);
    this.api = deps.api;
    this.outbox = new Outbox(deps.local, self.id);
    this.isVisible = deps.isVisible ?? (() => typeof document === 'undefined' || document.visibilityState === 'visible');
    this.socket = new SyncSocket(
      deps.socketUrl,
      deps.token,
      {
        cursor: () => this.deps.local.getCursor(this.selfId),
        onWelcome: (resumed) => this.onWelcome(resumed),
        onResync: (cursor) => this.onResync(cursor),
        onEvent: (event, cursor) => this.onEvent(event, cursor),
        onCaughtUp: (cursor) => this.onCaughtUp(cursor),
        onSent: (frame) => void this.onSent(frame),
        onError: (frame) => void this.onError(frame),
        onPresence: (userId, online) => this.onPresence(userId, online),
        onTyping: (threadId, userId) => this.onTyping(threadId, userId),
        onState: (state) => {
          this.connection = state;
          if (state !== 'syncing' && state !== 'live') this.presenceKnown = false;
          this.emit();
        },
        onUnauthenticated: (message) => this.deps.onSessionEnded(message),
      },
      deps.socketFactory,
    );
  }

  // Loads the outbox and, until the server answers, the cached thread list; then connects.
  async start(): Promise<void> {
    await this.outbox.load();
    await this.loadCache();
    this.socket.start();
  }

  stop(): void {
    this.stopped = true;
    this.socket.stop();
    for (const timer of [this.ackTimer, this.cursorTimer, this.cacheTimer, ...this.retryTimers.values()]) if (timer) clearTimeout(timer);
    this.retryTimers.clear();
    this.listeners.clear();
  }

  setNetwork(online: boolean): void {
    if (online) this.socket.setOnline();
    else this.socket.setOffline();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    this.scheduleCacheWrite();
    if (this.emitQueued) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      for (const listener of this.listeners) listener();
    });
  }

  // ---- reading -------------------------------------------------------------

  presence(id: number): Presence {
    if (!this.presenceKnown) return 'unknown';
    return this.users.get(id)?.online ? 'online' : 'offline';
  }

  userName(id: number): string {
    return this.users.get(id)?.display_name ?? `User ${id}`;
  }

  // Threads, most recent activity first.
  threadList(): ThreadState[] {
    return [...this.threads.values()].sort((a, b) => (a.activity < b.activity ? 1 : a.activity > b.activity ? -1 : b.thread.id - a.thread.id));
  }

  totalUnread(): number {
    let total = 0;
    for (const state of this.threads.values()) total += state.thread.unread_count;
    return total;
  }

  otherMembers(thread: Thread): number[] {
    return thread.member_ids.filter((id) => id !== this.selfId);
  }

  // A patient thread is titled by its patient (or its group's name); the colleagues
  // go beside it (threadPeople).
  threadTitle(thread: Thread): string {
    if (thread.title) return thread.title;
    if (thread.kind === 'patient' && thread.patient) return thread.patient.name;
    return this.otherMembers(thread).map((id) => this.userName(id)).join(', ') || 'Only you';
  }

  // The colleagues of a patient or role thread, shown beside its title.
  threadPeople(thread: Thread): string {
    if (thread.kind !== 'patient' && thread.kind !== 'role') return '';
    return this.otherMembers(thread).map((id) => this.userName(id)).join(', ');
  }

  // "You were removed from 4 West huddle by Olivia Harper, RN", or null.
  removalNotice(state: ThreadState): string | null {
    if (state.removedBy === null) return null;
    const title = this.threadTitle(state.thread);
    if (state.removedBy === this.selfId) return `You left ${title}.`;
    return `You were removed from ${title} by ${this.userName(state.removedBy)}.`;
  }

  recipientStatuses(state: ThreadState, message: MessageEvent): RecipientStatus[] {
    const recipients = state.thread.member_ids.filter((id) => id !== message.sender_id);
    return recipientStatuses(recipients, message.seq, state.delivered.get(message.id), state.readMarks);
  }

  typingNames(state: ThreadState, now: number): string[] {
    const names: string[] = [];
    for (const [userId, until] of state.typing) if (until > now) names.push(this.userName(userId));
    return names;
  }

  // ---- socket handlers -----------------------------------------------------

  private onWelcome(resumed: boolean): void {
    if (!resumed) this.snapshotStale = true;
    if (!this.held) this.loadWhatIsMissing();
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.outbox.resetInFlight();
    this.flushOutbox();
    this.flushAcks();
    if (this.selectedThreadId !== null) this.markRead(this.selectedThreadId);
    // A snapshot being loaded asks once it is in.
    if (!this.held && !this.snapshotLoading) this.refreshHeldAfterReconnect(true);
  }

  // Held messages may have been released (the replay brings them) or withdrawn on
  // another device while this one was away: every thread showing some asks again, and
  // the open one (unless opening it asks anyway).
  private refreshHeldAfterReconnect(withOpen: boolean): void {
    for (const [id, state] of this.threads) {
      if ((withOpen && id === this.selectedThreadId) || (id !== this.selectedThreadId && state.held.length > 0)) void this.refreshHeld(id);
    }
  }

  // The user list, and the thread list when it was never loaded or the stream did not
  // resume from the cursor.
  private loadWhatIsMissing(): void {
    void this.refreshUsers();
    void this.refreshScreening();
    void this.refreshHandoffs();
    if ((!this.snapshotLoaded || this.snapshotStale) && !this.snapshotLoading) {
      this.snapshotStale = false;
      void this.loadSnapshot();
    }
  }

  // While the app is locked nothing the server refuses to a locked session is asked
  // for: the stream, acks and receipts go on; the thread list, sends and reads wait for
  // release() (the unlock).
  hold(): void {
    this.held = true;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.loadWhatIsMissing();
    this.flushOutbox();
    if (this.selectedThreadId !== null) this.markRead(this.selectedThreadId);
    if (!this.snapshotLoading) this.refreshHeldAfterReconnect(true);
    this.emit();
  }

  private onResync(cursor: string): void {
    // The stored cursor is useless: forget the cached state and load it again.
    this.threads.clear();
    this.snapshotLoaded = false;
    this.latestCursor = cursor;
    void this.deps.local.setCursor(this.selfId, cursor);
    void this.loadSnapshot();
  }

  private onEvent(event: StreamEvent, cursor: string): void {
    if (this.snapshotLoading) {
      this.buffered.push({ event, cursor });
      return;
    }
    this.apply(event, cursor);
    this.saveCursor(cursor, false);
    this.emit();
  }

  private onCaughtUp(cursor: string): void {
    if (this.snapshotLoading) {
      this.buffered.push({ event: null, cursor });
      return;
    }
    this.syncing = false;
    this.saveCursor(cursor, true);
    this.emit();
  }

  private async onSent(frame: SentFrame): Promise<void> {
    const entry = this.outbox.all().find((e) => e.clientId === frame.client_id);
    if (entry && frame.held) {
      // Held for an off-duty person: no longer sending, shown held until it is released.
      const state = this.threads.get(entry.threadId);
      if (state && !state.clientIds.has(frame.client_id)) {
        const held = heldFromSent(frame, entry);
        if (frame.held.gatekeeper_ids) this.gatekeepersKnown.set(frame.held.user_id, frame.held.gatekeeper_ids);
        state.held = addHeld(state.held, held);
        state.lastHeldId = held.held_id;
      }
    } else if (entry && !frame.held) {
      const state = this.threads.get(entry.threadId);
      if (state) {
        insertMessage(state, {
          id: frame.message_id,
          kind: 'message',
          thread_id: frame.thread_id,
          at: frame.at,
          seq: frame.seq,
          sender_id: this.selfId,
          client_id: entry.clientId,
          urgent: entry.urgent,
          body: entry.body,
        });
        if (frame.seq > state.thread.last_seq) state.thread.last_seq = frame.seq;
        if (state.thread.read_seq < frame.seq && state.thread.unread_count === 0) state.thread.read_seq = frame.seq;
      }
    }
    // Also when the message's own event came first (it confirmed the entry already).
    if (!frame.held) {
      const state = this.threads.get(frame.thread_id);
      if (state) {
        for (const target of frame.routed_to ?? []) noteRouted(state, frame.message_id, target);
        if (frame.forwarding_loop && !frame.duplicate) state.lastLoopId = frame.message_id;
      }
    }
    const confirmed = this.outbox.confirm(frame.client_id);
    if (entry) this.retryAttempts.delete(entry.threadId);
    this.flushOutbox();
    await confirmed;
    this.emit();
  }

  private async onError(frame: ErrorFrame): Promise<void> {
    if (frame.ref && this.outbox.has(frame.ref)) {
      const entry = this.outbox.all().find((e) => e.clientId === frame.ref);
      const removed = entry ? this.threads.get(entry.threadId) : undefined;
      const notice = removed ? this.removalNotice(removed) : null;
      const disposition = await this.outbox.reject(frame.ref, frame.code, notice ?? frame.message);
      if (disposition === 'retry' && entry) this.scheduleRetry(entry.threadId);
      this.flushOutbox();
      if (frame.code === 'permission_denied' || frame.code === 'not_found') void this.refreshThreads();
      this.emit();
      return;
    }
    if (frame.code === 'permission_denied' || frame.code === 'not_found') void this.refreshThreads();
  }

  private onPresence(userId: number, online: boolean): void {
    const user = this.users.get(userId);
    if (user) {
      this.users.set(userId, { ...user, online });
      this.emit();
    }
  }

  private onTyping(threadId: number, userId: number): void {
    const state = this.threads.get(threadId);
    if (!state) return;
    state.typing.set(userId, Date.now() + kTypingShowMs);
    this.emit();
    setTimeout(() => this.emit(), kTypingShowMs + 50);
  }

  // ---- applying events -----------------------------------------------------

  private apply(event: StreamEvent, cursor: string): void {
    if (!isThreadEvent(event)) {
      this.applyScoped(event);
      return;
    }
    // A note to the user (in a thread they may not know yet), or accepted by them.
    if (event.kind === 'routed' && changesHandoffs(event, this.selfId)) void this.refreshHandoffs();
    const state = this.threads.get(event.thread_id);
    if (!state) {
      if (event.kind === 'member_removed' && event.user_id === this.selfId) return;
      if (this.held) {
        // A locked session may not fetch the thread: the unlock reloads the list, which
        // holds it. Its arrival is counted now.
        this.snapshotStale = true;
        if (event.kind === 'message' && event.sender_id !== this.selfId && !this.alertedWhileHeld.has(event.id)) {
          this.alertedWhileHeld.add(event.id);
          this.deps.alerts?.incoming(event, this.userName(event.sender_id), false);
        }
        return;
      }
      this.queueForUnknownThread(event, cursor);
      return;
    }
    switch (event.kind) {
      case 'message':
        this.applyMessage(state, event);
        break;
      case 'delivered':
        noteDelivered(state, event.message_id, event.user_id, event.at);
        break;
      case 'read':
        if (event.user_id === this.selfId) {
          if (event.up_to_seq > state.thread.read_seq) {
            state.thread.read_seq = event.up_to_seq;
            this.recountUnread(state);
          }
        } else {
          noteRead(state, event.user_id, event.up_to_seq, event.at);
        }
        break;
      case 'member_added':
        if (event.user_id === this.selfId) {
          state.removedBy = null;
          state.removed = false;
        }
        if (!state.thread.member_ids.includes(event.user_id)) {
          state.thread.member_ids = [...state.thread.member_ids, event.user_id].sort((a, b) => a - b);
        }
        break;
      case 'member_removed':
        state.thread.member_ids = state.thread.member_ids.filter((id) => id !== event.user_id);
        if (event.user_id === this.selfId) {
          // Kept, read-only, with the notice; what was still queued for it fails with it.
          state.removedBy = event.by_user_id;
          state.removed = true;
          const notice = this.removalNotice(state) ?? '';
          for (const entry of this.outbox.forThread(state.thread.id)) {
            if (entry.failed === null) void this.outbox.reject(entry.clientId, 'permission_denied', notice);
          }
        }
        break;
      case 'thread_renamed':
        state.thread.title = event.title;
        break;
      case 'patient_changed':
        void this.refreshPatient(state);
        break;
      case 'thread_created':
        break;
      case 'routed':
        this.noteStep(state, event);
        break;
      case 'provider_invited':
        if (!state.invitations.some((i) => i.id === event.invitation_id)) state.announced.set(event.invitation_id, event);
        void this.refreshInvitations(state.thread.id);
        break;
    }
  }

  // News for this user or the whole org; kinds this version does not know are skipped
  // (their cursor still moves on).
  private applyScoped(event: ScopedEvent): void {
    switch (event.kind) {
      case 'user_changed':
        this.refreshDirectory();
        break;
      case 'org_changed':
        this.deps.onOrgChanged?.();
        break;
      case 'role_changed':
      case 'on_call_changed':
        this.rolesStamp += 1;
        if (this.roles) this.refreshRoles();
        break;
      case 'availability_changed':
        this.availabilityStamps.set(event.user_id, (this.availabilityStamps.get(event.user_id) ?? 0) + 1);
        this.personChanged(event.user_id);
        break;
      case 'devices_changed':
        // The web app shows no device list; a revoked device of its own is ended by
        // the server (close 1008), which signs it out.
        break;
      case 'reminder':
      case 'unanswered':
      case 'alert':
        this.noteAttention(event);
        break;
      case 'screening':
        // As a gatekeeper: the list changed. As a sender: one of one's held messages
        // was held, withdrawn or decided on, maybe on another device (its thread is not
        // said): the open thread and the threads showing held messages ask. One's own
        // hold or withdrawal changes no screening list that is empty.
        if (event.by_user_id !== this.selfId || (this.screening?.length ?? 0) > 0) void this.refreshScreening();
        for (const [id, state] of this.threads) {
          if (id === this.selectedThreadId || state.held.length > 0) void this.refreshHeld(id);
        }
        break;
    }
  }

  // The screening list (GET /screening): one fetch at a time, one more after it if a
  // `screening` event came meanwhile. Not while the session is locked.
  refreshScreening(): Promise<void> {
    if (this.held || this.stopped) return Promise.resolve();
    if (this.screeningFetch) {
      this.screeningStale = true;
      return this.screeningFetch;
    }
    this.screeningFetch = this.api
      .screening()
      .then((list) => {
        this.screening = list;
        this.emit();
      })
      .catch(() => undefined) // kept as is: asked again at the next event or welcome
      .finally(() => {
        this.screeningFetch = null;
        if (this.screeningStale) {
          this.screeningStale = false;
          void this.refreshScreening();
        }
      });
    return this.screeningFetch;
  }

  // A gatekeeper's decision on a screened message (POST /screening/{id}); answers what it
  // did. The message leaves the list at once; the list is fetched again either way (a
  // refusal means another gatekeeper decided, or it was withdrawn or released).
  async decideScreening(heldId: number, action: ScreeningAction): Promise<ScreeningOutcome> {
    try {
      const outcome = await this.api.decideScreening(heldId, action);
      if (this.screening) this.screening = withoutScreened(this.screening, heldId);
      this.emit();
      return outcome;
    } finally {
      void this.refreshScreening();
    }
  }

  // The hand-off notes to accept (GET /handoffs): one fetch at a time, one more after it
  // if a routed event about them came meanwhile. Not while the session is locked.
  refreshHandoffs(): Promise<void> {
    if (this.held || this.stopped) return Promise.resolve();
    if (this.handoffsFetch) {
      this.handoffsStale = true;
      return this.handoffsFetch;
    }
    this.handoffsFetch = this.api
      .handoffs()
      .then((list) => {
        this.handoffs = list;
        this.emit();
      })
      .catch(() => undefined) // kept as is: asked again at the next event or welcome
      .finally(() => {
        this.handoffsFetch = null;
        if (this.handoffsStale) {
          this.handoffsStale = false;
          void this.refreshHandoffs();
        }
      });
    return this.handoffsFetch;
  }

  // Accepts a hand-off note to the user (POST /handoffs/{id}/accept): it leaves the list,
  // and its thread shows the acceptance at once (its `routed` event follows). A 404 (not
  // a note to the user) fetches the list again and is thrown.
  async acceptHandoff(messageId: number): Promise<HandOff> {
    try {
      const accepted = await this.api.acceptHandoff(messageId);
      if (this.handoffs) this.handoffs = withoutHandoff(this.handoffs, messageId);
      const state = this.threads.get(accepted.thread_id);
      if (state) {
        noteRouted(state, messageId, { user_id: this.selfId, reason: 'accepted', role_id: accepted.role_id, at: accepted.accepted_at ?? undefined });
      }
      this.emit();
      return accepted;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) void this.refreshHandoffs();
      throw error;
    }
  }

  // The thread of a hand-off note, loaded into the list when this device does not know
  // it yet; its note is shown when the thread opens.
  async openHandoff(handOff: HandOff): Promise<number> {
    const threadId = this.threads.has(handOff.thread_id) ? handOff.thread_id : this.adopt(await this.api.thread(handOff.thread_id));
    this.focus = { threadId, messageId: handOff.message_id };
    return threadId;
  }

  // A colleague's gatekeepers as the last preview or `sent` told them (undefined: none seen).
  gatekeepersOf(userId: number): number[] | undefined {
    return this.gatekeepersKnown.get(userId);
  }

  // What a held bubble says besides the held message: the person's gatekeepers and how
  // they are now, as far as known here.
  heldContext(userId: number): HeldContext {
    return { gatekeepers: this.gatekeepersKnown.get(userId), availability: this.people.get(userId)?.status };
  }

  // Whom a message reached; an escalation step through a role is shown with the role's
  // name, so the roles are loaded once one comes.
  private noteStep(state: ThreadState, event: RoutedEvent): void {
    noteRouted(state, event.message_id, event);
    if (event.reason === 'escalated' && event.role_id !== null && !this.roles) void this.refreshRoles().catch(() => undefined);
  }

  private noteAttention(event: AttentionEvent): void {
    this.attention = addAttention(this.attention, { kind: event.kind, messageId: event.message_id, eventId: event.id });
    this.deps.alerts?.attention?.(event.kind);
  }

  dismissAttention(attention: Attention): void {
    this.attention = removeAttention(this.attention, attention);
    this.emit();
  }

  // The thread of a message that needs attention (GET /messages/{id}), loaded into the
  // list when this device does not know it yet.
  async threadOfMessage(messageId: number): Promise<number> {
    const message = await this.api.message(messageId);
    if (this.threads.has(message.thread_id)) return message.thread_id;
    return this.adopt(await this.api.thread(message.thread_id));
  }

  private applyMessage(state: ThreadState, message: MessageEvent): void {
    const isNew = insertMessage(state, message);
    // The message they were typing has come.
    state.typing.delete(message.sender_id);
    const thread = state.thread;
    if (message.sender_id === this.selfId) {
      void this.outbox.confirm(message.client_id);
      state.held = releaseHeld(state.held, message.client_id);
      this.flushOutbox();
      if (message.seq > thread.last_seq) thread.last_seq = message.seq;
      return;
    }
    this.queueAck(message.id);
    if (message.seq <= thread.last_seq) return; // already counted by the snapshot
    thread.last_seq = message.seq;
    if (message.seq > thread.read_seq) {
      thread.unread_count += 1;
      if (message.urgent) thread.has_unread_urgent = true;
    }
    const visible = this.selectedThreadId === thread.id && this.isVisible();
    if (isNew && !this.alertedWhileHeld.delete(message.id)) this.deps.alerts?.incoming(message, this.userName(message.sender_id), visible);
    if (this.selectedThreadId === thread.id) this.markRead(thread.id);
  }

  private recountUnread(state: ThreadState): void {
    const thread = state.thread;
    if (thread.read_seq >= thread.last_seq) {
      thread.unread_count = 0;
      thread.has_unread_urgent = false;
      return;
    }
    const unread = state.messages.filter((m) => m.sender_id !== this.selfId && m.seq > thread.read_seq);
    const loadedFrom = state.messages[0]?.seq ?? Infinity;
    if (loadedFrom <= thread.read_seq + 1) {
      thread.unread_count = unread.length;
      thread.has_unread_urgent = unread.some((m) => m.urgent);
    } else {
      thread.unread_count = Math.min(thread.unread_count, thread.last_seq - thread.read_seq);
    }
  }

  private queueForUnknownThread(event: ThreadEvent, cursor: string): void {
    const waiting = this.unknownThreads.get(event.thread_id);
    if (waiting) {
      waiting.push({ event, cursor });
      return;
    }
    this.unknownThreads.set(event.thread_id, [{ event, cursor }]);
    void this.api
      .thread(event.thread_id)
      .then((thread) => {
        const queued = this.unknownThreads.get(thread.id) ?? [];
        this.unknownThreads.delete(thread.id);
        if (this.threads.has(thread.id)) {
          // Opened meanwhile (by this user): apply what waited; applying is idempotent.
          for (const item of queued) this.apply(item.event, item.cursor);
          this.emit();
          return;
        }
        // The events that brought it here are replayed onto the snapshot; those at or
        // below its last_seq are already counted.
        const state = emptyState({ ...thread, last_seq: 0, unread_count: 0, read_seq: thread.read_seq });
        state.thread.last_seq = 0;
        this.threads.set(thread.id, state);
        for (const item of queued) this.apply(item.event, item.cursor);
        if (state.thread.last_seq < thread.last_seq) state.thread.last_seq = thread.last_seq;
        this.emit();
      })
      .catch(() => {
        // Not lost: the next welcome or unlock reloads the thread list.
        this.unknownThreads.delete(event.thread_id);
        this.snapshotStale = true;
      });
  }

  // ---- loading over HTTPS --------------------------------------------------

  private async loadSnapshot(): Promise<void> {
    if (this.snapshotLoading) return;
    this.snapshotLoading = true;
    this.syncing = true;
    this.emit();
    try {
      const [users, threads] = await Promise.all([this.api.users(), this.api.threads()]);
      for (const user of users) this.users.set(user.id, user);
      const previous = this.threads;
      this.threads = new Map();
      for (const thread of threads) {
        const state = emptyState(thread);
        const old = previous.get(thread.id);
        if (old) {
          state.readMarks = old.readMarks;
          state.delivered = old.delivered;
          state.routed = old.routed;
          state.invitations = old.invitations;
          state.announced = old.announced;
          state.held = old.held.filter((h) => !state.clientIds.has(h.client_id));
          state.lastHeldId = old.lastHeldId;
        }
        this.threads.set(thread.id, state);
        const last = thread.last_message;
        if (last && last.sender_id !== this.selfId && last.seq > thread.read_seq) this.queueAck(last.id);
      }
      // Threads the user left or was removed from stay while they hold her messages.
      for (const entry of this.outbox.all()) {
        if (this.threads.has(entry.threadId)) continue;
        const known = previous.get(entry.threadId);
        const state = known ?? emptyState(placeholderThread(entry.threadId, entry.createdAt));
        state.removed = true;
        this.threads.set(entry.threadId, state);
      }
      this.snapshotLoaded = true;
      this.ready = true;
      this.fromCache = false;
    } catch {
      this.snapshotLoading = false;
      // Retried at the next welcome; keep the socket's events for then.
      setTimeout(() => {
        if (!this.stopped && !this.held && !this.snapshotLoaded) void this.loadSnapshot();
      }, 2000);
      return;
    }
    this.snapshotLoading = false;
    const buffered = this.buffered;
    this.buffered = [];
    for (const item of buffered) {
      if (item.event) {
        this.apply(item.event, item.cursor);
        this.saveCursor(item.cursor, false);
      } else {
        this.syncing = false;
        this.saveCursor(item.cursor, true);
      }
    }
    if (this.socket.connectionState === 'live') this.syncing = false;
    this.alertedWhileHeld.clear();
    if (this.selectedThreadId !== null) {
      const id = this.selectedThreadId;
      if (this.threads.has(id)) void this.openThread(id);
      else this.selectedThreadId = null;
    }
    // Opening the selected thread asked for its held messages; the others ask here.
    this.refreshHeldAfterReconnect(false);
    this.emit();
  }

  // A directory change: one fetch at a time, and one more after it if others came
  // meanwhile (an import of many users is a burst of these events).
  private refreshDirectory(): void {
    if (this.directoryFetch) {
      this.directoryStale = true;
      return;
    }
    this.directoryFetch = this.refreshUsers().finally(() => {
      this.directoryFetch = null;
      if (this.directoryStale) {
        this.directoryStale = false;
        this.refreshDirectory();
      }
    });
  }

  async refreshUsers(): Promise<void> {
    try {
      for (const user of await this.api.users()) this.users.set(user.id, user);
      if (this.socket.isWelcomed) this.presenceKnown = true;
      this.emit();
    } catch {
      // Presence refreshes again at the next welcome.
    }
  }

  // The banner again, after the ADT feed changed the thread's patient (a merge may even
  // make it another patient).
  private async refreshPatient(state: ThreadState): Promise<void> {
    try {
      const thread = await this.api.thread(state.thread.id);
      state.thread.patient = thread.patient;
      this.emit();
    } catch {
      // Kept as is; the next change or reload shows it.
    }
  }

  private async refreshThreads(): Promise<void> {
    try {
      const threads = await this.api.threads();
      const ids = new Set(threads.map((t) => t.id));
      for (const [id, state] of [...this.threads]) if (!ids.has(id) && state.removedBy === null) this.dropThread(state);
      for (const thread of threads) if (!this.threads.has(thread.id)) this.threads.set(thread.id, emptyState(thread));
      this.emit();
    } catch {
      // Kept as is.
    }
  }

  // ---- colleagues' availability and forwarding (directory, people picker) ------

  // What is known of a colleague now (undefined: not asked yet); asks the server when
  // it is not known or no longer holds. Rows call it for the people they show.
  personStatus(userId: number): PersonStatus | undefined {
    const known = this.people.get(userId);
    if (!known || (known.staleAt !== null && known.staleAt <= Date.now())) this.wantPerson(userId);
    return known;
  }

  // What a preview said of the people it lists is as good as an answer of their own.
  notePreview(recipients: readonly Recipient[]): void {
    for (const r of recipients) {
      if (r.gatekeeper_ids && r.gatekeeper_ids.join(',') !== this.gatekeepersKnown.get(r.user_id)?.join(',')) {
        this.gatekeepersKnown.set(r.user_id, r.gatekeeper_ids);
        // A screened message's bubble names them.
        this.emit();
      }
      if (r.availability === undefined || this.peopleFetching.has(r.user_id)) continue;
      this.people.set(r.user_id, personStatusFromRecipient(r));
    }
  }

  // At most kPeopleFetches people are asked at once; the others wait their turn, so a
  // long list scrolled through does not fire a burst.
  private wantPerson(userId: number): void {
    if (this.peopleFetching.has(userId) || this.peopleQueue.includes(userId) || this.held || this.stopped) return;
    this.peopleQueue.push(userId);
    this.nextPeople();
  }

  private nextPeople(): void {
    while (this.peopleFetching.size < kPeopleFetches && this.peopleQueue.length > 0) {
      const userId = this.peopleQueue.shift()!;
      this.peopleFetching.add(userId);
      const stamp = this.availabilityStamps.get(userId) ?? 0;
      void Promise.all([this.api.availability(userId), this.api.forwarding(userId)])
        .then(([availability, forwarding]) => {
          const status = personStatus(availability, forwarding, Date.now());
          // Changed while asked: asked again below.
          if ((this.availabilityStamps.get(userId) ?? 0) === stamp) this.people.set(userId, status);
          else this.peopleQueue.push(userId);
          this.emit();
        })
        .catch(() => {
          // Shown without a status; asked again the next time the row shows after a change.
          this.people.set(userId, { status: 'available', until: null, forwarding: null, staleAt: Date.now() + kPeopleRetryMs });
        })
        .finally(() => {
          this.peopleFetching.delete(userId);
          this.nextPeople();
        });
    }
  }

  // availability_changed: what is known of this colleague no longer holds; a row
  // showing them asks again (only for them), and shows the old status until then.
  private personChanged(userId: number): void {
    const known = this.people.get(userId);
    if (known) this.people.set(userId, { ...known, staleAt: 0 });
  }

  // Moves whenever the availability of one of these people changes.
  availabilityStamp(userIds: number[]): number {
    return userIds.reduce((sum, id) => sum + (this.availabilityStamps.get(id) ?? 0), 0);
  }

  // The roles list: one fetch at a time, one more after it if changes came meanwhile.
  refreshRoles(): Promise<void> {
    if (this.rolesFetch) {
      this.rolesStale = true;
      return this.rolesFetch;
    }
    this.rolesFetch = this.api
      .roles()
      .then((roles) => {
        this.roles = new Map(roles.map((role) => [role.id, role]));
        this.emit();
      })
      .finally(() => {
        this.rolesFetch = null;
        if (this.rolesStale) {
          this.rolesStale = false;
          void this.refreshRoles().catch(() => undefined);
        }
      });
    return this.rolesFetch;
  }

  roleName(roleId: number): string {
    return this.roles?.get(roleId)?.name ?? `Role ${roleId}`;
  }

  // The patient picker's search (docs/protocol.md, GET /api/v1/patients/search).
  searchPatients(query: string, limit: number): Promise<Patient[]> {
    return this.api.searchPatients(query, limit);
  }

  // Opens a thread: loads its newest page (once), with the receipts of one's own
  // messages on it, and marks it read.
  async openThread(threadId: number): Promise<void> {
    this.selectedThreadId = threadId;
    this.emit();
    const state = this.threads.get(threadId);
    if (!state) return;
    state.openedReadSeq = state.thread.read_seq;
    this.markRead(threadId);
    void this.refreshHeld(threadId);
    void this.refreshInvitations(threadId);
    if (state.historyLoaded) return;
    state.historyLoaded = true;
    try {
      const page = await this.api.history(threadId, 0, kPageSize);
      this.mergePage(state, page);
      this.markRead(threadId);
    } catch {
      state.historyLoaded = false;
    }
    this.emit();
  }

  // The providers invited to a thread (GET /threads/{id}/invitations), which replace
  // what it showed. Not while locked, nor for a thread the user has left.
  async refreshInvitations(threadId: number): Promise<void> {
    const state = this.threads.get(threadId);
    if (!state || state.removed || this.held) return;
    let answer: Invitation[];
    try {
      answer = await this.api.invitations(threadId);
    } catch {
      return; // Kept as is: asked again at the next opening or event.
    }
    const now = this.threads.get(threadId);
    if (!now) return;
    now.invitations = answer;
    for (const invitation of answer) now.announced.delete(invitation.id);
    this.emit();
  }

  // Invites a provider to the thread (POST /threads/{id}/invitations); its line comes
  // with the answer, and every member's with the `provider_invited` event.
  async inviteProvider(threadId: number, npi: string): Promise<Invitation> {
    const invitation = await this.api.invite(threadId, npi);
    const state = this.threads.get(threadId);
    if (state && !state.invitations.some((i) => i.id === invitation.id)) {
      state.invitations = [...state.invitations, invitation];
      state.announced.delete(invitation.id);
      this.emit();
    }
    return invitation;
  }

  // The user's held messages in a thread (GET /threads/{id}/held), which replace what
  // the thread showed, except for what changed while the request was out
  // (reconcileHeld). Threads where nothing can be held are not asked; neither is the
  // server while the session is locked.
  async refreshHeld(threadId: number): Promise<void> {
    const state = this.threads.get(threadId);
    if (!state || !mayHold(state.thread) || state.removed || this.held) return;
    const before = new Set(state.held.map((h) => h.held_id));
    let answer: Held[];
    try {
      answer = await this.api.threadHeld(threadId);
    } catch {
      return; // Kept as is: asked again at the next opening or reconnect.
    }
    const now = this.threads.get(threadId);
    if (!now) return;
    now.held = reconcileHeld(answer, now.held, before, now.clientIds);
    this.emit();
  }

  // Withdraws one of the user's held messages (DELETE /held/{id}); answers it, with its
  // text. When the server no longer has it (released or withdrawn elsewhere) the
  // thread's held list is fetched again and the ApiError is thrown.
  async withdrawHeld(threadId: number, heldId: number): Promise<Held> {
    try {
      const held = await this.api.withdrawHeld(heldId);
      const state = this.threads.get(threadId);
      if (state) state.held = withoutHeld(state.held, heldId);
      this.emit();
      return held;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) void this.refreshHeld(threadId);
      throw error;
    }
  }

  // Pages backwards. Resolves with the number of messages added.
  async loadOlder(threadId: number): Promise<number> {
    const state = this.threads.get(threadId);
    if (!state || state.loadingOlder || state.reachedStart) return 0;
    const oldest = state.messages[0]?.seq ?? 0;
    if (oldest === 1) {
      state.reachedStart = true;
      this.emit();
      return 0;
    }
    state.loadingOlder = true;
    this.emit();
    let added = 0;
    try {
      const page = await this.api.history(threadId, oldest, 100);
      added = this.mergePage(state, page);
      if (page.messages.length < 100) state.reachedStart = true;
    } finally {
      state.loadingOlder = false;
      this.emit();
    }
    return added;
  }

  private mergePage(state: ThreadState, page: HistoryPage): number {
    const { messages } = page;
    let added = 0;
    // Newest first: insert from the newest so each one extends the window downwards.
    const sorted = [...messages].sort((a, b) => b.seq - a.seq);
    if (state.messages.length === 0 && sorted.length > 0) {
      for (const message of [...sorted].reverse()) if (insertMessage(state, message)) added++;
    } else {
      for (const message of sorted) if (insertMessage(state, message)) added++;
    }
    if (messages.length < kPageSize && (state.messages[0]?.seq ?? 1) <= 1) state.reachedStart = true;
    if (state.messages[0]?.seq === 1) state.reachedStart = true;
    for (const message of messages) {
      if (message.sender_id !== this.selfId && message.seq > state.thread.read_seq) this.queueAck(message.id);
    }
    // The page's receipts only add to what the stream said (docs/protocol.md).
    for (const position of page.receipts.read) {
      if (position.up_to_seq > 0) noteRead(state, position.user_id, position.up_to_seq, null);
    }
    for (const { message_id, user_ids } of page.receipts.delivered) {
      for (const userId of user_ids) noteDelivered(state, message_id, userId, null);
    }
    for (const routed of page.routed ?? []) this.noteStep(state, routed);
    for (const message of messages) if (message.sender_id === this.selfId) state.held = releaseHeld(state.held, message.client_id);
    return added;
  }

  // Fetches GET /messages/{id}/status, folds it into the thread's receipts and answers
  // with everything known of the message's recipients.
  async loadStatus(state: ThreadState, message: MessageEvent): Promise<RecipientStatus[]> {
    const status = await this.api.messageStatus(message.id);
    for (const receipt of status.recipients) {
      if (receipt.delivered_at) noteDelivered(state, message.id, receipt.user_id, receipt.delivered_at);
      if (receipt.read_at) noteRead(state, receipt.user_id, message.seq, receipt.read_at);
    }
    this.emit();
    return this.recipientStatuses(state, message);
  }

  // ---- user actions --------------------------------------------------------

  closeThread(): void {
    this.selectedThreadId = null;
    this.emit();
  }

  // Marks the open thread read when the user can see it.
  markRead(threadId: number): void {
    const state = this.threads.get(threadId);
    if (!state || this.selectedThreadId !== threadId || !this.isVisible()) return;
    const thread = state.thread;
    if (thread.last_seq <= thread.read_seq && thread.unread_count === 0) return;
    const upTo = thread.last_seq;
    if (upTo > thread.read_seq && !this.socket.send({ type: 'read', thread_id: threadId, up_to_seq: upTo })) return;
    thread.read_seq = Math.max(thread.read_seq, upTo);
    thread.unread_count = 0;
    thread.has_unread_urgent = false;
    this.emit();
  }

  // `override`: an urgent message goes to an off-duty person at once instead of being
  // held (ignored without `urgent`).
  async send(threadId: number, body: string, urgent: boolean, override = false, callback = ''): Promise<OutboxEntry> {
    const entry = await this.outbox.add(threadId, body, urgent, undefined, override, callback);
    const state = this.threads.get(threadId);
    if (state) state.activity = entry.createdAt > state.activity ? entry.createdAt : state.activity;
    this.flushOutbox();
    this.emit();
    return entry;
  }

  async retrySend(clientId: string): Promise<void> {
    await this.outbox.retry(clientId);
    this.flushOutbox();
    this.emit();
  }

  async discardSend(clientId: string): Promise<void> {
    const entry = this.outbox.all().find((e) => e.clientId === clientId);
    await this.outbox.discard(clientId);
    const state = entry ? this.threads.get(entry.threadId) : undefined;
    if (state?.removed && state.removedBy === null) this.dropThread(state);
    this.flushOutbox();
    this.emit();
  }

  // The user is no longer a member: the thread goes, unless it holds her unsent or
  // failed messages; then it stays, marked removed, until the last one is discarded.
  private dropThread(state: ThreadState): void {
    const id = state.thread.id;
    if (this.outbox.forThread(id).length > 0) {
      state.removed = true;
      state.thread.member_ids = state.thread.member_ids.filter((m) => m !== this.selfId);
      return;
    }
    this.threads.delete(id);
    this.cachedVersions.delete(id);
    if (this.selectedThreadId === id) this.selectedThreadId = null;
  }

  typing(threadId: number): void {
    const now = Date.now();
    if (now - (this.lastTypingSent.get(threadId) ?? 0) < kTypingSendEveryMs) return;
    if (this.socket.send({ type: 'typing', thread_id: threadId })) this.lastTypingSent.set(threadId, now);
  }

  private sendEntry(entry: OutboxEntry): boolean {
    return this.socket.send(sendFrame(entry, Date.now()));
  }

  // Hands the server the next entry of every thread that has no send awaiting an
  // answer (and is not waiting for a retry), with its original client_id. One send in
  // flight per thread keeps the thread in the order the messages were written.
  flushOutbox(): void {
    if (this.held) return;
    for (const entry of this.outbox.ready()) {
      if (!this.sendEntry(entry)) return; // not connected: sent after the next welcome
      this.outbox.markInFlight(entry.clientId);
    }
  }

  // A retryable error: the thread's head entry is resent after a backoff (≈1 s doubling
  // to 30 s per thread, reset by its next `sent`); the entries behind it wait.
  private scheduleRetry(threadId: number): void {
    if (this.retryTimers.has(threadId)) return;
    const attempt = this.retryAttempts.get(threadId) ?? 0;
    this.retryAttempts.set(threadId, attempt + 1);
    const delay = Math.min(30_000, 1000 * 2 ** attempt);
    this.retryTimers.set(threadId, setTimeout(() => {
      this.retryTimers.delete(threadId);
      this.outbox.release(threadId);
      this.flushOutbox();
    }, delay));
  }

  async startDirect(userId: number): Promise<number> {
    return this.adopt(await this.api.openDirect(userId));
  }

  // Opens (or creates) the user's thread with a role.
  async startRole(roleId: number): Promise<number> {
    return this.adopt(await this.api.openRole(roleId));
  }

  async createGroup(title: string, memberIds: number[]): Promise<number> {
    return this.adopt(await this.api.createGroup(title, memberIds));
  }

  async startPatient(patientId: number, memberIds: number[], title: string): Promise<number> {
    return this.adopt(await this.api.openPatient(patientId, memberIds, title));
  }

  async renameThread(threadId: number, title: string): Promise<void> {
    const thread = await this.api.renameThread(threadId, title);
    const state = this.threads.get(threadId);
    if (state) state.thread.title = thread.title;
    this.emit();
  }

  async addMember(threadId: number, userId: number): Promise<void> {
    await this.api.addMember(threadId, userId);
    const state = this.threads.get(threadId);
    if (state && !state.thread.member_ids.includes(userId)) {
      state.thread.member_ids = [...state.thread.member_ids, userId].sort((a, b) => a - b);
    }
    this.emit();
  }

  // Removing oneself is leaving.
  async removeMember(threadId: number, userId: number): Promise<void> {
    await this.api.removeMember(threadId, userId);
    const state = this.threads.get(threadId);
    if (state) {
      state.thread.member_ids = state.thread.member_ids.filter((id) => id !== userId);
      if (userId === this.selfId) {
        state.removedBy = this.selfId;
        state.removed = true;
      }
    }
    this.emit();
  }

  private adopt(thread: Thread): number {
    if (!this.threads.has(thread.id)) {
      const state = emptyState(thread);
      this.threads.set(thread.id, state);
    }
    return thread.id;
  }

  // ---- the local cache (offline start) ---------------------------------------

  // Shows the cached thread list (and each thread's recent messages) until the
  // snapshot replaces it. A damaged or missing cache leaves the list loading.
  private async loadCache(): Promise<void> {
    const cached = await this.deps.local.cacheGet<CachedThreads>('threads').catch(() => null);
    if (!cached || this.snapshotLoaded) return;
    for (const user of cached.users) if (user.id !== this.selfId) this.users.set(user.id, user);
    for (const thread of cached.threads) {
      const state = emptyState(thread);
      const messages = await this.deps.local.cacheGet<MessageEvent[]>(`messages:${thread.id}`).catch(() => null);
      for (const message of messages ?? []) insertMessage(state, message);
      const routed = await this.deps.local.cacheGet<[number, RouteTarget[]][]>(`routed:${thread.id}`).catch(() => null);
      state.routed = new Map(routed ?? []);
      state.removed = !thread.member_ids.includes(this.selfId);
      this.threads.set(thread.id, state);
    }
    this.ready = true;
    this.fromCache = true;
    this.emit();
  }

  // Writes the thread list and the recent messages of threads that changed, at most
  // once per kCacheWriteMs, sealed.
  private scheduleCacheWrite(): void {
    if (this.cacheTimer || this.stopped || !this.snapshotLoaded) return;
    this.cacheTimer = setTimeout(() => {
      this.cacheTimer = null;
      void this.writeCache().catch(() => undefined);
    }, kCacheWriteMs);
  }

  private async writeCache(): Promise<void> {
    if (this.stopped) return;
    const threads = [...this.threads.values()];
    const users = [...this.users.values()].map((user) => ({ ...user, online: false }));
    const list: CachedThreads = { users, threads: threads.map((s) => s.thread) };
    const text = JSON.stringify(list);
    if (text !== this.cachedList) {
      await this.deps.local.cachePut('threads', list);
      this.cachedList = text;
    }
    for (const state of threads) {
      if (this.stopped) return;
      const recent = state.messages.slice(-kCachedMessages);
      const routed = recent.filter((m) => state.routed.has(m.id)).map((m): [number, RouteTarget[]] => [m.id, state.routed.get(m.id)!]);
      const reached = routed.reduce((count, [, targets]) => count + targets.length, 0);
      const version = `${recent.length}:${recent[0]?.id ?? 0}:${recent[recent.length - 1]?.id ?? 0}:${reached}`;
      if (recent.length === 0 || this.cachedVersions.get(state.thread.id) === version) continue;
      await this.deps.local.cachePut(`messages:${state.thread.id}`, recent);
      // Whom messages reached and were escalated to, for an offline start (history
      // pages say it too, for role and direct threads). Kept only where there is some.
      if (routed.length > 0) await this.deps.local.cachePut(`routed:${state.thread.id}`, routed);
      this.cachedVersions.set(state.thread.id, version);
    }
  }

  // ---- acks and cursors ----------------------------------------------------

  private queueAck(messageId: number): void {
    this.ackQueue.push(messageId);
    if (!this.ackTimer) this.ackTimer = setTimeout(() => this.flushAcks(), 50);
  }

  private flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    while (this.ackQueue.length > 0) {
      const batch = [...new Set(this.ackQueue.slice(0, kAckBatch))];
      if (!this.socket.send({ type: 'ack', message_ids: batch })) return; // resent after the next welcome
      this.ackQueue.splice(0, kAckBatch);
    }
  }

  private saveCursor(cursor: string, now: boolean): void {
    this.latestCursor = cursor;
    if (this.cursorTimer) {
      if (!now) return;
      clearTimeout(this.cursorTimer);
    }
    const write = () => {
      this.cursorTimer = null;
      if (this.latestCursor && !this.stopped) void this.deps.local.setCursor(this.selfId, this.latestCursor).catch(() => undefined);
    };
    if (now) write();
    else this.cursorTimer = setTimeout(write, 250);
  }
}

// A thread the user is no longer a member of and knows nothing else about: it only
// holds her unsent or failed messages.
function placeholderThread(id: number, createdAt: string): Thread {
  return {
    id, kind: 'group', title: 'A conversation you are no longer in', member_ids: [], patient: null, created_at: createdAt,
    last_seq: 0, read_seq: 0, unread_count: 0, has_unread_urgent: false, last_message: null,
  };
}
