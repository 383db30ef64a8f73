import { useEffect, useRef, useState } from 'preact/hooks';
import { closeNotifications, documentTitle, notify, playAlert, unlockAudio } from './lib/alerts';
import { attentionSounds } from './lib/attention';
import { deleteLocalData, LocalDataBlocked, MemoryStore, moveLegacyEntries, openLocalStore, sweepOtherStores, type LocalStore } from './lib/db';
import { openDrafts } from './lib/drafts';
import { savedPlace } from './lib/place';
import { Api } from './lib/http';
import { importStorageKey } from './lib/vault';
import { kActivityReportMs } from './lib/lock';
import { clearSession, isIdle, kIdleLimitMs, loadSession, saveSession, sessionEndReason, touchSession, updateSession, type Session } from './lib/session';
import { AppStore } from './lib/store';
import type { LoginAnswer, SessionState } from './lib/types';
import { LockScreen } from './ui/LockScreen';
import { Login } from './ui/Login';
import { PinPrompt, PinSetup } from './ui/PinSetup';
import { Shell } from './ui/Shell';
import { SignOutDialog } from './ui/SignOutDialog';

interface Running {
  session: Session;
  store: AppStore;
  local: LocalStore;
}

// What happens to the outbox at sign-out: kept sealed for the user's next sign-in on
// this browser, or deleted with the rest of her local data.
type OutboxChoice = 'keep' | 'discard';

// The user's own IndexedDB store, its text sealed with her storage key (fetched once
// per session). Without IndexedDB or the key (a private window, or offline with a
// session from before keys were kept) the outbox lives in memory only. Rejects with
// LocalDataBlocked when another tab keeps the database from opening.
async function openLocal(session: Session, api: Api): Promise<LocalStore> {
  let key: CryptoKey;
  try {
    if (!session.storageKey) {
      session.storageKey = await api.storageKey();
      saveSession(session);
    }
    key = await importStorageKey(session.storageKey);
  } catch {
    return new MemoryStore();
  }
  try {
    const local = await openLocalStore(session.user.id, key);
    // Entries an earlier version kept in its single database; a blocked move is retried
    // at the next sign-in.
    await moveLegacyEntries(session.user.id, local).catch(() => undefined);
    return local;
  } catch (error) {
    if (error instanceof LocalDataBlocked) throw error;
    return new MemoryStore();
  }
}

function keptText(count: number): string {
  const what = count === 1 ? 'Your unsent message is' : `Your ${count} unsent messages are`;
  return `${what} kept, sealed, on this browser and sent when you next sign in here.`;
}

