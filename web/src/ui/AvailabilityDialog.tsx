import { useEffect, useState } from 'preact/hooks';
import { kStatuses, nextTimeOfDay, ownAvailabilityText, periodText, statusLabel } from '../lib/availability';
import { localInputToUtc } from '../lib/forwarding';
import { ApiError } from '../lib/http';
import type { AppStore } from '../lib/store';
import type { AvailabilityStatus, UserAvailability } from '../lib/types';
import { Dialog } from './Dialog';
import { ForwardingSection } from './ForwardingSection';
import { GatekeepersSection } from './GatekeepersSection';

// The user's own availability (docs/routing.md, "Availability"): how they are now, set
// from now with an optional end, and back to available; periods ahead (set, listed,
// deleted); their forwarding (ForwardingSection) and their gatekeepers
// (GatekeepersSection). Colleagues' previews follow
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
      <PeriodsSection store={store} current={current} onChanged={load} />
      <ForwardingSection store={store} />
      <GatekeepersSection store={store} />
    </Dialog>
  );
}

// The periods in force or ahead, each with Delete, and a form to set one ahead (a
// status from a start until an optional end, on the local clock).
function PeriodsSection(props: { store: AppStore; current: UserAvailability | null; onChanged: () => Promise<void> }) {
  const { store, current } = props;
  const [status, setStatus] = useState<AvailabilityStatus>('off_duty');
  const [startsAt, setStartsAt] = useState('');
  const [endsAt, setEndsAt] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<string>) {
    setError(null);
    setDone('');
    setBusy(true);
    try {
      setDone(await action());
      await props.onChanged();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    } finally {
      setBusy(false);
    }
  }

  function add() {
    const start = localInputToUtc(startsAt);
    if (!start) {
      setError('Choose when the period starts.');
      return;
    }
    const end = localInputToUtc(endsAt);
    void run(async () => {
      const period = await store.api.setAvailabilityPeriod(store.selfId, status, start, end);
      setStartsAt('');
      setEndsAt('');
      return `Saved: ${periodText(period, Date.now())}.`;
    });
  }

  const now = Date.now();
  const periods = current?.periods ?? [];
  return (
    <section class="periods-section" aria-labelledby="periods-heading">
      <h3 id="periods-heading" class="list-heading">
        Periods
      </h3>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {current && periods.length === 0 && <p class="muted small">No period set now or ahead.</p>}
      {periods.length > 0 && (
        <ul class="period-list" aria-label="Your periods">
          {periods.map((period) => {
            const text = periodText(period, now);
            return (
              <li key={period.id} data-period-id={period.id}>
                <span>{text}</span>
                <button
                  type="button"
                  class="info-button danger"
                  disabled={busy}
                  aria-label={`Delete ${text}`}
                  onClick={() => void run(async () => {
                    await store.api.deleteAvailabilityPeriod(store.selfId, period.id);
                    return `Deleted: ${text}.`;
                  })}
                >
                  Delete
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          add();
        }}
      >
        <label for="period-status">Set a period ahead</label>
        <select id="period-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as AvailabilityStatus)}>
          {kStatuses.map((choice) => (
            <option key={choice} value={choice}>
              {statusLabel(choice)}
            </option>
          ))}
        </select>
        <label for="period-starts">Starts</label>
        <input id="period-starts" type="datetime-local" value={startsAt} onInput={(e) => setStartsAt((e.target as HTMLInputElement).value)} />
        <label for="period-ends">Ends (optional)</label>
        <input id="period-ends" type="datetime-local" value={endsAt} onInput={(e) => setEndsAt((e.target as HTMLInputElement).value)} />
        <div class="shift-actions">
          <button type="submit" class="primary" disabled={busy}>
            Add period
          </button>
        </div>
      </form>
      <p class="muted small" role="status">
        {done}
      </p>
    </section>
  );
}
