import { useEffect, useRef, useState } from 'preact/hooks';
import { overrideHint, rolePreviewShown, threadPreviewShown, type ComposerPreview } from '../lib/availability';
import { composeBody, kCounterFromBytes, lengthCheck, plural, quoteOf, splitQuote, type Quote } from '../lib/compose';
import { dayLabel, timeOfDay } from '../lib/format';
import { loopNotice } from '../lib/forwarding';
import { expandNote, messageCallback, phoneText, telHref } from '../lib/callback';
import { awaitsAcceptance } from '../lib/handoffs';
import { heldNotice, heldPeer, refill } from '../lib/held';
import { invitationText } from '../lib/providers';
import { ApiError } from '../lib/http';
import { clearPlace, savedPlace, savePlace } from '../lib/place';
import { kUnreadKey, threadRows } from '../lib/rows';
import { routedText } from '../lib/routing';
import { kWrittenShownAfterMs, type AppStore, type ThreadState } from '../lib/store';
import { summarize, summaryLabel } from '../lib/status';
import type { Held, MessageEvent, Phones, QuickNote, Recipient } from '../lib/types';
import { GroupInfo } from './GroupInfo';
import { HeldBubble } from './HeldBubble';
import { MessageDetail } from './MessageDetail';
import { MessageOptions } from './MessageOptions';
import { OutboxBubble } from './OutboxBubble';
import { PatientBanner } from './PatientBanner';
import { ProviderDirectory } from './ProviderDirectory';
import { VirtualList, type VirtualListControl } from './VirtualList';

const kNoticeMs = 4000;
// Jumping to the first unread message loads at most this many older pages of 100.
const kJumpPages = 20;
const kDraftSaveMs = 300;

