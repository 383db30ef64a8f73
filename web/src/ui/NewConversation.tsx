import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../lib/http';
import type { AppStore } from '../lib/store';
import { foldForSearch, searchDirectory } from '../lib/directory';
import { holderText } from '../lib/routing';
import type { Patient, Role } from '../lib/types';
import { Dialog } from './Dialog';
import { PatientPicker } from './PatientPicker';
import { MemberPicker } from './PeoplePicker';
import { PersonStatusTag } from './PersonStatusTag';

type Tab = 'person' | 'group' | 'patient';
const kTabs: Tab[] = ['person', 'group', 'patient'];

// Starts a conversation: a person, role or existing group from the directory, a new
// named group, or a patient thread.
export function NewConversation(props: { store: AppStore; onClose: () => void; onOpened: (threadId: number) => void }) {
  const { store } = props;
  const [tab, setTab] = useState<Tab>('person');
  const [error, setError] = useState<string | null>(null);
  // Kept here so that the search survives a look at another tab.
  const [query, setQuery] = useState('');

  async function run(action: () => Promise<number>) {
    setError(null);
    try {
      props.onOpened(await action());
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    }
  }

  // The tab list is one stop in the tab order; arrow keys, Home and End move between
  // tabs (the WAI-ARIA tabs pattern).
  function onTabKey(event: KeyboardEvent) {
    const at = kTabs.indexOf(tab);
    const next =
      event.key === 'ArrowRight' ? (at + 1) % kTabs.length
      : event.key === 'ArrowLeft' ? (at + kTabs.length - 1) % kTabs.length
      : event.key === 'Home' ? 0
      : event.key === 'End' ? kTabs.length - 1
      : -1;
    if (next < 0) return;
    event.preventDefault();
    setTab(kTabs[next]);
    document.getElementById(`tab-${kTabs[next]}`)?.focus();
  }

  return (
    <Dialog title="New conversation" onClose={props.onClose} wide>
      <div class="tabs" role="tablist" aria-label="Kind of conversation" onKeyDown={onTabKey}>
        {kTabs.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            tabIndex={tab === t ? 0 : -1}
            class={tab === t ? 'tab selected' : 'tab'}
            onClick={() => setTab(t)}
          >
            {t === 'person' ? 'Person or group' : t === 'group' ? 'New group' : 'Patient'}
          </button>
        ))}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'person' && (
          <PersonSearch
            store={store}
            query={query}
            onQuery={setQuery}
            onPick={(id) => run(() => store.startDirect(id))}
            onRole={(id) => run(() => store.startRole(id))}
            onGroup={props.onOpened}
          />
        )}
        {tab === 'group' && <GroupForm store={store} onCreate={(title, ids) => run(() => store.createGroup(title, ids))} />}
        {tab === 'patient' && (
          <PatientForm store={store} onStart={(patientId, ids, title) => run(() => store.startPatient(patientId, ids, title))} />
        )}
      </div>
    </Dialog>
  );
}

