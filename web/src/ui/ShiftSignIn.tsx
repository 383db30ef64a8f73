import { useEffect, useState } from 'preact/hooks';
import { searchDirectory } from '../lib/directory';
import { timeOfDay } from '../lib/format';
import { ApiError } from '../lib/http';
import type { AppStore } from '../lib/store';
import type { SignIn } from '../lib/types';
import { Dialog } from './Dialog';
import { holdersText } from './NewConversation';

// Shift sign-in (docs/routing.md, "Who holds a role"): the roles and units the user is
// signed in to, with sign-out and hand-over to a colleague, and the others to sign in to.
export function ShiftSignIn(props: { store: AppStore; onClose: () => void }) {
  const { store } = props;
  const [signIns, setSignIns] = useState<SignIn[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);

  async function load() {
    try {
      const [mine] = await Promise.all([store.api.signIns(store.selfId), store.refreshRoles()]);
      setSignIns(mine);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'The roles could not be loaded.');
    }
  }

  // Again whenever who holds a role changes, here or elsewhere.
  useEffect(() => {
    void load();
  }, [store.rolesStamp]);

  async function act(action: () => Promise<void>, said: string) {
    setError(null);
    setDone('');
    setBusy(true);
    try {
      await action();
      setDone(said);
      await load();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    } finally {
      setBusy(false);
    }
  }

  const held = new Set(signIns?.map((s) => s.role_id) ?? []);
  const roles = [...(store.roles?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <Dialog title="Shift sign-in" onClose={props.onClose} wide>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted small" role="status">
        {done}
      </p>
      <h3 class="list-heading">You are signed in to</h3>
      {signIns === null && !error && <p class="muted">Loading…</p>}
      {signIns?.length === 0 && <p class="muted">No role or unit.</p>}
      <ul class="pick-list sign-in-list" aria-label="Your sign-ins">
        {signIns?.map((signIn) => (
          <SignedIn key={signIn.role_id} store={store} signIn={signIn} busy={busy} onAct={act} />
        ))}
      </ul>
      <h3 class="list-heading">Sign in to a role or unit</h3>
      <ul class="pick-list" aria-label="Roles and units">
        {roles
          .filter((role) => !held.has(role.id))
          .map((role) => (
            <li key={role.id} class="member-row">
              <span>
                <span class="pick-name">{role.name}</span>
                <br />
                <span class="muted small">{holdersText(store, role)}</span>
              </span>
              <button
                type="button"
                class="secondary info-button"
                disabled={busy}
                aria-label={`Sign in to ${role.name}`}
                onClick={() => void act(() => store.api.signInTo(role.id), `You are signed in to ${role.name}.`)}
              >
                Sign in
              </button>
            </li>
          ))}
      </ul>
    </Dialog>
  );
}

function SignedIn(props: {
  store: AppStore;
  signIn: SignIn;
  busy: boolean;
  onAct: (action: () => Promise<void>, said: string) => Promise<void>;
}) {
  const { store, signIn } = props;
  const name = store.roleName(signIn.role_id);
  const [to, setTo] = useState('');
  const colleagues = searchDirectory(store.users.values(), '', new Set([store.selfId]));
  const selectId = `hand-over-${signIn.role_id}`;
  return (
    <li class="sign-in" data-role-id={signIn.role_id}>
      <div class="member-row">
        <span>
          <span class="pick-name">{name}</span>
          <br />
          <span class="muted small">since {timeOfDay(signIn.since)}</span>
        </span>
        <button
          type="button"
          class="secondary info-button"
          disabled={props.busy}
          aria-label={`Sign out of ${name}`}
          onClick={() => void props.onAct(() => store.api.signOutOf(signIn.role_id), `You are signed out of ${name}.`)}
        >
          Sign out
        </button>
      </div>
      <form
        class="inline-form hand-over"
        onSubmit={(event) => {
          event.preventDefault();
          const userId = Number(to);
          if (!userId) return;
          void props.onAct(() => store.api.handOver(signIn.role_id, userId), `${name} is handed over to ${store.userName(userId)}.`);
        }}
      >
        <label for={selectId} class="visually-hidden">
          Hand {name} over to
        </label>
        <select id={selectId} value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
          <option value="">Hand over to…</option>
          {colleagues.map((user) => (
            <option key={user.id} value={String(user.id)}>
              {user.display_name}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary info-button" disabled={props.busy || !to}>
          Hand over
        </button>
      </form>
    </li>
  );
}
