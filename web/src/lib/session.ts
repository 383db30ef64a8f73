import { timeOfDay } from './format';
import { clearPlace } from './place';
import type { User } from './types';

// The signed-in session, kept in sessionStorage: it survives a reload of the tab and
// ends with the tab. It holds the bearer token, the user's own directory entry, the
// session's lock and the key that seals the outbox in IndexedDB (so a reload while
// offline can still read it), never patient data or message text.

export interface Session {
  token: string;
  user: User;
  deviceId: number;
  expiresAt: string;
  lastActivity: number;
  // The org's idle time: after it without the user's input the app locks.
  idleLockMs: number;
  hasPin: boolean;
  // Locked (docs/security.md, "Automatic logoff"): a reload comes back locked.
  locked: boolean;
  // GET /api/v1/me/storage-key; missing until fetched.
  storageKey?: string;
}

const kKey = 'wardline.session';
// The idle time when the server does not say (it always does since sessions lock).
export const kIdleLimitMs = 30 * 60 * 1000;

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(kKey, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(kKey);
  clearPlace(storage);
}

export type SessionCheck = { session: Session } | { ended: string } | { none: true };

// The stored session if it is still usable at `now`; otherwise why it ended.
export function loadSession(now: number, storage: Storage = sessionStorage): SessionCheck {
  const raw = storage.getItem(kKey);
  if (!raw) return { none: true };
  let session: Session;
  try {
    session = JSON.parse(raw) as Session;
  } catch {
    storage.removeItem(kKey);
    return { none: true };
  }
  const ended = sessionEndReason(session, now);
  if (ended) {
    storage.removeItem(kKey);
    return { ended };
  }
  return { session };
}

// Idle time no longer ends a session, it locks it (isIdle); only the absolute
// lifetime ends one here.
export function sessionEndReason(session: Session, now: number): string | null {
  if (Date.parse(session.expiresAt) <= now) return 'Your session expired. Sign in again.';
  return null;
}

// Whether the session has gone its org's idle time without the user's input.
export function isIdle(session: Session, now: number): boolean {
  return now - session.lastActivity >= (session.idleLockMs || kIdleLimitMs);
}

export function updateSession(change: Partial<Session>, storage: Storage = sessionStorage): void {
  const raw = storage.getItem(kKey);
  if (!raw) return;
  try {
    storage.setItem(kKey, JSON.stringify({ ...(JSON.parse(raw) as Session), ...change }));
  } catch {
    // A damaged entry is dropped at the next load.
  }
}

export function touchSession(now: number, storage: Storage = sessionStorage): void {
  updateSession({ lastActivity: now }, storage);
}

// Turns a login error into what the sign-in screen shows.
export function loginErrorText(status: number, code: string, message: string): string {
  if (code === 'network') return message;
  if (status === 401) return 'Wrong username or password.';
  if (status === 403) return 'This account is disabled. Contact your administrator.';
  if (status === 429 && message.includes('locked until')) {
    const until = message.slice(message.indexOf('locked until') + 'locked until'.length).trim();
    const time = Date.parse(until);
    const when = Number.isNaN(time) ? until : timeOfDay(time);
    return `Too many failed attempts: this account is locked until ${when}.`;
  }
  if (status === 429) return 'Too many sign-in attempts. Wait a moment and try again.';
  if (status === 400) return 'Enter your username and password.';
  return 'Signing in failed. Try again in a moment.';
}