function PersonSearch(props: {
  store: AppStore;
  query: string;
  onQuery: (query: string) => void;
  onPick: (userId: number) => void;
  onRole: (roleId: number) => void;
  onGroup: (threadId: number) => void;
}) {
  const { store, query } = props;
  const [rolesProblem, setRolesProblem] = useState<string | null>(null);
  useEffect(() => {
    store.refreshRoles().catch(() => setRolesProblem('The roles could not be loaded.'));
  }, []);
  const roles = searchRoles(store, query);
  const people = searchDirectory(store.users.values(), query, new Set([store.selfId]));
  const q = foldForSearch(query);
  const groups = store
    .threadList()
    .filter((s) => s.thread.kind === 'group' && s.removedBy === null && (!q || foldForSearch(s.thread.title).includes(q)));
  return (
    <div>
      <label for="directory-search">Search the directory</label>
      <input
        id="directory-search"
        type="search"
        placeholder="Name, title or department"
        value={query}
        onInput={(e) => props.onQuery((e.target as HTMLInputElement).value)}
        autoFocus
      />
      {groups.length > 0 && (
        <>
          <h3 class="list-heading">Groups</h3>
          <ul class="pick-list" aria-label="Groups">
            {groups.map((s) => (
              <li key={s.thread.id}>
                <button type="button" class="pick" onClick={() => props.onGroup(s.thread.id)}>
                  <span class="pick-name">{s.thread.title}</span>
                  <span class="muted small">{s.thread.member_ids.length} members</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3 class="list-heading">Roles</h3>
      {rolesProblem && <p class="muted small">{rolesProblem}</p>}
      {!store.roles && !rolesProblem && <p class="muted small">Loading roles…</p>}
      {store.roles && (
        <ul class="pick-list" aria-label="Roles">
          {roles.map((role) => (
            <li key={role.id}>
              <button type="button" class="pick" data-role-id={role.id} onClick={() => props.onRole(role.id)}>
                <span class="pick-name">{role.name}</span>
                <span class="muted small">{holdersText(store, role)}</span>
              </button>
            </li>
          ))}
          {roles.length === 0 && <li class="muted">No role matches.</li>}
        </ul>
      )}
      <h3 class="list-heading">People</h3>
      <ul class="pick-list" aria-label="People">
        {people.map((u) => (
          <li key={u.id}>
            <button type="button" class="pick" data-username={u.username} onClick={() => props.onPick(u.id)}>
              <span class="pick-name">
                <span class={'presence-dot inline' + (u.online ? ' online' : '')} aria-hidden="true" />
                {u.display_name}
              </span>
              <span class="muted small">
                {u.title}
                {u.online ? ' · online' : ''}
              </span>
              <PersonStatusTag store={store} userId={u.id} />
            </button>
          </li>
        ))}
        {people.length === 0 && <li class="muted">Nobody matches.</li>}
      </ul>
    </div>
  );
}

// "Dr. Nina Patel · on call until 19:00", or who gets a message when nobody does.
export function holdersText(store: AppStore, role: Role): string {
  if (role.holders.length > 0) return role.holders.map((h) => `${store.userName(h.user_id)} · ${holderText(h)}`).join('; ');
  if (role.fallback_user_id !== null) return `Nobody now: goes to ${store.userName(role.fallback_user_id)}`;
  if (role.fallback_role_id !== null) return `Nobody now: goes to ${store.roleName(role.fallback_role_id)}`;
  return 'Nobody holds it now';
}

// Every word of the query in the role's name, description or its holders' names.
function searchRoles(store: AppStore, query: string): Role[] {
  const words = foldForSearch(query).split(' ').filter(Boolean);
  const roles = [...(store.roles?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return roles.filter((role) => {
    const text = foldForSearch([role.name, role.description, ...role.holders.map((h) => store.userName(h.user_id))].join(' '));
    return words.every((word) => text.includes(word));
  });
}

function useSelection(): [Set<number>, (id: number) => void] {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  return [
    selected,
    (id) =>
      setSelected((old) => {
        const next = new Set(old);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
  ];
}

function GroupForm(props: { store: AppStore; onCreate: (title: string, ids: number[]) => void }) {
  const [title, setTitle] = useState('');
  const [selected, toggle] = useSelection();
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (!title.trim()) return setProblem('Give the group a name.');
        if (selected.size === 0) return setProblem('Choose at least one member.');
        props.onCreate(title.trim(), [...selected]);
      }}
    >
      <label for="group-title">Group name</label>
      <input id="group-title" value={title} maxLength={100} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
      <MemberPicker store={props.store} selected={selected} onToggle={toggle} idPrefix="group" />
      {problem && <p class="error">{problem}</p>}
      <button type="submit" class="primary">
        Create group
      </button>
    </form>
  );
}

function PatientForm(props: { store: AppStore; onStart: (patientId: number, ids: number[], title: string) => void }) {
  const { store } = props;
  const [patient, setPatient] = useState<Patient | null>(null);
  const [selected, toggle] = useSelection();
  const [title, setTitle] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (patient === null) return setProblem('Choose a patient.');
        if (selected.size === 0) return setProblem('Choose at least one colleague.');
        props.onStart(patient.id, [...selected], title.trim());
      }}
    >
      <PatientPicker
        search={(query, limit) => store.searchPatients(query, limit)}
        value={patient}
        onChange={(next) => {
          setPatient(next);
          setProblem(null);
        }}
        idPrefix="new"
      />
      <MemberPicker store={store} selected={selected} onToggle={toggle} idPrefix="patient" />
      {selected.size > 1 && (
        <>
          <label for="patient-title">Group name (optional)</label>
          <input id="patient-title" value={title} maxLength={100} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        </>
      )}
      {problem && <p class="error">{problem}</p>}
      <button type="submit" class="primary">
        Start patient conversation
      </button>
    </form>
  );
}