export function ThreadView(props: { store: AppStore; state: ThreadState; onBack: () => void }) {
  const { store, state } = props;
  const thread = state.thread;
  const [optionsId, setOptionsId] = useState<number | null>(null);
  const [detailId, setDetailId] = useState<number | null>(null);
  const [showInfo, setShowInfo] = useState(false);
  const [inviting, setInviting] = useState(false);
  const removal = store.removalNotice(state);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [notice, setNotice] = useState('');
  const [atBottom, setAtBottom] = useState(true);
  const [jumping, setJumping] = useState(false);
  const list = useRef<VirtualListControl | null>(null);
  // A withdrawn held message, for the composer to take back.
  const [restore, setRestore] = useState<Restore | null>(null);
  // Where the new-messages divider goes, fixed when the thread opens (or as it was
  // before a reload), so reading the thread does not move it.
  const [unreadAfter] = useState<number | null>(() => {
    const saved = savedPlace(store.selfId);
    if (saved && saved.threadId === thread.id) return saved.unreadAfter;
    return state.openedReadSeq < thread.last_seq ? state.openedReadSeq : null;
  });
  const others = store.otherMembers(thread);
  const peer = (thread.kind === 'direct' || thread.kind === 'patient') && others.length === 1 ? store.users.get(others[0]) : undefined;
  const title = store.threadTitle(thread);

  useEffect(() => {
    savePlace({ userId: store.selfId, threadId: thread.id, unreadAfter });
    // Kept when the view goes because the app locked (the thread is still the open
    // one), so a reload while locked returns to it after the unlock.
    return () => {
      if (store.selectedThreadId !== thread.id) clearPlace();
    };
  }, []);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(''), kNoticeMs);
    return () => clearTimeout(timer);
  }, [notice]);

  // A message this device had held is announced once (the bubble says it too).
  const announcedHeld = useRef(state.lastHeldId);
  useEffect(() => {
    if (state.lastHeldId === announcedHeld.current) return;
    announcedHeld.current = state.lastHeldId;
    const held = state.held.find((h) => h.held_id === state.lastHeldId);
    if (held) setNotice(heldNotice(held, (id) => store.userName(id), store.heldContext(held.user_id)));
  }, [state.lastHeldId]);

  // A send whose forwarding loop was not followed is announced once.
  const announcedLoop = useRef(state.lastLoopId);
  useEffect(() => {
    if (state.lastLoopId === announcedLoop.current) return;
    announcedLoop.current = state.lastLoopId;
    // Whom it went to is known in a conversation of two; elsewhere it is said generally.
    setNotice(loopNotice(heldPeer(thread, store.selfId), (id) => store.userName(id)));
  }, [state.lastLoopId]);

  // A hand-off note opened from its banner: shown at the top once it is loaded (older
  // pages loaded until it is, if it is not among the newest).
  const focus = store.focus?.threadId === thread.id ? store.focus.messageId : null;
  useEffect(() => {
    if (focus === null) return;
    if (state.ids.has(focus)) {
      store.focus = null;
      list.current?.scrollToKey(`m${focus}`);
    } else if (state.historyLoaded && !state.loadingOlder && !state.reachedStart) {
      void store.loadOlder(thread.id);
    }
  }, [focus, state.messages.length, state.historyLoaded, state.loadingOlder]);

  async function accept(message: MessageEvent) {
    try {
      await store.acceptHandoff(message.id);
      setNotice('Hand-off note accepted.');
    } catch (error) {
      setNotice(`The hand-off note was not accepted: ${(error as Error).message}`);
    }
  }

  async function withdraw(held: Held) {
    try {
      const back = await store.withdrawHeld(thread.id, held.held_id);
      setRestore({ body: back.body, urgent: back.urgent, stamp: Date.now() });
      setNotice('Withdrawn: the message is back in the message field.');
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setNotice('This message is no longer held: it was delivered or withdrawn.');
      else setNotice(`The message could not be withdrawn: ${(error as Error).message}`);
    }
  }

  const pending = store.outbox.forThread(thread.id).filter((entry) => !state.clientIds.has(entry.clientId));
  const held = state.held.filter((h) => !state.clientIds.has(h.client_id));
  const rows = threadRows(state.messages, pending, store.selfId, unreadAfter, held);
  const hasDivider = rows.some((row) => row.key === kUnreadKey);
  const now = Date.now();
  const find = (id: number | null) => (id === null ? undefined : state.messages.find((m) => m.id === id));
  const options = find(optionsId);
  const detail = find(detailId);
  const typing = store.typingNames(state, now);

  const presence = peer ? store.presence(peer.id) : 'unknown';
  function subtitle(): string {
    if (peer) return presence === 'online' ? 'Online' : presence === 'offline' ? 'Offline' : 'Presence unknown';
    // A role thread's members are the people its messages reached.
    if (thread.kind === 'role' && others.length === 0) return 'Nobody reached yet';
    return others.map((id) => store.userName(id)).join(', ');
  }

  // Loads older pages until the first unread message is in, then scrolls to the divider.
  async function jumpToFirstUnread() {
    if (unreadAfter === null) return;
    setJumping(true);
    list.current?.scrollToKey(kUnreadKey);
    for (let page = 0; page < kJumpPages; page++) {
      const first = state.messages[0]?.seq ?? 0;
      if (first <= unreadAfter + 1 || state.reachedStart) break;
      if ((await store.loadOlder(thread.id)) === 0 && !state.loadingOlder) break;
    }
    setJumping(false);
  }

  function copy(message: MessageEvent) {
    const text = splitQuote(message.body)?.text ?? message.body;
    setOptionsId(null);
    navigator.clipboard.writeText(text).then(
      () => setNotice('Copied'),
      () => setNotice('Copying is not allowed here: select the text and copy it instead.'),
    );
  }

  function reply(message: MessageEvent) {
    setOptionsId(null);
    setQuote(quoteOf(message.sender_id === store.selfId ? store.userName(store.selfId) : store.userName(message.sender_id), message.body));
    // After the dialog has closed and given the focus back.
    requestAnimationFrame(() => document.getElementById('composer-input')?.focus());
  }

  return (
    <section class="thread-view" aria-label={`Conversation: ${title}`}>
      <header class="bar thread-bar">
        <button type="button" class="icon-button back-button" onClick={props.onBack} aria-label="Back to conversations">
          ‹
        </button>
        <div class="thread-heading">
          <h2>{title}</h2>
          <p class="muted small">
            {peer && <span class={'presence-dot inline ' + presence} aria-hidden="true" />}
            {subtitle()}
          </p>
        </div>
        {!removal && (
          <button type="button" class="secondary info-button invite-button" onClick={() => setInviting(true)} aria-haspopup="dialog" aria-label="Invite to this conversation">
            Invite
          </button>
        )}
        {thread.kind !== 'direct' && (
          <button type="button" class="secondary info-button" onClick={() => setShowInfo(true)} aria-haspopup="dialog">
            {thread.kind === 'group' ? 'Group info' : 'Members'}
          </button>
        )}
      </header>
      {thread.patient && (
        <PatientBanner patient={thread.patient} />
      )}
      <div class="messages">
        <VirtualList
          rows={rows}
          resetKey={thread.id}
          label="Messages"
          startKey={hasDivider ? kUnreadKey : undefined}
          onAtBottom={setAtBottom}
          control={list}
          onNearTop={() => void store.loadOlder(thread.id)}
          render={(row) => {
            switch (row.type) {
              case 'top':
                return (
                  <p class="history-edge muted small">
                    {state.reachedStart ? 'Beginning of the conversation' : state.loadingOlder ? 'Loading earlier messages…' : 'Scroll up for earlier messages'}
                  </p>
                );
              case 'day':
                return (
                  <p class="day-separator">
                    <span>{dayLabel(row.at, now)}</span>
                  </p>
                );
              case 'unread':
                return (
                  <p class="unread-divider">
                    <span>New messages</span>
                  </p>
                );
              case 'held':
                return <HeldBubble store={store} held={row.held} onWithdraw={withdraw} />;
              case 'pending':
                return <OutboxBubble store={store} entry={row.entry} />;
              case 'message':
                return <Bubble store={store} state={state} message={row.message} onOptions={setOptionsId} onAccept={accept} />;
            }
          }}
        />
        {unreadAfter !== null && !hasDivider && state.messages.length > 0 && (
          <button type="button" class="jump-unread" disabled={jumping} onClick={() => void jumpToFirstUnread()}>
            <span aria-hidden="true">↑ </span>
            {jumping ? 'Loading…' : 'Jump to first unread'}
          </button>
        )}
        {!atBottom && (
          <button type="button" class="jump-latest" onClick={() => list.current?.scrollToBottom()}>
            <span aria-hidden="true">↓ </span>Jump to latest
          </button>
        )}
      </div>
      {(state.invitations.length > 0 || state.announced.size > 0) && (
        <ul class="invitations muted small" aria-label="Invited providers">
          {state.invitations.map((invitation) => (
            <li key={invitation.id} class="invitation-line" data-npi={invitation.npi}>
              {invitationText(store.userName(invitation.invited_by), invitation.npi, invitation.provider)} · {invitation.state}
            </li>
          ))}
          {[...state.announced.values()].map((event) => (
            <li key={event.invitation_id} class="invitation-line" data-npi={event.npi}>
              {invitationText(store.userName(event.by_user_id), event.npi, null)}
            </li>
          ))}
        </ul>
      )}
      <p class="typing muted small" aria-live="polite">
        {typing.length > 0 ? `${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…` : ''}
      </p>
      <p class={'thread-notice small' + (notice ? ' shown' : '')} role="status">
        {notice}
      </p>
      {removal ? (
        <p class="removed-notice" role="status">
          {removal}
        </p>
      ) : (
        <Composer
          key={thread.id}
          store={store}
          threadId={thread.id}
          roleId={thread.kind === 'role' ? thread.role_id ?? null : null}
          quote={quote}
          onQuote={setQuote}
          restore={restore}
        />
      )}
      {options && (
        <MessageOptions
          onReply={() => reply(options)}
          onCopy={() => copy(options)}
          onDetails={() => {
            setOptionsId(null);
            setDetailId(options.id);
          }}
          onClose={() => setOptionsId(null)}
        />
      )}
      {showInfo && <GroupInfo store={store} state={state} onClose={() => setShowInfo(false)} />}
      {inviting && <ProviderDirectory store={store} threadId={thread.id} onClose={() => setInviting(false)} />}
      {detail && <MessageDetail store={store} state={state} message={detail} onClose={() => setDetailId(null)} />}
    </section>
  );
}

