import { useEffect, useState } from 'preact/hooks';
import { searchDirectory } from '../lib/directory';
import { dayKey } from '../lib/format';
import { ApiError } from '../lib/http';
import { addDays, dayTitle, instantOf, isTimeZone, localIn, mondayOf, shiftsOn, shiftTimes, weekDays, weekWindow } from '../lib/routing';
import type { AppStore } from '../lib/store';
import type { Shift, ShiftInput } from '../lib/types';
import { Dialog } from './Dialog';

// What the shift editor holds: local dates and times in the shift's zone.
interface Draft {
  id: number | null;
  roleId: string;
  userId: string;
  startDate: string;
  startTime: string;
  endDate: string;
  endTime: string;
  timeZone: string;
}

const kDefaultZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function draftOf(shift: Shift): Draft {
  const start = localIn(shift.starts_at, shift.time_zone);
  const end = localIn(shift.ends_at, shift.time_zone);
  return {
    id: shift.id, roleId: String(shift.role_id), userId: String(shift.user_id),
    startDate: start.date, startTime: start.time, endDate: end.date, endTime: end.time, timeZone: shift.time_zone,
  };
}

// The on-call week (docs/web.md, "Roles and the schedule"): roles by rows, seven days
// by columns, each shift with its person and its local times in its own zone. Every
// user reads it; administrators and schedulers change it (the server decides: a
// refusal shows its reason). Refreshed by on_call_changed.
export function WeekSchedule(props: { store: AppStore; onClose: () => void }) {
  const { store } = props;
  const [monday, setMonday] = useState(() => mondayOf(dayKey(Date.now())));
  const [shifts, setShifts] = useState<Shift[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [done, setDone] = useState('');
  const days = weekDays(monday);

  async function load() {
    const window = weekWindow(monday);
    try {
      const [found] = await Promise.all([store.api.shifts(window.from, window.to), store.roles ? Promise.resolve() : store.refreshRoles()]);
      setShifts(found);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'The schedule could not be loaded.');
    }
  }

  useEffect(() => {
    void load();
  }, [monday, store.rolesStamp]);

  const roles = [...(store.roles?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const zone = shifts?.[0]?.time_zone ?? kDefaultZone;

  function edit(shift: Shift) {
    setDone('');
    setError(null);
    setDraft(draftOf(shift));
  }

  function add() {
    setDone('');
    setError(null);
    const date = days.includes(dayKey(Date.now())) ? dayKey(Date.now()) : monday;
    setDraft({ id: null, roleId: String(roles[0]?.id ?? ''), userId: '', startDate: date, startTime: '07:00', endDate: date, endTime: '19:00', timeZone: zone });
  }

  async function save(value: Draft) {
    setError(null);
    if (!value.roleId || !value.userId) return setError('Choose a role and a person.');
    if (!isTimeZone(value.timeZone)) return setError(`"${value.timeZone}" is not a time zone (use a name such as America/New_York).`);
    const input: ShiftInput = {
      role_id: Number(value.roleId),
      user_id: Number(value.userId),
      starts_at: instantOf(value.startDate, value.startTime, value.timeZone),
      ends_at: instantOf(value.endDate, value.endTime, value.timeZone),
      time_zone: value.timeZone,
    };
    try {
      if (value.id === null) await store.api.addShift(input);
      else await store.api.updateShift(value.id, input);
      setDraft(null);
      setDone(value.id === null ? 'Shift added.' : 'Shift saved.');
      await load();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    }
  }

  async function remove(id: number) {
    setError(null);
    try {
      await store.api.deleteShift(id);
      setDraft(null);
      setDone('Shift deleted.');
      await load();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    }
  }

  return (
    <Dialog title="On-call schedule" onClose={props.onClose} wide>
      <div class="week-bar">
        <button type="button" class="secondary info-button" onClick={() => setMonday(addDays(monday, -7))}>
          <span aria-hidden="true">‹ </span>Previous week
        </button>
        <h3 class="week-title" aria-live="polite">
          {dayTitle(days[0])} – {dayTitle(days[6])}
        </h3>
        <button type="button" class="secondary info-button" onClick={() => setMonday(addDays(monday, 7))}>
          Next week<span aria-hidden="true"> ›</span>
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted small" role="status">
        {done}
      </p>
      {shifts === null && !error && <p class="muted">Loading the schedule…</p>}
      {shifts && (
        <div class="week-scroll" tabIndex={0} role="region" aria-label="Shifts of the week">
          <table class="week-grid">
            <thead>
              <tr>
                <th scope="col">Role</th>
                {days.map((day) => (
                  <th key={day} scope="col" class={day === dayKey(Date.now()) ? 'today' : ''}>
                    {dayTitle(day)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {roles.map((role) => (
                <tr key={role.id} data-role-id={role.id}>
                  <th scope="row">{role.name}</th>
                  {days.map((day) => (
                    <td key={day}>
                      {shiftsOn(shifts, role.id, day).map((shift) => (
                        <ShiftButton key={shift.id} store={store} shift={shift} roleName={role.name} day={day} selected={draft?.id === shift.id} onEdit={edit} />
                      ))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shifts && (
        // Phones: the same week as a list of days (the grid above is hidden there).
        <div class="week-days">
          {days.map((day) => {
            const onDay = roles.flatMap((role) => shiftsOn(shifts, role.id, day).map((shift) => ({ role, shift })));
            return (
              <section key={day} class="week-day" aria-label={dayTitle(day)}>
                <h4 class={day === dayKey(Date.now()) ? 'today' : ''}>{dayTitle(day)}</h4>
                {onDay.length === 0 && <p class="muted small">No shifts.</p>}
                {onDay.map(({ role, shift }) => (
                  <ShiftButton key={shift.id} store={store} shift={shift} roleName={role.name} day={day} selected={draft?.id === shift.id} onEdit={edit} withRole />
                ))}
              </section>
            );
          })}
        </div>
      )}
      {draft ? (
        <ShiftEditor
          key={draft.id ?? 'new'}
          store={store}
          draft={draft}
          onSave={(value) => void save(value)}
          onDelete={draft.id === null ? null : () => void remove(draft.id!)}
          onCancel={() => setDraft(null)}
        />
      ) : (
        <button type="button" class="primary add-shift" onClick={add}>
          Add a shift
        </button>
      )}
    </Dialog>
  );
}

function ShiftButton(props: { store: AppStore; shift: Shift; roleName: string; day: string; selected: boolean; onEdit: (shift: Shift) => void; withRole?: boolean }) {
  const { store, shift } = props;
  return (
    <button
      type="button"
      class={'shift' + (props.selected ? ' selected' : '')}
      data-shift-id={shift.id}
      aria-label={`${props.roleName}, ${dayTitle(props.day)} ${shiftTimes(shift)}: ${store.userName(shift.user_id)}. Edit`}
      onClick={() => props.onEdit(shift)}
    >
      {props.withRole && <span class="shift-role">{props.roleName}</span>}
      <span class="shift-person">{store.userName(shift.user_id)}</span>
      <span class="shift-times">{shiftTimes(shift)}</span>
    </button>
  );
}

function ShiftEditor(props: { store: AppStore; draft: Draft; onSave: (draft: Draft) => void; onDelete: (() => void) | null; onCancel: () => void }) {
  const { store } = props;
  const [value, setValue] = useState(props.draft);
  const set = (field: keyof Draft) => (event: Event) => setValue({ ...value, [field]: (event.target as HTMLInputElement).value });
  const roles = [...(store.roles?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const people = searchDirectory(store.users.values(), '');
  return (
    <form
      class="shift-editor"
      aria-label={value.id === null ? 'New shift' : 'Edit shift'}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSave(value);
      }}
    >
      <h3 class="list-heading">{value.id === null ? 'New shift' : 'Edit shift'}</h3>
      <div class="shift-fields">
        <span>
          <label for="shift-role">Role</label>
          <select id="shift-role" value={value.roleId} onChange={set('roleId')}>
            {roles.map((role) => (
              <option key={role.id} value={String(role.id)}>
                {role.name}
              </option>
            ))}
          </select>
        </span>
        <span>
          <label for="shift-person">Person</label>
          <select id="shift-person" value={value.userId} onChange={set('userId')}>
            <option value="">Choose…</option>
            {people.map((user) => (
              <option key={user.id} value={String(user.id)}>
                {user.display_name}
              </option>
            ))}
          </select>
        </span>
        <span>
          <label for="shift-start-date">Starts on</label>
          <input id="shift-start-date" type="date" value={value.startDate} onInput={set('startDate')} required />
        </span>
        <span>
          <label for="shift-start-time">at</label>
          <input id="shift-start-time" type="time" value={value.startTime} onInput={set('startTime')} required />
        </span>
        <span>
          <label for="shift-end-date">Ends on</label>
          <input id="shift-end-date" type="date" value={value.endDate} onInput={set('endDate')} required />
        </span>
        <span>
          <label for="shift-end-time">at</label>
          <input id="shift-end-time" type="time" value={value.endTime} onInput={set('endTime')} required />
        </span>
        <span class="wide-field">
          <label for="shift-zone">Time zone</label>
          <input id="shift-zone" value={value.timeZone} onInput={set('timeZone')} required />
        </span>
      </div>
      <div class="shift-actions">
        <button type="submit" class="primary">
          {value.id === null ? 'Add shift' : 'Save shift'}
        </button>
        {props.onDelete && (
          <button type="button" class="secondary info-button danger" onClick={props.onDelete}>
            Delete shift
          </button>
        )}
        <button type="button" class="secondary info-button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
