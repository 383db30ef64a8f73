import { useEffect, useRef, useState } from 'preact/hooks';
import { closeNotifications, documentTitle, notify, playAlert, unlockAudio } from './lib/alerts';
import { deleteLocalData, MemoryStore, openLocalStore, type LocalStore } from './lib/db';
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

interface Running {
  session: Session;
  store: AppStore;
  local: LocalStore;
  // False while a session that started locked waits for its unlock: it loads nothing
  // the server would refuse.
  started: boolean;
}

// The session's IndexedDB store, its text sealed with the user's storage key (fetched
// once per session). Without IndexedDB or the key (a private window, or offline with a
// session from before keys were kept) the outbox lives in memory only.
async function openLocal(session: Session, api: Api): Promise<LocalStore> {
  try {
    if (!session.storageKey) {
      session.storageKey = await api.storageKey();
      saveSession(session);
    }
    return await openLocalStore(await importStorageKey(session.storageKey));
  } catch {
    return new MemoryStore();
  }
}

export function App() {
  const [running, setRunning] = useState<Running | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [booting, setBooting] = useState(true);
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
      if (!lockedRef.current) showLocked(true);
    });
    session.locked = session.locked || isIdle(session, Date.now());
    if (session.locked) showLocked(true);
    local = await openLocal(session, api);
    // Data of another user never stays: a different sign-in starts from nothing.
    const owner = await local.owner();
    if (owner !== null && owner !== session.user.id) {
      local.close();
      await deleteLocalData();
      local = await openLocal(session, api);
    }
    // Ended while the key was fetched (the token was refused): nothing to start.
    if (ended) return local.close();
    await local.setOwner(session.user.id);
    const running: AppStore = new AppStore(session.user, {
      api,
      token: session.token,
      local,
      socketUrl: `wss://${location.host}/api/v1/ws`,
      onSessionEnded: endSession,
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
      },
    });
    store = running;
    running.subscribe(() => setVersion((v) => v + 1));
    if (!session.locked) await running.start();
    if (!navigator.onLine) running.setNetwork(false);
    setRunning({ session, store: running, local, started: !session.locked });
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
      if (reason) void signOut(reason);
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
    if (!running.started) {
      running.started = true;
      void running.store.start();
    } else if (running.store.selectedThreadId !== null) {
      running.store.markRead(running.store.selectedThreadId);
    }
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

  // Sign-out: end the session on the server, then remove every local trace.
  async function signOut(reason: string | null) {
    if (!running) return;
    const { store, local } = running;
    setRunning(null);
    setPinPassword(null);
    setSettingPin(false);
    showLocked(false);
    try {
      await store.api.logout();
    } catch {
      // The token is dropped either way.
    }
    store.stop();
    local.close();
    clearSession();
    await deleteLocalData();
    if ('serviceWorker' in navigator) {
      const registration = await navigator.serviceWorker.getRegistration();
      for (const n of (await registration?.getNotifications()) ?? []) n.close();
    }
    setNotice(reason);
  }

  if (booting) return <p class="boot muted">Loading…</p>;
  if (!running) return <Login notice={notice} onSignedIn={(answer, password) => void onSignedIn(answer, password)} />;
  if (locked) {
    return (
      <LockScreen
        api={running.store.api}
        user={running.session.user.display_name}
        hasPin={running.session.hasPin}
        arrived={arrivedWhileLocked}
        onUnlocked={onUnlocked}
        onSignOut={() => void signOut('You are signed out.')}
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
    <Shell
      store={running.store}
      user={running.session.user.display_name}
      banner={pinPassword !== null ? <PinPrompt onSet={() => setSettingPin(true)} onDecline={() => setPinPassword(null)} /> : null}
      onLock={lock}
      onSignOut={() => void signOut('You are signed out.')}
    />
  );
}

function friendlyEnd(message: string): string {
  if (message.includes('expired')) return 'Your session expired. Sign in again.';
  if (message.includes('disabled')) return 'This account is disabled. Contact your administrator.';
  return 'Your session ended. Sign in again.';
}

export { kIdleLimitMs };
