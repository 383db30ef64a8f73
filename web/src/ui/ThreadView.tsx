import { useEffect, useRef, useState } from 'preact/hooks';
import type { OutboxEntry } from '../lib/db';
import { timeOfDay } from '../lib/format';
import { kWrittenShownAfterMs, type AppStore, type ThreadState } from '../lib/store';
import { summarize, summaryLabel } from '../lib/status';
import type { MessageEvent } from '../lib/types';
import { GroupInfo } from './GroupInfo';
import { MessageDetail } from './MessageDetail';
import { OutboxBubble } from './OutboxBubble';
import { VirtualList } from './VirtualList';

type MessageRow =
  | { key: string; type: 'top' }
  | { key: string; type: 'message'; message: MessageEvent }
  | { key: string; type: 'pending'; entry: OutboxEntry };

export function ThreadView(props: { store: AppStore; state: ThreadState; onBack: () => void }) {
  const { store, state } = props;
  const thread = state.thread;
  const [detailId, setDetailId] = useState<number | null>(null);
  const [showInfo, setShowInfo] = useState(false);
  const removal = store.removalNotice(state);
  const others = store.otherMembers(thread);
  const peer = thread.kind !== 'group' && others.length === 1 ? store.users.get(others[0]) : undefined;
  const title = store.threadTitle(thread);

  const rows: MessageRow[] = [{ key: 'top', type: 'top' }];
  for (const message of state.messages) rows.push({ key: `m${message.id}`, type: 'message', message });
  for (const entry of store.outbox.forThread(thread.id)) {
    if (!state.clientIds.has(entry.clientId)) rows.push({ key: `c${entry.clientId}`, type: 'pending', entry });
  }
  const detail = detailId === null ? undefined : state.messages.find((m) => m.id === detailId);
  const typing = store.typingNames(state, Date.now());

  const presence = peer ? store.presence(peer.id) : 'unknown';
  function subtitle(): string {
    if (peer) return presence === 'online' ? 'Online' : presence === 'offline' ? 'Offline' : 'Presence unknown';
    return others.map((id) => store.userName(id)).join(', ');
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
        {thread.kind !== 'direct' && (
          <button type="button" class="secondary info-button" onClick={() => setShowInfo(true)} aria-haspopup="dialog">
            {thread.kind === 'group' ? 'Group info' : 'Members'}
          </button>
        )}
      </header>
      {thread.patient && (
        <section class="patient-banner" aria-label="Patient">
          <strong>{thread.patient.name}</strong>
          <span>MRN {thread.patient.mrn}</span>
          <span>DOB {thread.patient.date_of_birth}</span>
          <span>{thread.patient.location}</span>
          <span>Attending: {thread.patient.attending}</span>
        </section>
      )}
      <VirtualList
        rows={rows}
        resetKey={thread.id}
        label="Messages"
        onNearTop={() => void store.loadOlder(thread.id)}
        render={(row) => {
          if (row.type === 'top') {
            return (
              <p class="history-edge muted small">
                {state.reachedStart ? 'Beginning of the conversation' : state.loadingOlder ? 'Loading earlier messages…' : 'Scroll up for earlier messages'}
              </p>
            );
          }
          if (row.type === 'pending') return <OutboxBubble store={store} entry={row.entry} />;
          return <Bubble store={store} state={state} message={row.message} onDetail={setDetailId} />;
        }}
      />
      <p class="typing muted small" aria-live="polite">
        {typing.length > 0 ? `${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…` : ''}
      </p>
      {removal ? (
        <p class="removed-notice" role="status">
          {removal}
        </p>
      ) : (
        <Composer key={thread.id} store={store} threadId={thread.id} />
      )}
      {showInfo && <GroupInfo store={store} state={state} onClose={() => setShowInfo(false)} />}
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

function Bubble(props: { store: AppStore; state: ThreadState; message: MessageEvent; onDetail: (id: number) => void }) {
  const { store, state, message } = props;
  const own = message.sender_id === store.selfId;
  const showSender = !own && state.thread.kind !== 'direct';
  const content = (
    <>
      {showSender && <span class="sender">{store.userName(message.sender_id)}</span>}
      {message.urgent && <span class="tag urgent-tag">Urgent</span>}
      <span class="body">{message.body}</span>
    </>
  );
  if (!own) {
    return (
      <div class={'message theirs' + (message.urgent ? ' urgent' : '')} data-message-id={message.id} data-seq={message.seq}>
        <div class="bubble">
          {content}
          <span class="meta">{sentTimes(message)}</span>
        </div>
      </div>
    );
  }
  const summary = summarize(store.recipientStatuses(state, message));
  const label = summaryLabel(summary);
  return (
    <div class={'message own' + (message.urgent ? ' urgent' : '')} data-message-id={message.id} data-seq={message.seq}>
      <button type="button" class="bubble" onClick={() => props.onDetail(message.id)} aria-haspopup="dialog">
        {content}
        <span class="meta">
          {sentTimes(message).startsWith('written') ? '' : <span class="visually-hidden">Sent </span>}
          {sentTimes(message)} · <span class={'status status-' + summary.stage} data-status={summary.stage}>{label}</span>
          <span class="visually-hidden">. Show delivery details</span>
        </span>
      </button>
    </div>
  );
}

function Composer(props: { store: AppStore; threadId: number }) {
  const { store, threadId } = props;
  const [text, setText] = useState('');
  const [urgent, setUrgent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  // One composer per thread (keyed by it), so a draft never carries over to another
  // thread, not even for the moment an effect would take to clear it.
  useEffect(() => {
    if (window.matchMedia('(min-width: 768px)').matches) input.current?.focus();
  }, []);

  async function submit() {
    // The field itself: what was typed an instant ago may not be rendered into `text` yet.
    const body = (input.current?.value ?? text).trim();
    if (!body) return;
    if (new TextEncoder().encode(body).length > 4096) {
      setError('This message is too long: the limit is 4096 bytes.');
      return;
    }
    setError(null);
    setText('');
    setUrgent(false);
    try {
      await store.send(threadId, body, urgent);
    } catch (refused) {
      // Not stored (the outbox is full): the text goes back into the field.
      setText(body);
      setError((refused as Error).message);
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
      <div class="composer-row">
        <label class={'urgent-toggle' + (urgent ? ' on' : '')}>
          <input type="checkbox" checked={urgent} onChange={(e) => setUrgent((e.target as HTMLInputElement).checked)} />
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
          onInput={(e) => {
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
        <button type="submit" class="primary send-button" disabled={!text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
