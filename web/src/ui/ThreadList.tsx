import { splitQuote } from '../lib/compose';
import type { AppStore, ThreadState } from '../lib/store';
import { initials, mrnLabel, shortWhen } from '../lib/format';

const kPresenceText = { online: 'Online. ', offline: 'Offline. ', unknown: 'Presence unknown. ' };

export function ThreadList(props: { store: AppStore; onOpen: (threadId: number) => void }) {
  const { store } = props;
  const list = store.threadList();
  return (
    <>
      {!store.ready && (
        <p class="empty muted">{store.connection === 'offline' ? 'Offline: no conversations are kept on this device yet.' : 'Loading conversations…'}</p>
      )}
      {store.ready && list.length === 0 && <p class="empty muted">No conversations yet. Start one with “New”.</p>}
      <ul class="thread-list" aria-label="Conversations">
        {list.map((state) => (
          <ThreadItem key={state.thread.id} store={store} state={state} onOpen={props.onOpen} />
        ))}
      </ul>
    </>
  );
}

function ThreadItem(props: { store: AppStore; state: ThreadState; onOpen: (threadId: number) => void }) {
  const { store, state } = props;
  const thread = state.thread;
  const title = store.threadTitle(thread);
  const people = store.threadPeople(thread);
  const others = store.otherMembers(thread);
  const peer = (thread.kind === 'direct' || thread.kind === 'patient') && others.length === 1 ? store.users.get(others[0]) : undefined;
  const last = thread.last_message;
  const pending = store.outbox.forThread(thread.id);
  const latestBody = pending.length > 0 ? pending[pending.length - 1].body : last?.body ?? '';
  // A reply previews its own text, not the quote it starts with.
  const preview = splitQuote(latestBody)?.text ?? latestBody;
  const fromSelf = pending.length > 0 || last?.sender_id === store.selfId;
  const selected = store.selectedThreadId === thread.id;
  return (
    <li>
      <button
        type="button"
        class={'thread-item' + (selected ? ' selected' : '') + (thread.unread_count > 0 ? ' unread' : '')}
        aria-current={selected ? 'true' : undefined}
        data-thread-id={thread.id}
        onClick={() => props.onOpen(thread.id)}
      >
        <span class={'avatar kind-' + thread.kind} aria-hidden="true">
          {thread.kind === 'group' ? '#' : initials(title)}
          {peer && <span class={'presence-dot ' + store.presence(peer.id)} />}
        </span>
        <span class="thread-main">
          <span class="thread-top">
            <span class="thread-title">
              {title}
              {people && <span class="thread-people"> · {people}</span>}
            </span>
            {last && <span class="thread-time">{shortWhen(last.at)}</span>}
          </span>
          {thread.patient && (
            <span class="thread-patient">
              <span class="tag patient-tag">Patient</span>{' '}
              {thread.title && (
                <>
                  <span class="thread-patient-name">{thread.patient.name}</span>{' '}
                </>
              )}
              <span class="thread-mrn">{mrnLabel(thread.patient.mrn)}</span>
            </span>
          )}
          <span class="thread-bottom">
            <span class="thread-preview">
              {peer && <span class="visually-hidden">{kPresenceText[store.presence(peer.id)]}</span>}
              {fromSelf && preview ? 'You: ' : ''}
              {preview || (thread.kind === 'group' ? `${thread.member_ids.length} members` : 'No messages yet')}
            </span>
            {state.removedBy !== null && <span class="tag">Removed</span>}
            {thread.has_unread_urgent && <span class="tag urgent-tag">Urgent</span>}
            {thread.unread_count > 0 && (
              <span class="badge" aria-label={`${thread.unread_count} unread`}>
                {thread.unread_count}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}