// "written 14:02, sent 14:20" for a message written well before it was sent (offline).
function sentTimes(message: MessageEvent): string {
  const written = message.written_at;
  if (written && Date.parse(message.at) - Date.parse(written) > kWrittenShownAfterMs) {
    return `written ${timeOfDay(written)}, sent ${timeOfDay(message.at)}`;
  }
  return timeOfDay(message.at);
}

function Bubble(props: {
  store: AppStore; state: ThreadState; message: MessageEvent; onOptions: (id: number) => void; onAccept: (message: MessageEvent) => Promise<void>;
}) {
  const { store, state, message } = props;
  const own = message.sender_id === store.selfId;
  const showSender = !own && state.thread.kind !== 'direct';
  const reply = splitQuote(message.body);
  const time = timeOfDay(message.at);
  const times = sentTimes(message);
  const written = times !== time;
  const summary = own ? summarize(store.recipientStatuses(state, message)) : null;
  const routed = state.routed.get(message.id) ?? [];
  // Whom the message was written to, in a conversation of two (a gatekeeper's answer
  // line names them).
  const addressee = state.thread.pair_user_ids?.find((id) => id !== message.sender_id) ?? null;
  const roleName = (roleId: number) => store.roles?.get(roleId)?.name ?? null;
  // A hand-off note to the user, not accepted yet (docs/routing.md, "Hand-off notes").
  const toAccept = !own && awaitsAcceptance(routed, store.selfId, store.handoffs?.some((h) => h.message_id === message.id) ?? false);
  const [accepting, setAccepting] = useState(false);
  // One tap to call the sender: the number the message carries, else theirs.
  const callback = messageCallback(message, store.users.get(message.sender_id), store.selfId);
  const optionsButton = (
    <button
      type="button"
      class="message-options"
      aria-haspopup="dialog"
      aria-label={own ? `Options for your message at ${time}` : `Options for the message from ${store.userName(message.sender_id)} at ${time}`}
      onClick={() => props.onOptions(message.id)}
    >
      ⋯
    </button>
  );
  return (
    <div class={'message ' + (own ? 'own' : 'theirs') + (message.urgent ? ' urgent' : '')} data-message-id={message.id} data-seq={message.seq}>
      {own && optionsButton}
      <div class="bubble">
        {showSender && <span class="sender">{store.userName(message.sender_id)}</span>}
        {message.urgent && <span class="tag urgent-tag">Urgent</span>}
        {reply && (
          <blockquote class="quote">
            <span class="quote-author">{reply.quote.author}</span>
            <span class="quote-text">{reply.quote.text}</span>
          </blockquote>
        )}
        <span class="body">{reply ? reply.text : message.body}</span>
        {callback && (
          <a class="callback-link" href={telHref(callback)} aria-label={`Call ${store.userName(message.sender_id)} back on ${phoneText(callback)}`}>
            <span aria-hidden="true">📞</span> Call back {phoneText(callback)}
          </a>
        )}
        {summary ? (
          <span class="meta">
            {written ? '' : <span class="visually-hidden">Sent </span>}
            {times} · <span class={'status status-' + summary.stage} data-status={summary.stage}>{summaryLabel(summary)}</span>
          </span>
        ) : (
          <span class="meta">{times}</span>
        )}
        {routed.length > 0 && (
          <span class="routed">
            {routed.map((target) => (
              <span key={`${target.reason}-${target.user_id}`} class="routed-to" data-user-id={target.user_id} data-reason={target.reason}>
                {routedText(target, (id) => store.userName(id), roleName, addressee)}
              </span>
            ))}
          </span>
        )}
        {toAccept && (
          <span class="handoff-ask">
            <span id={`handoff-ask-${message.id}`}>Hand-off note for you</span>
            {' — '}
            <button
              type="button"
              class="primary small-button handoff-accept"
              aria-describedby={`handoff-ask-${message.id}`}
              disabled={accepting}
              onClick={() => {
                setAccepting(true);
                void props.onAccept(message).finally(() => setAccepting(false));
              }}
            >
              Accept
            </button>
          </span>
        )}
      </div>
      {!own && optionsButton}
    </div>
  );
}

