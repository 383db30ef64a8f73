import { useEffect, useState } from 'preact/hooks';
import { searchDirectory } from '../lib/directory';
import { forwardingRequest, ownForwardingText } from '../lib/forwarding';
import { ApiError } from '../lib/http';
import type { AppStore } from '../lib/store';
import type { Forwarding } from '../lib/types';

// The user's own forwarding (docs/routing.md, "Forwarding"), in the availability
// dialog: where it goes now ("Forwarding to Dr. Yasmin Haddad until 18:00") with "Stop
// forwarding", and a form to forward to a colleague or a role, from now or a time,
// until a time or until stopped. Fetched again when availability_changed names the
// user (a change here or on another device).
export function ForwardingSection(props: { store: AppStore }) {
  const { store } = props;
  const [current, setCurrent] = useState<Forwarding | null | undefined>(undefined);
  const [target, setTarget] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const name = (id: number) => store.userName(id);
  const roleName = (id: number) => store.roleName(id);

  async function load() {
    try {
      setCurrent(await store.api.forwarding(store.selfId));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Your forwarding could not be loaded.');
    }
  }

  useEffect(() => {
    void load();
  }, [store.availabilityStamp([store.selfId])]);
  useEffect(() => {
    if (!store.roles) void store.refreshRoles().catch(() => undefined);
  }, []);

  async function run(action: () => Promise<string>) {
    setError(null);
    setDone('');
    setBusy(true);
    try {
      setDone(await action());
      await load();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    } finally {
      setBusy(false);
    }
  }

  function save() {
    const [kind, id] = target.split(':');
    if (!id) {
      setError('Choose a colleague or a role to forward to.');
      return;
    }
    const chosen = kind === 'role' ? { roleId: Number(id) } : { userId: Number(id) };
    void run(async () => {
      const set = await store.api.setForwarding(store.selfId, forwardingRequest(chosen, from, until, Date.now()));
      setFrom('');
      setUntil('');
      return `Saved: ${ownForwardingText(set, Date.now(), name, roleName) ?? 'forwarding set'}.`;
    });
  }

  const people = searchDirectory(store.users.values(), '', new Set([store.selfId]));
  const roles = [...(store.roles?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const text = current === undefined ? 'Loading…' : ownForwardingText(current, Date.now(), name, roleName);
  return (
    <section class="forwarding-section" aria-labelledby="forwarding-heading">
      <h3 id="forwarding-heading" class="list-heading">
        Forwarding
      </h3>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="current-forwarding" data-forwarding={text && current ? 'on' : 'off'}>
        {text ?? 'Your messages are not forwarded.'}
      </p>
      {text && current && (
        <button type="button" class="secondary info-button" disabled={busy} onClick={() => void run(async () => {
          await store.api.clearForwarding(store.selfId);
          return 'Forwarding stopped.';
        })}>
          Stop forwarding
        </button>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save();
        }}
      >
        <label for="forward-to">Forward my messages to</label>
        <select id="forward-to" value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
          <option value="">Choose a colleague or a role</option>
          <optgroup label="People">
            {people.map((u) => (
              <option key={u.id} value={`user:${u.id}`}>
                {u.display_name}
              </option>
            ))}
          </optgroup>
          {roles.length > 0 && (
            <optgroup label="Roles">
              {roles.map((r) => (
                <option key={r.id} value={`role:${r.id}`}>
                  {r.name}
                </option>
              ))}
            </optgroup>
          )}
        </select>
        <label for="forward-from">From (optional: now)</label>
        <input id="forward-from" type="time" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        <label for="forward-until">Until (optional: until you stop it)</label>
        <input id="forward-until" type="time" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
        <div class="shift-actions">
          <button type="submit" class="primary" disabled={busy}>
            Forward messages
          </button>
        </div>
      </form>
      <p class="muted small" role="status">
        {done}
      </p>
    </section>
  );
}
