import { useState } from 'preact/hooks';
import { ApiError, login } from '../lib/http';
import { loginErrorText } from '../lib/session';
import type { LoginAnswer } from '../lib/types';

// onSignedIn starts the app (the password is kept in memory only, for the PIN screen
// that may follow); if it cannot (its notice says why), the form is ready again.
export function Login(props: { notice: string | null; onSignedIn: (answer: LoginAnswer, password: string) => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await login(username.trim(), password, deviceName());
      setPassword('');
      await props.onSignedIn(answer, password);
      setBusy(false);
    } catch (caught) {
      const e = caught instanceof ApiError ? caught : new ApiError(0, 'network', 'Signing in failed.');
      setError(loginErrorText(e.status, e.code, e.message));
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} noValidate>
        <div class="brand" aria-hidden="true">
          <img src="/icon.svg" alt="" width="56" height="56" />
        </div>
        <h1>Wardline</h1>
        <p class="muted">Secure messaging for clinical teams</p>
        {props.notice && !error && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        {error && (
          <p class="error" role="alert" id="login-error">
            {error}
          </p>
        )}
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
          aria-describedby={error ? 'login-error' : undefined}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const mobile = /Mobi|Android|iPhone/.test(ua);
  return mobile ? 'Web app (phone)' : 'Web app (desktop)';
}
