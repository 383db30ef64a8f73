import { useEffect, useState } from 'preact/hooks';
import { documentTitle, notify, playAlert, unlockAudio } from './lib/alerts';
import { deleteLocalData, MemoryStore, openLocalStore, type LocalStore } from './lib/db';
import { openDrafts } from './lib/drafts';
import { savedPlace } from './lib/place';
import { Api } from './lib/http';
import { importStorageKey } from './lib/vault';
import { clearSession, kIdleLimitMs, loadSession, saveSession, sessionEndReason, touchSession, type Session } from './lib/session';
import { AppStore } from './lib/store';
import type { LoginAnswer } from './lib/types';
import { Login } from './ui/Login';
import { Shell } from './ui/Shell';

interface Running {
  session: Session;
  store: AppStore;
  local: LocalStore;
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
    const api = new Api(session.token, endSession);
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
      alerts: {
        incoming(message, senderName, threadVisible) {
          if (!threadVisible) playAlert(message.urgent);
          if (document.visibilityState !== 'visible') {
            notify(senderName, message.urgent, message.thread_id, (id) => void running.openThread(id));
          }
        },
      },
    });
    store = running;
    running.drafts = await openDrafts(session.user.id, session.storageKey);
    // A reload returns to the thread that was open.
    running.selectedThreadId = savedPlace(session.user.id)?.threadId ?? null;
    running.subscribe(() => setVersion((v) => v + 1));
    await running.start();
    if (!navigator.onLine) running.setNetwork(false);
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
      if (store.selectedThreadId !== null) store.markRead(store.selectedThreadId);
    };
    let lastTouch = 0;
    const activity = () => {
      unlockAudio();
      const now = Date.now();
      if (now - lastTouch > 10_000) {
        lastTouch = now;
        running.session.lastActivity = now;
        touchSession(now);
      }
    };
    const idleCheck = setInterval(() => {
      const reason = sessionEndReason(running.session, Date.now());
      if (reason) void signOut(reason);
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
    document.title = documentTitle(unread);
  }, [unread]);

  async function onSignedIn(answer: LoginAnswer) {
    const session: Session = {
      token: answer.token,
      user: answer.user,
      deviceId: answer.device_id,
      expiresAt: answer.expires_at,
      lastActivity: Date.now(),
    };
    saveSession(session);
    setNotice(null);
    await begin(session);
  }

  // Sign-out: end the session on the server, then remove every local trace.
  async function signOut(reason: string | null) {
    if (!running) return;
    const { store, local } = running;
    setRunning(null);
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
  if (!running) return <Login notice={notice} onSignedIn={(answer) => void onSignedIn(answer)} />;
  return <Shell store={running.store} user={running.session.user.display_name} onSignOut={() => void signOut('You are signed out.')} />;
}

function friendlyEnd(message: string): string {
  if (message.includes('expired')) return 'Your session expired. Sign in again.';
  if (message.includes('inactivity')) return 'You were signed out after 30 minutes without activity. Sign in again.';
  if (message.includes('disabled')) return 'This account is disabled. Contact your administrator.';
  return 'Your session ended. Sign in again.';
}

export { kIdleLimitMs };
