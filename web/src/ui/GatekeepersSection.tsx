import { useEffect, useState } from 'preact/hooks';
import { searchDirectory } from '../lib/directory';
import { addGatekeeper, gatekeepersChanged, kMaxGatekeepers, ownGatekeepersText, removeGatekeeper } from '../lib/gatekeepers';
import { ApiError } from '../lib/http';
import type { AppStore } from '../lib/store';

// The user's gatekeepers (docs/routing.md, "Gatekeepers"), in the availability dialog:
// who screens their messages while they are not available. Colleagues are added (at
// most five, never oneself) and removed here, then saved (PUT, the list in order).
// Fetched again when availability_changed names the user (a change on another device).
export function GatekeepersSection(props: { store: AppStore }) {
  const { store } = props;
  const [saved, setSaved] = useState<number[] | null>(null);
  const [chosen, setChosen] = useState<number[]>([]);
  const [pick, setPick] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const name = (id: number) => store.userName(id);

  async function load() {
    try {
      const ids = await store.api.gatekeepers(store.selfId);
      setSaved(ids);
      setChosen(ids);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Your gatekeepers could not be loaded.');
    }
  }

  useEffect(() => {
    void load();
  }, [store.availabilityStamp([store.selfId])]);

  async function save() {
    setError(null);
    setDone('');
    setBusy(true);
    try {
      const ids = await store.api.setGatekeepers(store.selfId, chosen);
      setSaved(ids);
      setChosen(ids);
      setDone(`Saved: ${ownGatekeepersText(ids, name)}`);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    } finally {
      setBusy(false);
    }
  }

  const full = chosen.length >= kMaxGatekeepers;
  const people = searchDirectory(store.users.values(), '', new Set([store.selfId, ...chosen]));
  return (
    <section class="gatekeepers-section" aria-labelledby="gatekeepers-heading">
      <h3 id="gatekeepers-heading" class="list-heading">
        Gatekeepers
      </h3>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="current-gatekeepers" data-count={saved?.length}>
        {saved === null ? 'Loading…' : ownGatekeepersText(saved, name)}
      </p>
      <p class="muted small">While you are busy, in procedure or off duty, a message to you in a conversation of two goes to them first: they pass it on, hold it or answer it.</p>
      {chosen.length > 0 && (
        <ul class="period-list gatekeeper-list" aria-label="Your gatekeepers">
          {chosen.map((id) => (
            <li key={id} data-user-id={id}>
              <span>{name(id)}</span>
              <button type="button" class="info-button danger" disabled={busy} aria-label={`Remove ${name(id)}`} onClick={() => setChosen(removeGatekeeper(chosen, id))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!pick) return;
          setChosen(addGatekeeper(chosen, Number(pick), store.selfId));
          setPick('');
        }}
      >
        <label for="gatekeeper-pick">Add a gatekeeper{full ? ` (at most ${kMaxGatekeepers})` : ''}</label>
        <div class="inline-form">
          <select id="gatekeeper-pick" value={pick} disabled={full} onChange={(e) => setPick((e.target as HTMLSelectElement).value)}>
            <option value="">Choose a colleague</option>
            {people.map((u) => (
              <option key={u.id} value={String(u.id)}>
                {u.display_name}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary info-button" disabled={full || !pick}>
            Add
          </button>
        </div>
      </form>
      <div class="shift-actions">
        <button type="button" class="primary" disabled={busy || saved === null || !gatekeepersChanged(saved, chosen)} onClick={() => void save()}>
          Save gatekeepers
        </button>
      </div>
      <p class="muted small" role="status">
        {done}
      </p>
    </section>
  );
}
