import { useEffect, useState } from 'preact/hooks';
import { kStatuses, nextTimeOfDay, ownAvailabilityText, statusLabel } from '../lib/availability';
import { ApiError } from '../lib/http';
import type { AppStore } from '../lib/store';
import type { AvailabilityStatus, UserAvailability } from '../lib/types';
import { Dialog } from './Dialog';

// The user's own availability (docs/routing.md, "Availability"): how they are now, set
// from now with an optional end, and back to available. Colleagues' previews follow
// through availability_changed.
export function AvailabilityDialog(props: { store: AppStore; onClose: () => void }) {
  const { store } = props;
  const [current, setCurrent] = useState<UserAvailability | null>(null);
  const [status, setStatus] = useState<AvailabilityStatus>('busy');
  const [until, setUntil] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);

  async function load() {
    try {
      setCurrent(await store.api.availability(store.selfId));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Your availability could not be loaded.');
    }
  }

  // Again when it changes, here or on another device.
  useEffect(() => {
    void load();
  }, [store.availabilityStamp([store.selfId])]);

  async function set(chosen: AvailabilityStatus, endsAt: string | null) {
    setError(null);
    setDone('');
    setBusy(true);
    try {
      await store.api.setAvailability(store.selfId, chosen, endsAt);
      setDone(`Saved: ${ownAvailabilityText(chosen, endsAt)}`);
      setUntil('');
      await load();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Your availability" onClose={props.onClose}>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="current-availability" data-status={current?.status}>
        {current ? ownAvailabilityText(current.status, current.until) : 'Loading…'}
      </p>
      {current && current.status !== 'available' && (
        <button type="button" class="secondary info-button" disabled={busy} onClick={() => void set('available', null)}>
          Back to available
        </button>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void set(status, until && status !== 'available' ? nextTimeOfDay(until, Date.now()) : null);
        }}
      >
        <fieldset class="status-choices">
          <legend class="list-heading">Set your availability</legend>
          {kStatuses.map((choice) => (
            <label key={choice}>
              <input type="radio" name="availability" value={choice} checked={status === choice} onChange={() => setStatus(choice)} />
              {statusLabel(choice)}
            </label>
          ))}
        </fieldset>
        <label for="availability-until">Until (optional)</label>
        <input id="availability-until" type="time" value={until} disabled={status === 'available'} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
        <div class="shift-actions">
          <button type="submit" class="primary" disabled={busy}>
            Set availability
          </button>
        </div>
      </form>
      <p class="muted small" role="status">
        {done}
      </p>
    </Dialog>
  );
}