// What the composer shows before the first keystroke. In a role thread, where a
// message would go now (GET /roles/{id}/preview): fetched when the thread opens, when a
// role or its holders change (role_changed, on_call_changed: any role, as the change may
// be in the role's fallback), and every minute, as shifts start and end on time without
// an event. In other threads, the other members (GET /threads/{id}/preview). Both again
// when the availability of someone shown changes (availability_changed), and in other
// threads when the members change.
const kPreviewRefreshMs = 60_000;

function useComposerPreview(store: AppStore, threadId: number, roleId: number | null): ComposerPreview | null {
  const [shown, setShown] = useState<ComposerPreview | null>(null);
  // Any role's change may matter: the role may fall back to the one that changed. In
  // another thread, when someone shown forwards to a role, so does its holders' change.
  const followsRole = useRef(false);
  const rolesStamp = roleId === null && !followsRole.current ? 0 : store.rolesStamp;
  const availabilityStamp = store.availabilityStamp(shown?.people ?? []);
  const members = roleId === null ? store.threads.get(threadId)?.thread.member_ids.join(',') ?? '' : '';
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (roleId === null) return;
    const timer = setInterval(() => setTick((t) => t + 1), kPreviewRefreshMs);
    return () => clearInterval(timer);
  }, [roleId]);
  useEffect(() => {
    let cancelled = false;
    const name = (id: number) => store.userName(id);
    const load = async (): Promise<ComposerPreview> => {
      const roleNames = (id: number) => store.roleName(id);
      if (roleId === null) {
        const { recipients } = await store.api.threadPreview(threadId);
        store.notePreview(recipients);
        // A forwarding to a role is said with the role's name.
        followsRole.current = recipients.some((r) => r.forwarding?.to_role_id != null);
        if (!store.roles && followsRole.current) await store.refreshRoles().catch(() => undefined);
        const state = store.threads.get(threadId);
        return threadPreviewShown(recipients, name, state ? heldPeer(state.thread, store.selfId) : null, roleNames, store.selfId);
      }
      if (!store.roles?.has(roleId)) await store.refreshRoles().catch(() => undefined);
      const preview = await store.api.rolePreview(roleId);
      store.notePreview(preview.recipients as Recipient[]);
      return rolePreviewShown(preview, store.roleName(roleId), name, roleNames);
    };
    load()
      .then((preview) => {
        if (!cancelled) setShown(preview);
      })
      .catch(() => {
        // Offline or refused: say nothing rather than something stale; sending stays on.
        if (!cancelled) setShown(null);
      });
    return () => {
      cancelled = true;
    };
  }, [threadId, roleId, rolesStamp, availabilityStamp, members, tick]);
  return shown;
}

