import { useState } from 'preact/hooks';
import { ApiError, type Api } from '../lib/http';
import { unlockErrorText, withTimeout } from '../lib/lock';
import type { SessionState } from '../lib/types';

// What a locked app shows, and all it shows: no conversation, message or patient is
// rendered behind it. The connection keeps receiving; `arrived` counts the messages
// that came since the lock, without saying anything about them.
export function LockScreen(props: {
  api: Api;
  user: string;
  hasPin: boolean;
  arrived: number;
  onUnlocked: (state: SessionState) => void;
  onSignOut: () => void;
}) {
  const [method, setMethod] = useState<'pin' | 'password'>(props.hasPin ? 'pin' : 'password');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function use(next: 'pin' | 'password') {
    setMethod(next);
    setSecret('');
    setError(null);
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (!secret) {
      setError(method === 'pin' ? 'Enter your PIN.' : 'Enter your password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const state = await withTimeout(props.api.unlock(method === 'pin' ? { pin: secret } : { password: secret }));
      props.onUnlocked(state);
    } catch (caught) {
      setSecret('');
      setError(await unlockErrorText(caught, method, props.api));
      if (caught instanceof ApiError && caught.status === 412) setMethod('password');
    } finally {
      setBusy(false);
    }
  }

  const label = method === 'pin' ? 'PIN' : 'Password';
  return (
    <main class="login lock-screen">
      <form class="login-card" onSubmit={submit} noValidate>
        <div class="brand" aria-hidden="true">
          <img src="/icon.svg" alt="" width="56" height="56" />
        </div>
        <h1>Wardline is locked</h1>
        <p class="muted">Signed in as {props.user}</p>
        {props.arrived > 0 && (
          <p class="notice" role="status">
            {props.arrived === 1 ? '1 new message' : `${props.arrived} new messages`}
          </p>
        )}
        {error && (
          <p class="error" role="alert" id="unlock-error">
            {error}
          </p>
        )}
        <label for="unlock-secret">{label}</label>
        <input
          id="unlock-secret"
          key={method}
          name={method}
          type="password"
          inputMode={method === 'pin' ? 'numeric' : undefined}
          autocomplete={method === 'pin' ? 'off' : 'current-password'}
          value={secret}
          onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
          aria-describedby={error ? 'unlock-error' : undefined}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
        <p class="lock-actions">
          {props.hasPin && method === 'pin' && (
            <button type="button" class="link-button" onClick={() => use('password')}>
              Use password instead
            </button>
          )}
          {props.hasPin && method === 'password' && (
            <button type="button" class="link-button" onClick={() => use('pin')}>
              Use PIN instead
            </button>
          )}
          <button type="button" class="link-button" onClick={props.onSignOut}>
            Sign out
          </button>
        </p>
      </form>
    </main>
  );
}
