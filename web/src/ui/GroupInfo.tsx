import { useState } from 'preact/hooks';
import { searchDirectory } from '../lib/directory';
import { ApiError } from '../lib/http';
import type { AppStore, ThreadState } from '../lib/store';
import type { Patient } from '../lib/types';
import { Dialog } from './Dialog';
import { PatientPicker } from './PatientPicker';

// A group's (or patient group's) members with their titles: rename it, add and remove
// members, leave; from a group, start the conversation about a patient with the same
// people. A two-person patient thread only lists its members (the server keeps them
// fixed).
export function GroupInfo(props: { store: AppStore; state: ThreadState; onClose: () => void }) {
  const { store, state } = props;
  const thread = state.thread;
  const editable = state.removedBy === null && (thread.kind === 'group' || thread.title !== '' || thread.member_ids.length > 2);
  const [title, setTitle] = useState(thread.title);
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const members = searchDirectory(
    thread.member_ids.map((id) => store.users.get(id)).filter((u) => u !== undefined),
    '',
  );
  const candidates = query.trim() ? searchDirectory(store.users.values(), query, new Set(thread.member_ids)).slice(0, 20) : [];

  async function run(action: () => Promise<void>, done: string) {
    setError(null);
    setSaved(null);
    try {
      await action();
      setSaved(done);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    }
  }

  return (
    <Dialog title={thread.kind === 'group' ? 'Group info' : 'Members'} onClose={props.onClose}>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="visually-hidden" role="status">
        {saved ?? ''}
      </p>
      {editable && (
        <form
          class="rename-form"
          onSubmit={(e) => {
            e.preventDefault();
            const name = title.trim();
            if (thread.kind === 'group' && !name) return setError('Give the group a name.');
            void run(() => store.renameThread(thread.id, name), `Renamed to ${name}.`);
          }}
        >
          <label for="group-name">{thread.kind === 'group' ? 'Group name' : 'Name (optional)'}</label>
          <div class="inline-form">
            <input id="group-name" value={title} maxLength={100} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
            <button type="submit" class="primary">
              Rename
            </button>
          </div>
        </form>
      )}
      <h3 class="list-heading">{members.length} members</h3>
      <ul class="pick-list member-list" aria-label="Members">
        {members.map((u) => (
          <li key={u.id} class="member-row" data-username={u.username}>
            <span class="member-name">
              {u.display_name}
              {u.id === store.selfId ? ' (you)' : ''}
              <span class="muted small"> {u.title}</span>
            </span>
            {editable &&
              (u.id === store.selfId ? (
                <button type="button" class="link-button" onClick={() => void run(() => store.removeMember(thread.id, u.id), 'You left.').then(props.onClose)}>
                  Leave
                </button>
              ) : (
                <button
                  type="button"
                  class="link-button"
                  aria-label={`Remove ${u.display_name}`}
                  onClick={() => void run(() => store.removeMember(thread.id, u.id), `${u.display_name} was removed.`)}
                >
                  Remove
                </button>
              ))}
          </li>
        ))}
      </ul>
      {editable && (
        <>
          <label for="add-member-search">Add people</label>
          <input
            id="add-member-search"
            type="search"
            placeholder="Search by name, title or department"
            value={query}
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
          />
          <ul class="pick-list" aria-label="People to add">
            {candidates.map((u) => (
              <li key={u.id}>
                <button
                  type="button"
                  class="pick"
                  data-username={u.username}
                  aria-label={`Add ${u.display_name}`}
                  onClick={() => void run(() => store.addMember(thread.id, u.id), `${u.display_name} was added.`).then(() => setQuery(''))}
                >
                  <span class="pick-name">{u.display_name}</span>
                  <span class="muted small">{u.title}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {thread.kind === 'group' && state.removedBy === null && thread.member_ids.some((id) => id !== store.selfId) && (
        <PatientWithGroup store={store} memberIds={thread.member_ids.filter((id) => id !== store.selfId)} />
      )}
    </Dialog>
  );
}

// A thread keeps the patient it was started about (docs/protocol.md, POST
// /api/v1/threads), so a group gets a patient by opening the patient conversation of
// the same members: the one they already have, or a new one.
function PatientWithGroup(props: { store: AppStore; memberIds: number[] }) {
  const { store } = props;
  const [patient, setPatient] = useState<Patient | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="patient-with-group"
      aria-labelledby="patient-with-group-heading"
      onSubmit={(e) => {
        e.preventDefault();
        if (!patient) return setProblem('Choose a patient.');
        setProblem(null);
        store
          .startPatient(patient.id, props.memberIds, '')
          .then((id) => store.openThread(id))
          .catch((caught) => setProblem(caught instanceof ApiError ? caught.message : 'That did not work. Try again.'));
      }}
    >
      <h3 class="list-heading" id="patient-with-group-heading">
        About a patient
      </h3>
      <p class="muted small">Opens the conversation about the patient with these members, or starts it.</p>
      <PatientPicker search={(query, limit) => store.searchPatients(query, limit)} value={patient} onChange={setPatient} idPrefix="group-info" />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="primary">
        Open patient conversation
      </button>
    </form>
  );
}