// A withdrawn held message going back to the composer; `stamp` tells one from the next.
interface Restore {
  body: string;
  urgent: boolean;
  stamp: number;
}

// The message field, its quote when replying, the urgent switch and the length counter;
// in a role thread, where the message would go; in a conversation between two people
// whose other person is off duty, that the message will be held, and for an urgent one
// the emergency override. The draft (text and quote) is kept per thread in store.drafts.
function Composer(props: {
  store: AppStore; threadId: number; roleId: number | null; quote: Quote | null; onQuote: (quote: Quote | null) => void; restore: Restore | null;
}) {
  const { store, threadId, quote } = props;
  const preview = useComposerPreview(store, threadId, props.roleId);
  const blocked = preview?.blocked ?? false;
  const warnings = [...(preview?.lines ?? []), ...(preview?.forwarding ?? [])];
  const forwardingShown = new Set(preview?.forwarding ?? []);
  const hold = preview?.hold ?? null;
  const [text, setText] = useState('');
  const [urgent, setUrgent] = useState(false);
  // The emergency override: offered only for an urgent message that would be held.
  const [override, setOverride] = useState(false);
  const overriding = override && urgent && hold !== null;
  // Call back (docs/callback.md): the caller's numbers, loaded once, and whether this
  // message asks to be called back on the chosen one.
  const [phones, setPhones] = useState<Phones | null>(null);
  const [askCallback, setAskCallback] = useState(false);
  const [callbackNumber, setCallbackNumber] = useState('');
  const [notesOpen, setNotesOpen] = useState(false);
  // A send was refused for its length: the error shows until the text fits.
  const [refused, setRefused] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  // Whether the user has typed or quoted here; a draft that loads later must not
  // replace it.
  const touched = useRef(false);
  const draftLoaded = useRef(false);
  const saveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef({ text, quote });
  latest.current = { text, quote };

  const body = composeBody(quote, text);
  const length = lengthCheck(body, text);
  // The outbox refused to keep the message (it is full): shown until the text changes.
  const [notStored, setNotStored] = useState<string | null>(null);
  const error = refused && length.over > 0 ? `This message is too long: remove ${plural(length.over, 'character')}.` : notStored;
  const showCounter = text.trim() !== '' && length.left <= kCounterFromBytes;

  // One composer per thread (keyed by it), so a draft never carries over to another
  // thread, not even for the moment an effect would take to clear it.
  useEffect(() => {
    if (window.matchMedia('(min-width: 768px)').matches) input.current?.focus();
    let cancelled = false;
    store.drafts
      .get(threadId)
      .catch(() => null)
      .then((draft) => {
        if (cancelled) return;
        draftLoaded.current = true;
        if (!draft || touched.current) return;
        setText(draft.text);
        props.onQuote(draft.quote);
      });
    return () => {
      cancelled = true;
      if (saveTimer.current) {
        clearTimeout(saveTimer.current);
        void store.drafts.put(threadId, latest.current).catch(() => undefined);
      }
    };
  }, []);

  useEffect(() => {
    if (quote) touched.current = true;
    if (!touched.current || !draftLoaded.current) return;
    if (saveTimer.current) clearTimeout(saveTimer.current);
    saveTimer.current = setTimeout(() => {
      saveTimer.current = null;
      void store.drafts.put(threadId, latest.current).catch(() => undefined);
    }, kDraftSaveMs);
  }, [text, quote]);

  useEffect(() => {
    if (length.over === 0) setRefused(false);
  }, [length.over]);

  // A withdrawn held message comes back as it was, after anything typed since; once (one
  // from before this composer was there is not its own).
  const restored = useRef(props.restore?.stamp ?? null);
  useEffect(() => {
    const restore = props.restore;
    if (!restore || restore.stamp === restored.current) return;
    restored.current = restore.stamp;
    touched.current = true;
    const back = refill(input.current?.value ?? latest.current.text, latest.current.quote, restore.body);
    setText(back.text);
    props.onQuote(back.quote);
    if (restore.urgent) setUrgent(true);
    input.current?.focus();
  }, [props.restore?.stamp]);

  useEffect(() => {
    let cancelled = false;
    store.api
      .myPhones()
      .then((mine) => {
        if (cancelled) return;
        setPhones(mine);
        setCallbackNumber((current) => current || mine.callback || '');
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, []);

  // A quick note goes in where the cursor is, its placeholders filled in.
  function insertNote(note: QuickNote) {
    setNotesOpen(false);
    const thread = store.threads.get(threadId)?.thread;
    const filled = expandNote(note.text, {
      patient: thread?.patient ?? null,
      myName: store.userName(store.selfId),
      myCallback: phones?.callback ?? null,
    });
    const field = input.current;
    const current = field?.value ?? text;
    const start = field?.selectionStart ?? current.length;
    const end = field?.selectionEnd ?? current.length;
    const next = current.slice(0, start) + filled + current.slice(end);
    touched.current = true;
    setText(next);
    requestAnimationFrame(() => {
      field?.focus();
      field?.setSelectionRange(start + filled.length, start + filled.length);
    });
  }

  async function submit() {
    // The field itself: what was typed an instant ago may not be rendered into `text` yet.
    const typed = input.current?.value ?? text;
    const message = composeBody(quote, typed);
    if (!message || blocked) return;
    if (lengthCheck(message, typed).over > 0) {
      setText(typed);
      setRefused(true);
      return;
    }
    touched.current = true;
    if (saveTimer.current) clearTimeout(saveTimer.current);
    saveTimer.current = null;
    setRefused(false);
    setText('');
    setUrgent(false);
    setOverride(false);
    const callback = askCallback ? callbackNumber : '';
    setAskCallback(false);
    props.onQuote(null);
    void store.drafts.put(threadId, { text: '', quote: null }).catch(() => undefined);
    try {
      await store.send(threadId, message, urgent, overriding, callback);
    } catch (failure) {
      // Not stored (the outbox is full): the text and its quote go back.
      setText(typed);
      props.onQuote(quote);
      setNotStored((failure as Error).message);
    }
    input.current?.focus();
  }

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {quote && (
        <div class="reply-quote" role="group" aria-label={`Replying to ${quote.author}`}>
          <blockquote class="quote">
            <span class="quote-author">{quote.author}</span>
            <span class="quote-text">{quote.text}</span>
          </blockquote>
          <button
            type="button"
            class="icon-button"
            aria-label="Remove the quote"
            onClick={() => {
              props.onQuote(null);
              input.current?.focus();
            }}
          >
            ×
          </button>
        </div>
      )}
      {preview?.route && (
        <p id="route-preview" class={'route-preview small' + (preview.blocked ? ' blocked' : '')} role="status">
          {preview.route}
        </p>
      )}
      <div id="availability-preview" class={'availability-preview small' + (warnings.length > 0 ? ' shown' : '')} role="status">
        {warnings.map((line) => (
          <p key={line} class={forwardingShown.has(line) ? 'forwarding-line' : undefined}>
            {line}
          </p>
        ))}
      </div>
      {showCounter && (
        <p id="composer-counter" class={'composer-counter small' + (length.over > 0 ? ' over' : '')}>
          {length.over > 0 ? `${plural(length.over, 'character')} too many` : `${plural(length.left, 'character')} left`}
        </p>
      )}
      {notesOpen && <QuickNotesMenu store={store} onPick={insertNote} onClose={() => setNotesOpen(false)} />}
      {askCallback && (
        <p class="callback-choice small">
          <label for="composer-callback">Call me back on</label>{' '}
          {phones && phones.phones.length > 0 ? (
            <select id="composer-callback" value={callbackNumber} onChange={(e) => setCallbackNumber((e.target as HTMLSelectElement).value)}>
              {phones.phones.map((phone) => (
                <option key={phone.kind} value={phone.number}>
                  {phone.kind} {phoneText(phone.number)}
                </option>
              ))}
            </select>
          ) : (
            <span>— add your numbers under “Call back &amp; notes” first.</span>
          )}
        </p>
      )}
      <div class="composer-tools">
        <button
          type="button"
          class={'tool-button quick-notes-button' + (notesOpen ? ' on' : '')}
          aria-haspopup="menu"
          aria-expanded={notesOpen}
          onClick={() => setNotesOpen(!notesOpen)}
        >
          Quick notes
        </button>
        <label class={'callback-toggle' + (askCallback ? ' on' : '')}>
          <input
            type="checkbox"
            checked={askCallback}
            disabled={!phones || phones.phones.length === 0}
            onChange={(e) => setAskCallback((e.target as HTMLInputElement).checked)}
          />
          <span>Ask for a call back</span>
        </label>
      </div>
      <div class="composer-row">
        <label class={'urgent-toggle' + (urgent ? ' on' : '')}>
          <input
            type="checkbox"
            checked={urgent}
            onChange={(e) => {
              const on = (e.target as HTMLInputElement).checked;
              setUrgent(on);
              if (!on) setOverride(false);
            }}
          />
          <span>Urgent</span>
        </label>
        <label for="composer-input" class="visually-hidden">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={input}
          rows={1}
          placeholder="Message"
          value={text}
          aria-describedby={
            [showCounter ? 'composer-counter' : '', preview?.route ? 'route-preview' : '', warnings.length > 0 ? 'availability-preview' : '', hold ? 'held-hint' : '']
              .filter(Boolean)
              .join(' ') || undefined
          }
          onInput={(e) => {
            touched.current = true;
            setNotStored(null);
            setText((e.target as HTMLTextAreaElement).value);
            store.typing(threadId);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
        />
        <button type="submit" class="primary send-button" disabled={!text.trim() || length.over > 0 || blocked}>
          Send
        </button>
      </div>
      <p id="held-hint" class={'held-hint small' + (hold ? ' shown' : '') + (overriding ? ' overriding' : '')} aria-live="polite">
        {hold && (overriding ? overrideHint(hold.userId, (id) => store.userName(id), hold.status) : hold.text)}
      </p>
      {hold && urgent && (
        <label class={'override-toggle' + (override ? ' on' : '')}>
          <input type="checkbox" checked={override} onChange={(e) => setOverride((e.target as HTMLInputElement).checked)} />
          <span>Emergency override: deliver now</span>
        </label>
      )}
    </form>
  );
}

// The quick notes to pick from (docs/quick_notes.md): the org's, then the user's own,
// loaded when the menu opens.
function QuickNotesMenu(props: { store: AppStore; onPick: (note: QuickNote) => void; onClose: () => void }) {
  const [notes, setNotes] = useState<QuickNote[] | null>(null);
  const [failure, setFailure] = useState('');
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    let cancelled = false;
    props.store.api
      .quickNotes()
      .then((answer) => {
        if (!cancelled) setNotes(answer.notes);
      })
      .catch((error: Error) => {
        if (!cancelled) setFailure(error.message);
      });
    return () => {
      cancelled = true;
    };
  }, []);
  useEffect(() => {
    list.current?.querySelector<HTMLButtonElement>('button')?.focus();
  }, [notes]);
  return (
    <div
      class="quick-notes-menu"
      role="group"
      aria-label="Quick notes"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          props.onClose();
        }
      }}
    >
      {failure && <p class="error">{failure}</p>}
      {notes === null && !failure && <p class="muted small">Loading quick notes…</p>}
      {notes !== null && notes.length === 0 && <p class="muted small">No quick notes yet: add yours under “Call back &amp; notes”.</p>}
      {notes !== null && notes.length > 0 && (
        <ul ref={list} role="menu">
          {notes.map((note) => (
            <li key={note.id} role="none">
              <button type="button" role="menuitem" class="quick-note" data-scope={note.scope} onClick={() => props.onPick(note)}>
                <span class="quick-note-title">{note.title}</span>
                <span class="quick-note-scope muted small">{note.scope === 'org' ? 'Org' : 'Mine'}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
