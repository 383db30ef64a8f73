import { useState } from 'preact/hooks';
import type { Api } from '../lib/http';
import { pinErrorText, pinProblem, withTimeout } from '../lib/lock';

// Offered right after a sign-in without a PIN (PinPrompt, above the conversations):
// the PIN unlocks the app when it locks after the org's idle time or from the Lock
// button. Setting it takes the password the user just signed in with (kept in memory
// until the PIN is set or declined). "Not now" is allowed: without a PIN the password
// unlocks instead (docs/security.md).
export function PinSetup(props: { api: Api; password: string; idleMinutes: number; onDone: (pinSet: boolean) => void }) {
  const [pin, setPin] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const problem = pinProblem(pin) ?? (pin !== repeat ? 'The two PINs are not the same.' : null);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await withTimeout(props.api.setPin(props.password, pin));
      props.onDone(true);
    } catch (caught) {
      setError(pinErrorText(caught));
      setBusy(false);
    }
  }

  return (
    <main class="login pin-setup">
      <form class="login-card" onSubmit={submit} noValidate>
        <h1>Set an unlock PIN</h1>
        <p class="muted">
          Wardline locks after {props.idleMinutes} minutes without use, or when you press Lock. Your PIN unlocks it: 6 to
          12 digits, not a simple pattern.
        </p>
        {error && (
          <p class="error" role="alert" id="pin-error">
            {error}
          </p>
        )}
        <label for="new-pin">New PIN</label>
        <input
          id="new-pin"
          type="password"
          inputMode="numeric"
          autocomplete="off"
          value={pin}
          onInput={(e) => setPin((e.target as HTMLInputElement).value)}
          aria-describedby={error ? 'pin-error' : undefined}
        />
        <label for="repeat-pin">Repeat the PIN</label>
        <input
          id="repeat-pin"
          type="password"
          inputMode="numeric"
          autocomplete="off"
          value={repeat}
          onInput={(e) => setRepeat((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Setting the PIN…' : 'Set PIN'}
        </button>
        <p class="lock-actions">
          <button type="button" class="link-button" onClick={() => props.onDone(false)}>
            Not now
          </button>
        </p>
      </form>
    </main>
  );
}

// The offer itself: it does not block the app, so a clinician signing in to answer a
// page can set the PIN afterwards.
export function PinPrompt(props: { onSet: () => void; onDecline: () => void }) {
  return (
    <section class="pin-prompt" aria-label="Unlock PIN">
      <p>Set a PIN to unlock Wardline quickly when it locks.</p>
      <p class="lock-actions">
        <button type="button" class="primary small-button" onClick={props.onSet}>
          Set a PIN
        </button>
        <button type="button" class="link-button" onClick={props.onDecline}>
          Not now
        </button>
      </p>
    </section>
  );
}
