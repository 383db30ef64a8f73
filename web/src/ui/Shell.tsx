import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { notificationsSupported } from '../lib/alerts';
import type { AppStore } from '../lib/store';
import { AttentionBanners } from './AttentionBanners';
import { AvailabilityDialog } from './AvailabilityDialog';
import { CallbackDialog } from './CallbackDialog';
import { DirectoryDialog } from './DirectoryDialog';
import { MessageSearch } from './MessageSearch';
import { NewConversation } from './NewConversation';
import { ProviderDirectory } from './ProviderDirectory';
import { ScreeningDialog } from './ScreeningDialog';
import { ShiftSignIn } from './ShiftSignIn';
import { ThreadList } from './ThreadList';
import { ThreadView } from './ThreadView';
import { WeekSchedule } from './WeekSchedule';

const kConnectionText: Record<string, string> = {
  offline: 'Offline: messages will be sent when the network returns',
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  live: '',
  stopped: 'Disconnected',
};

// Scrolls a search hit's message into view once its conversation shows it, and marks it
// for a moment; gives up after 3 s (a message older than the loaded history).
function revealMessage(messageId: number, tries = 30): void {
  const element = document.querySelector<HTMLElement>(`.thread-pane [data-message-id="${messageId}"]`);
  if (element) {
    element.scrollIntoView({ block: 'center' });
    element.classList.add('search-target');
    setTimeout(() => element.classList.remove('search-target'), 3000);
    return;
  }
  if (tries > 0) setTimeout(() => revealMessage(messageId, tries - 1), 100);
}

// banner: an offer shown above the conversations (the unlock PIN's), or null.
export function Shell(props: { store: AppStore; user: string; banner?: JSX.Element | null; onLock: () => void; onSignOut: () => void }) {
  const { store } = props;
  const [creating, setCreating] = useState(false);
  const [routing, setRouting] = useState<'availability' | 'sign-in' | 'schedule' | 'screening' | 'providers' | 'directory' | 'search' | 'callback' | null>(null);
  const [permission, setPermission] = useState(notificationsSupported() ? Notification.permission : 'denied');
  const selected = store.selectedThreadId === null ? undefined : store.threads.get(store.selectedThreadId);

  // In-app navigation: opening a thread pushes a history entry with no URL change, so
  // the phone's back gesture returns to the list. Nothing about the thread goes in the URL.
  useEffect(() => {
    const onPop = () => store.closeThread();
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [store]);

  function open(threadId: number) {
    if ((history.state as { wardline?: string } | null)?.wardline !== 'thread') history.pushState({ wardline: 'thread' }, '');
    void store.openThread(threadId);
  }

  function back() {
    if ((history.state as { wardline?: string } | null)?.wardline === 'thread') history.back();
    else store.closeThread();
  }

  const status = store.connection === 'live' && store.syncing ? 'Syncing…' : kConnectionText[store.connection];
  // The screening list is offered while something waits for the user's decision as a
  // gatekeeper (GET /me does not say whom the user screens for).
  const screening = store.screening?.length ?? 0;
  return (
    <div class={'shell ' + (selected ? 'show-thread' : 'show-list')}>
      {/* Above both panes, so an open thread on a phone shows it too. */}
      <p class={'connection' + (status ? ' shown' : '')} role="status" data-connection={store.connection}>
        {status}
      </p>
      <AttentionBanners store={store} onOpen={open} />
      <aside class="sidebar" aria-label="Conversations">
        <header class="bar">
          <h1 class="app-title">Wardline</h1>
          <button type="button" class="lock-button" onClick={props.onLock} title="Lock Wardline (shared stations)">
            Lock
          </button>
          <button type="button" class="primary small-button" onClick={() => setCreating(true)}>
            New
          </button>
        </header>
        <div class="account muted small">
          <span>Signed in as {props.user}</span>
          <span class="account-actions">
            {permission === 'default' && (
              <button
                type="button"
                class="link-button"
                onClick={() => void Notification.requestPermission().then((p) => setPermission(p))}
              >
                Turn on notifications
              </button>
            )}
            <button type="button" class="link-button" onClick={() => setRouting('directory')} aria-haspopup="dialog">
              Directory
            </button>
            <button type="button" class="link-button" onClick={() => setRouting('search')} aria-haspopup="dialog">
              Search messages
            </button>
            <button type="button" class="link-button" onClick={() => setRouting('availability')} aria-haspopup="dialog">
              Availability
            </button>
            {(screening > 0 || routing === 'screening') && (
              <button type="button" class="link-button screening-button" onClick={() => setRouting('screening')} aria-haspopup="dialog">
                Screening
                {screening > 0 && (
                  <>
                    {' '}
                    <span class="badge" aria-hidden="true">
                      {screening}
                    </span>
                    <span class="visually-hidden">: {screening === 1 ? '1 message waits' : `${screening} messages wait`}</span>
                  </>
                )}
              </button>
            )}
            <button type="button" class="link-button" onClick={() => setRouting('sign-in')} aria-haspopup="dialog">
              Shift sign-in
            </button>
            <button type="button" class="link-button" onClick={() => setRouting('schedule')} aria-haspopup="dialog">
              Schedule
            </button>
            <button type="button" class="link-button" onClick={() => setRouting('providers')} aria-haspopup="dialog">
              Providers
            </button>
            <button type="button" class="link-button" onClick={() => setRouting('callback')} aria-haspopup="dialog">
              Call back &amp; notes
            </button>
            <button type="button" class="link-button" onClick={props.onSignOut}>
              Sign out
            </button>
          </span>
        </div>
        {props.banner}
        <ThreadList store={store} onOpen={open} />
      </aside>
      <main class="thread-pane">
        {selected ? (
          <ThreadView key={selected.thread.id} store={store} state={selected} onBack={back} />
        ) : (
          <div class="placeholder muted">
            <h2>No conversation open</h2>
            <p>Choose a conversation, or start one with “New”.</p>
          </div>
        )}
      </main>
      {routing === 'availability' && <AvailabilityDialog store={store} onClose={() => setRouting(null)} />}
      {routing === 'sign-in' && <ShiftSignIn store={store} onClose={() => setRouting(null)} />}
      {routing === 'schedule' && <WeekSchedule store={store} onClose={() => setRouting(null)} />}
      {routing === 'screening' && <ScreeningDialog store={store} onClose={() => setRouting(null)} />}
      {routing === 'providers' && <ProviderDirectory store={store} onClose={() => setRouting(null)} />}
      {routing === 'callback' && <CallbackDialog store={store} onClose={() => setRouting(null)} />}
      {routing === 'directory' && (
        <DirectoryDialog
          store={store}
          onClose={() => setRouting(null)}
          onOpened={(id) => {
            setRouting(null);
            open(id);
          }}
        />
      )}
      {routing === 'search' && (
        <MessageSearch
          store={store}
          onClose={() => setRouting(null)}
          onOpened={(threadId, messageId) => {
            setRouting(null);
            open(threadId);
            revealMessage(messageId);
          }}
        />
      )}
      {creating && (
        <NewConversation
          store={store}
          onClose={() => setCreating(false)}
          onOpened={(id) => {
            setCreating(false);
            open(id);
          }}
        />
      )}
    </div>
  );
}