export function App() {
  const [running, setRunning] = useState<Running | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [booting, setBooting] = useState(true);
  const [unsent, setUnsent] = useState(0);
  const [, setVersion] = useState(0);
  // The lock (lib/lock.ts): while locked only the lock screen is rendered.
  const [locked, setLocked] = useState(false);
  const lockedRef = useRef(false);
  const [arrivedWhileLocked, setArrivedWhileLocked] = useState(0);
  // The password of a sign-in without a PIN, in memory until a PIN is set or declined.
  const [pinPassword, setPinPassword] = useState<string | null>(null);
  const [settingPin, setSettingPin] = useState(false);

  function showLocked(value: boolean) {
    lockedRef.current = value;
    setLocked(value);
    updateSession({ locked: value });
    if (value) closeNotifications();
    else setArrivedWhileLocked(0);
  }

  async function begin(session: Session) {
    let ended = false;
    let store: AppStore | null = null;
    let local: LocalStore | null = null;
    const endSession = (message: string) => {
      if (ended) return;
      ended = true;
      // The server ended the session: keep the outbox (it is resent after the same
      // user signs in again) but forget the token.
      store?.stop();
      local?.close();
      clearSession();
      setRunning(null);
      setNotice(friendlyEnd(message));
    };
    const api = new Api(session.token, endSession, () => {
      store?.hold();
      if (!lockedRef.current) showLocked(true);
    });
    session.locked = session.locked || isIdle(session, Date.now());
    if (session.locked) showLocked(true);
    try {
      local = await openLocal(session, api);
    } catch (error) {
      // A step that cannot finish ends with its reason, never with a spinner.
      ended = true;
      await api.logout().catch(() => undefined);
      clearSession();
      setNotice((error as Error).message);
      return;
    }
    // Ended while the key was fetched (the token was refused): nothing to start.
    if (ended) return local.close();
    // Other users' data on this browser is never touched, only bounded (docs/web.md).
    void sweepOtherStores(session.user.id, Date.now()).catch(() => undefined);
    local.onLost((reason) => {
      if (ended) return;
      // A newer version of the app opened the database in another tab: load it too.
      if (reason === 'upgraded') return location.reload();
      // The same user signed out in another tab, which deleted her local data.
      ended = true;
      store?.stop();
      void api.logout().catch(() => undefined);
      clearSession();
      setRunning(null);
      setUnsent(0);
      setNotice('You signed out in another tab of this browser.');
    });
    const running: AppStore = new AppStore(session.user, {
      api,
      token: session.token,
      local,
      socketUrl: `wss://${location.host}/api/v1/ws`,
      onSessionEnded: endSession,
      // An admin changed the org's idle lock: it applies here at once.
      onOrgChanged: () => {
        void api
          .session()
          .then((state) => {
            session.idleLockMs = state.idle_lock_seconds * 1000;
            updateSession({ idleLockMs: session.idleLockMs });
            setVersion((v) => v + 1);
          })
          .catch(() => undefined);
      },
      // Nothing counts as seen while the app is locked.
      isVisible: () => !lockedRef.current && document.visibilityState === 'visible',
      alerts: {
        incoming(message, senderName, threadVisible) {
          if (!threadVisible) playAlert(message.urgent);
          if (lockedRef.current) {
            setArrivedWhileLocked((count) => count + 1);
            notify(null, message.urgent, message.thread_id, () => {});
          } else if (document.visibilityState !== 'visible') {
            notify(senderName, message.urgent, message.thread_id, (id) => void running.openThread(id));
          }
        },
        attention(kind) {
          if (attentionSounds(kind)) playAlert(true);
        },
      },
    });
    store = running;
    running.drafts = await openDrafts(session.user.id, session.storageKey);
    // A reload returns to the thread that was open.
    running.selectedThreadId = savedPlace(session.user.id)?.threadId ?? null;
    running.subscribe(() => setVersion((v) => v + 1));
    if (!navigator.onLine) running.setNetwork(false);
    // Locked, it still connects and receives; what a locked session may not ask for
    // waits for the unlock.
    if (session.locked) running.hold();
    await running.start();
    setRunning({ session, store: running, local });
  }

  useEffect(() => {
    const check = loadSession(Date.now());
    if ('session' in check) void begin(check.session).finally(() => setBooting(false));
    else {
      if ('ended' in check) setNotice(check.ended);
      setBooting(false);
    }
  }, []);

  // Network, visibility, activity and the idle sign-out.
  useEffect(() => {
    if (!running) return;
    const { store } = running;
    const online = () => store.setNetwork(true);
    const offline = () => store.setNetwork(false);
    const visible = () => {
      if (!lockedRef.current && store.selectedThreadId !== null) store.markRead(store.selectedThreadId);
    };
    let lastTouch = 0;
    let lastReport = Date.now();
    const activity = () => {
      unlockAudio();
      // Typing a PIN on the lock screen is not activity: only the unlock is.
      if (lockedRef.current) return;
      const now = Date.now();
      if (now - lastTouch > 10_000) {
        lastTouch = now;
        running.session.lastActivity = now;
        touchSession(now);
      }
      if (now - lastReport > kActivityReportMs) {
        lastReport = now;
        void store.api.activity().catch(() => {});
      }
    };
    const idleCheck = setInterval(() => {
      const reason = sessionEndReason(running.session, Date.now());
      if (reason) void signOutKeeping(reason);
      else if (!lockedRef.current && isIdle(running.session, Date.now())) lock();
    }, 15_000);
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    document.addEventListener('visibilitychange', visible);
    window.addEventListener('pointerdown', activity, true);
    window.addEventListener('keydown', activity, true);
    return () => {
      clearInterval(idleCheck);
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      document.removeEventListener('visibilitychange', visible);
      window.removeEventListener('pointerdown', activity, true);
      window.removeEventListener('keydown', activity, true);
    };
  }, [running]);

  const unread = running ? running.store.totalUnread() : 0;
  useEffect(() => {
    document.title = documentTitle(unread, locked);
  }, [unread, locked]);

  // Locks now: the server refuses the session everything but an unlock from here on.
  function lock() {
    if (!running || lockedRef.current) return;
    running.store.hold();
    showLocked(true);
    void running.store.api.lock().catch(() => {});
  }

  function onUnlocked(state: SessionState) {
    if (!running) return;
    const now = Date.now();
    running.session.lastActivity = now;
    running.session.hasPin = state.has_pin;
    touchSession(now);
    showLocked(false);
    running.store.release();
  }

  async function onSignedIn(answer: LoginAnswer, password: string) {
    const session: Session = {
      token: answer.token,
      user: answer.user,
      deviceId: answer.device_id,
      expiresAt: answer.expires_at,
      lastActivity: Date.now(),
      idleLockMs: answer.idle_lock_seconds * 1000,
      hasPin: answer.has_pin,
      locked: false,
    };
    saveSession(session);
    setNotice(null);
    setPinPassword(answer.has_pin ? null : password);
    await begin(session);
  }

  // Signing out asks first when messages are still unsent (or failed): they are never
  // dropped without the user saying so.
  async function requestSignOut() {
    if (!running) return;
    const { store, local, session } = running;
    const stored = await local.outboxAll(session.user.id).catch(() => []);
    const queued = Math.max(stored.length, store.outbox.all().length);
    if (queued > 0) setUnsent(queued);
    else await signOut('You are signed out.', 'discard');
  }

  // A sign-out nobody can be asked about (the session's end, or from the lock screen,
  // where whoever is at the screen may not be the author): unsent messages are kept
  // for her next sign-in.
  function signOutKeeping(reason: string) {
    const queued = running?.store.outbox.all().length ?? 0;
    return signOut(queued > 0 ? `${reason} ${keptText(queued)}` : reason, queued > 0 ? 'keep' : 'discard');
  }

  // Sign-out: end the session on the server, then remove every local trace, except an
  // outbox the user chose to keep (sealed, with her cursor; the cache goes).
  async function signOut(reason: string | null, outbox: OutboxChoice) {
    if (!running) return;
    const { store, local, session } = running;
    setRunning(null);
    setUnsent(0);
    setPinPassword(null);
    setSettingPin(false);
    showLocked(false);
    try {
      await store.api.logout();
    } catch {
      // The token is dropped either way.
    }
    store.stop();
    if (outbox === 'keep') await local.cacheClear().catch(() => undefined);
    local.close();
    clearSession();
    if (outbox === 'discard') await deleteLocalData(session.user.id);
    if ('serviceWorker' in navigator) {
      const registration = await navigator.serviceWorker.getRegistration();
      for (const n of (await registration?.getNotifications()) ?? []) n.close();
    }
    setNotice(reason);
  }

  if (booting) return <p class="boot muted">Loading…</p>;
  if (!running) return <Login notice={notice} onSignedIn={onSignedIn} />;
  if (locked) {
    return (
      <LockScreen
        api={running.store.api}
        user={running.session.user.display_name}
        hasPin={running.session.hasPin}
        arrived={arrivedWhileLocked}
        onUnlocked={onUnlocked}
        onSignOut={() => void signOutKeeping('You are signed out.')}
      />
    );
  }
  if (pinPassword !== null && settingPin) {
    return (
      <PinSetup
        api={running.store.api}
        password={pinPassword}
        idleMinutes={Math.round(running.session.idleLockMs / 60_000)}
        onDone={(pinSet) => {
          setSettingPin(false);
          setPinPassword(null);
          if (pinSet) {
            running.session.hasPin = true;
            updateSession({ hasPin: true });
          }
        }}
      />
    );
  }
  return (
    <>
      <Shell
        store={running.store}
        user={running.session.user.display_name}
        banner={pinPassword !== null ? <PinPrompt onSet={() => setSettingPin(true)} onDecline={() => setPinPassword(null)} /> : null}
        onLock={lock}
        onSignOut={() => void requestSignOut()}
      />
      {unsent > 0 && (
        <SignOutDialog
          count={unsent}
          onKeep={() => void signOut(`You are signed out. ${keptText(unsent)}`, 'keep')}
          onDiscard={() => void signOut(`You are signed out. ${unsent === 1 ? 'The unsent message was' : 'The unsent messages were'} discarded.`, 'discard')}
          onCancel={() => setUnsent(0)}
        />
      )}
    </>
  );
}

function friendlyEnd(message: string): string {
  if (message.includes('expired')) return 'Your session expired. Sign in again.';
  if (message.includes('disabled')) return 'This account is disabled. Contact your administrator.';
  return 'Your session ended. Sign in again.';
}

export { kIdleLimitMs };
