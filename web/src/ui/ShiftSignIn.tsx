import { useEffect, useRef, useState } from 'preact/hooks';
import { searchDirectory } from '../lib/directory';
import { timeOfDay } from '../lib/format';
import { handedOverText, noteSentText, noteToSend, rolesOnShift } from '../lib/handoffs';
import { ApiError } from '../lib/http';
import { newClientId } from '../lib/outbox';
import { holderText } from '../lib/routing';
import type { AppStore } from '../lib/store';
import type { SignIn } from '../lib/types';
import { Dialog } from './Dialog';
import { holdersText } from './NewConversation';

type Act = (action: () => Promise<unknown>, said: string) => Promise<boolean>;

// Shift sign-in (docs/routing.md, "Who holds a role"): the roles and units the user is
// signed in to, with sign-out and hand-over to a colleague (with a hand-off note or
// not), the roles the user holds by a shift, and the others to sign in to. Each role the
// user holds offers a hand-off note without handing over (docs/routing.md, "Hand-off
// notes").
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

  // Answers whether it was done; a refusal shows the server's reason.
  async function act(action: () => Promise<unknown>, said: string): Promise<boolean> {
    setError(null);
    setDone('');
    setBusy(true);
    try {
      await action();
      setDone(said);
      await load();
      return true;
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
      return false;
    } finally {
      setBusy(false);
    }
  }

  const held = new Set(signIns?.map((s) => s.role_id) ?? []);
  const roles = [...(store.roles?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const onShift = signIns ? rolesOnShift(roles, store.selfId, held) : [];
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
      {onShift.length > 0 && (
        <>
          <h3 class="list-heading">You are on call for</h3>
          <ul class="pick-list sign-in-list" aria-label="Your shifts">
            {onShift.map((role) => {
              const mine = role.holders.find((h) => h.user_id === store.selfId && h.via === 'shift')!;
              return (
                <li key={role.id} class="sign-in on-shift" data-role-id={role.id}>
                  <div class="member-row">
                    <span>
                      <span class="pick-name">{role.name}</span>
                      <br />
                      <span class="muted small">{holderText(mine)}</span>
                    </span>
                  </div>
                  <HandOffNoteForm store={store} roleId={role.id} busy={busy} onAct={act} />
                </li>
              );
            })}
          </ul>
        </>
      )}
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

function colleagueOptions(store: AppStore) {
  return searchDirectory(store.users.values(), '', new Set([store.selfId])).map((user) => (
    <option key={user.id} value={String(user.id)}>
      {user.display_name}
    </option>
  ));
}

function SignedIn(props: { store: AppStore; signIn: SignIn; busy: boolean; onAct: Act }) {
  const { store, signIn } = props;
  const name = store.roleName(signIn.role_id);
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  // The note's client id: the same for a resend of the same text (a hand-over that
  // failed on the way back is not a second note), a fresh one for new text.
  const noteId = useRef(newClientId());
  const selectId = `hand-over-${signIn.role_id}`;
  const noteFieldId = `hand-over-note-${signIn.role_id}`;
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
        class="hand-over"
        onSubmit={(event) => {
          event.preventDefault();
          const userId = Number(to);
          if (!userId) return;
          const sent = noteToSend(note, noteId.current);
          void props
            .onAct(() => store.api.handOver(signIn.role_id, userId, sent), handedOverText(name, store.userName(userId), sent !== undefined))
            .then((ok) => {
              if (!ok) return;
              setNote('');
              noteId.current = newClientId();
            });
        }}
      >
        <div class="inline-form">
          <label for={selectId} class="visually-hidden">
            Hand {name} over to
          </label>
          <select id={selectId} value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
            <option value="">Hand over to…</option>
            {colleagueOptions(store)}
          </select>
          <button type="submit" class="secondary info-button" disabled={props.busy || !to}>
            Hand over
          </button>
        </div>
        <div class="hand-over-note">
          <label for={noteFieldId}>Hand-off note (optional)</label>
          <textarea
            id={noteFieldId}
            rows={2}
            value={note}
            onInput={(e) => {
              setNote((e.target as HTMLTextAreaElement).value);
              noteId.current = newClientId();
            }}
          />
        </div>
      </form>
      <HandOffNoteForm store={store} roleId={signIn.role_id} busy={props.busy} onAct={props.onAct} />
    </li>
  );
}

// "Write hand-off note" for a role the user holds, without handing it over
// (POST /roles/{id}/handoff-notes): to a colleague, with a client id as above.
function HandOffNoteForm(props: { store: AppStore; roleId: number; busy: boolean; onAct: Act }) {
  const { store, roleId } = props;
  const name = store.roleName(roleId);
  const [open, setOpen] = useState(false);
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const noteId = useRef(newClientId());
  const formId = `handoff-note-${roleId}`;
  const sent = noteToSend(note, noteId.current);
  return (
    <>
      <button
        type="button"
        class="link-button write-note"
        aria-expanded={open}
        aria-controls={open ? formId : undefined}
        onClick={() => {
          setOpen(!open);
          if (!open) requestAnimationFrame(() => document.getElementById(`${formId}-to`)?.focus());
        }}
      >
        Write hand-off note<span class="visually-hidden"> for {name}</span>
      </button>
      {open && (
        <form
          id={formId}
          class="handoff-note-form"
          onSubmit={(event) => {
            event.preventDefault();
            const userId = Number(to);
            if (!userId || !sent) return;
            void props
              .onAct(() => store.api.writeHandoffNote(roleId, userId, sent), noteSentText(name, store.userName(userId)))
              .then((ok) => {
                if (!ok) return;
                setNote('');
                setOpen(false);
                noteId.current = newClientId();
              });
          }}
        >
          <label for={`${formId}-to`}>Hand-off note for {name} to</label>
          <select id={`${formId}-to`} value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
            <option value="">Choose a colleague…</option>
            {colleagueOptions(store)}
          </select>
          <label for={`${formId}-body`}>Hand-off note</label>
          <textarea
            id={`${formId}-body`}
            rows={3}
            value={note}
            onInput={(e) => {
              setNote((e.target as HTMLTextAreaElement).value);
              noteId.current = newClientId();
            }}
          />
          <div class="shift-actions">
            <button type="submit" class="primary" disabled={props.busy || !to || !sent}>
              Send note
            </button>
            <button type="button" class="secondary info-button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </>
  );
}
