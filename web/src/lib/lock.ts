import { ApiError, type Api } from './http';
import { loginErrorText } from './session';

// The lock that replaces the idle sign-out (docs/security.md, "Automatic logoff"):
// after the org's idle time without the user's input, or on the Lock button, the app
// shows only the lock screen while its connection keeps receiving; the user's PIN or
// password unlocks it, checked by the server.

// How long an unlock or a PIN change may take before the screen says so: a request
// the network swallowed must never leave a spinner behind.
export const kSecretCheckTimeoutMs = 15_000;
// The user's input is reported to the server at most this often.
export const kActivityReportMs = 60_000;

// The PIN rules of PUT /api/v1/me/pin, checked before asking the server: 6 to 12
// digits, not a repeated digit or short block (000000, 121212, 123123), not a run up
// or down (123456, 987654). Returns what is wrong, or null.
export function pinProblem(pin: string): string | null {
  if (!/^[0-9]{6,12}$/.test(pin)) return 'Use 6 to 12 digits.';
  for (let block = 1; block <= 3; block++) {
    let repeats = true;
    for (let i = block; i < pin.length && repeats; i++) repeats = pin[i] === pin[i - block];
    if (repeats) return 'That PIN is too easy to guess: avoid repeated digits and patterns.';
  }
  for (const step of [1, 9]) {
    let runs = true;
    for (let i = 1; i < pin.length && runs; i++) runs = (Number(pin[i - 1]) + step) % 10 === Number(pin[i]);
    if (runs) return 'That PIN is too easy to guess: avoid runs such as 123456.';
  }
  return null;
}

// The promise, or a rejection once `ms` have passed without an answer.
export function withTimeout<T>(promise: Promise<T>, ms = kSecretCheckTimeoutMs): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function triesLeft(count: number): string {
  return count === 1 ? '1 try left' : `${count} tries left`;
}

// What the lock screen says after a refused unlock. A wrong PIN asks the server how
// many tries are left (GET /api/v1/session) rather than reading its message.
export async function unlockErrorText(error: unknown, method: 'pin' | 'password', api: Api): Promise<string> {
  if (!(error instanceof ApiError)) return 'The server did not answer. Check the connection and try again.';
  if (error.code === 'network') return error.message;
  if (error.status === 403 && method === 'pin') {
    try {
      return `Wrong PIN: ${triesLeft((await withTimeout(api.session())).pin_tries_left)}.`;
    } catch {
      return 'Wrong PIN.';
    }
  }
  if (error.status === 403) return 'Wrong password.';
  if (error.status === 412) return 'Too many wrong PINs. Unlock with your password.';
  if (error.status === 429) return loginErrorText(error.status, error.code, error.message);
  if (error.status === 401) return 'Your session ended. Sign in again.';
  return 'Unlocking failed. Try again in a moment.';
}

// What the PIN screen says after a refused PIN change.
export function pinErrorText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'The server did not answer. Check the connection and try again.';
  if (error.code === 'network') return error.message;
  if (error.status === 400) return error.message.charAt(0).toUpperCase() + error.message.slice(1) + '.';
  if (error.status === 403) return 'Your password was not accepted. Set the PIN after your next sign-in.';
  if (error.status === 429) return loginErrorText(error.status, error.code, error.message);
  return 'Setting the PIN failed. Try again in a moment.';
}
