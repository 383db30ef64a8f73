import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/http';
import { editableSections, emptyItem, holdersLine, resultDetail, sectionsProblem } from '../lib/orgscreen';
import type { AppStore } from '../lib/store';
import type { DirectoryResult, OrgScreen, OrgScreenItem, OrgScreenSection } from '../lib/types';
import { Dialog } from './Dialog';

// The directory: search people, roles and groups on the server as one types
// (GET /api/v1/directory), and, with no query, the org screen; its admins edit it here.
export function DirectoryDialog(props: { store: AppStore; onClose: () => void; onOpened: (threadId: number) => void }) {
  const { store } = props;
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<DirectoryResult[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const latest = useRef(0);

  // Results as one types: a short pause, and only the newest answer is shown.
  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setResults(null);
      return;
    }
    const asked = ++latest.current;
    const timer = setTimeout(() => {
      store.api
        .searchDirectory(text)
        .then((answer) => {
          if (asked === latest.current) {
            setProblem(null);
            setResults(answer.results);
          }
        })
        .catch((caught) => {
          if (asked === latest.current) setProblem(caught instanceof ApiError ? caught.message : 'The search did not work.');
        });
    }, 120);
    return () => clearTimeout(timer);
  }, [query]);

  async function open(result: DirectoryResult) {
    setProblem(null);
    try {
      if (result.kind === 'person') props.onOpened(await store.startDirect(result.id));
      else if (result.kind === 'role') props.onOpened(await store.startRole(result.id));
      else props.onOpened(result.id);
    } catch (caught) {
      setProblem(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
    }
  }

  const isAdmin = store.users.get(store.selfId)?.is_admin ?? false;
  return (
    <Dialog title="Directory" onClose={props.onClose} wide>
      <label for="directory-query">Find people, roles and groups</label>
      <input
        id="directory-query"
        type="search"
        placeholder="Name, department, title or role"
        value={query}
        autoFocus
        autoComplete="off"
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {results !== null && (
        <ul class="pick-list directory-results" aria-label="Directory results">
          {results.map((result) => (
            <li key={`${result.kind}-${result.id}`}>
              <button type="button" class="pick" data-kind={result.kind} data-id={result.id} onClick={() => void open(result)}>
                <span class="pick-name">
                  {result.kind === 'person' && <span class={'presence-dot inline' + (result.online ? ' online' : '')} aria-hidden="true" />}
                  {result.kind === 'person' ? result.display_name : result.kind === 'role' ? result.name : result.title}
                  <span class="visually-hidden"> ({result.kind})</span>
                </span>
                <span class="muted small">{resultDetail(result)}</span>
              </button>
            </li>
          ))}
          {results.length === 0 && <li class="muted">Nothing matches.</li>}
        </ul>
      )}
      {results === null &&
        (editing ? (
          <OrgScreenEditor store={store} onDone={() => setEditing(false)} />
        ) : (
          <OrgScreenPage store={store} canEdit={isAdmin} onEdit={() => setEditing(true)} onOpenPerson={(id) => void open({ kind: 'person', id } as DirectoryResult)} />
        ))}
    </Dialog>
  );
}

function OrgScreenPage(props: { store: AppStore; canEdit: boolean; onEdit: () => void; onOpenPerson: (userId: number) => void }) {
  const [screen, setScreen] = useState<OrgScreen | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    props.store.api
      .orgScreen()
      .then(setScreen)
      .catch((caught) => setProblem(caught instanceof ApiError ? caught.message : 'The org screen could not be loaded.'));
  }, []);
  if (problem) return <p class="error">{problem}</p>;
  if (!screen) return <p class="muted small">Loading the org screen…</p>;
  return (
    <section class="org-screen" aria-label="Org screen">
      {screen.sections.length === 0 && <p class="muted">Your organisation has not set up its page yet.</p>}
      {screen.sections.map((section, s) => (
        <section key={s} class="org-section">
          <h3 class="list-heading">{section.title}</h3>
          <ul class="org-items">
            {section.items.map((item, i) => (
              <li key={i} class={`org-item org-${item.type}`}>
                {item.type === 'link' && (
                  <a href={item.url} target={item.url.startsWith('https:') ? '_blank' : undefined} rel="noopener noreferrer">
                    {item.label}
                  </a>
                )}
                {item.type === 'phone' && (
                  <>
                    <span>{item.label}</span> <a href={`tel:${item.number.replace(/[^0-9+]/g, '')}`}>{item.number}</a>
                  </>
                )}
                {item.type === 'staff' && (
                  <>
                    <h4 class="org-staff-title">{item.department}</h4>
                    <ul class="org-people" aria-label={`${item.department} staff`}>
                      {item.people.map((person) => (
                        <li key={person.id}>
                          <button type="button" class="link-button" onClick={() => props.onOpenPerson(person.id)}>
                            {person.display_name}
                          </button>{' '}
                          <span class="muted small">
                            {person.title}
                            {person.online ? ' · online' : ''}
                          </span>
                        </li>
                      ))}
                      {item.people.length === 0 && <li class="muted small">Nobody listed.</li>}
                      {item.truncated && <li class="muted small">More are in the directory.</li>}
                    </ul>
                  </>
                )}
                {item.type === 'on_call' && (
                  <ul class="org-on-call" aria-label="On call now">
                    {item.roles.map((role) => (
                      <li key={role.id}>
                        <strong>{role.name}</strong> <span class="muted small">{holdersLine(role.on_call)}</span>
                      </li>
                    ))}
                    {item.roles.length === 0 && <li class="muted small">Nobody is on call now.</li>}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
      {props.canEdit && (
        <button type="button" class="small-button" onClick={props.onEdit}>
          Edit this page
        </button>
      )}
    </section>
  );
}

const kItemTypes: { type: OrgScreenItem['type']; label: string }[] = [
  { type: 'link', label: 'Link' },
  { type: 'phone', label: 'Phone number' },
  { type: 'staff', label: 'Staff of a department' },
  { type: 'on_call', label: 'Who is on call' },
];

// The admin's editor: sections and their items, saved over the version it loaded.
function OrgScreenEditor(props: { store: AppStore; onDone: () => void }) {
  const [version, setVersion] = useState<number | null>(null);
  const [sections, setSections] = useState<OrgScreenSection[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  function load() {
    props.store.api
      .orgScreen()
      .then((screen) => {
        setVersion(screen.version);
        setSections(editableSections(screen));
      })
      .catch(() => setProblem('The org screen could not be loaded.'));
  }
  useEffect(load, []);

  const update = (change: (draft: OrgScreenSection[]) => void) => {
    const draft: OrgScreenSection[] = sections.map((section) => ({ title: section.title, items: section.items.map((item) => ({ ...item })) }));
    change(draft);
    setSections(draft);
  };

  async function save() {
    const found = sectionsProblem(sections);
    if (found) return setProblem(found);
    if (version === null) return;
    setSaving(true);
    try {
      await props.store.api.saveOrgScreen(version, sections);
      props.onDone();
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'aborted') {
        setProblem('Someone else saved this page while you were editing. Their version is loaded now: make your changes again.');
        load();
      } else {
        setProblem(caught instanceof ApiError ? caught.message : 'The page could not be saved.');
      }
    } finally {
      setSaving(false);
    }
  }

  if (version === null) return problem ? <p class="error">{problem}</p> : <p class="muted small">Loading…</p>;
  return (
    <form
      class="org-editor"
      aria-label="Edit the org screen"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {sections.map((section, s) => (
        <fieldset key={s} class="org-edit-section">
          <legend>Section {s + 1}</legend>
          <label>
            Title
            <input value={section.title} onInput={(e) => update((d) => (d[s].title = (e.target as HTMLInputElement).value))} />
          </label>
          {section.items.map((item, i) => (
            <div key={i} class="org-edit-item" data-type={item.type}>
              <span class="muted small">{kItemTypes.find((t) => t.type === item.type)?.label}</span>
              {(item.type === 'link' || item.type === 'phone') && (
                <label>
                  Label
                  <input value={item.label} onInput={(e) => update((d) => ((d[s].items[i] as { label: string }).label = (e.target as HTMLInputElement).value))} />
                </label>
              )}
              {item.type === 'link' && (
                <label>
                  Address
                  <input value={item.url} onInput={(e) => update((d) => ((d[s].items[i] as { url: string }).url = (e.target as HTMLInputElement).value))} />
                </label>
              )}
              {item.type === 'phone' && (
                <label>
                  Number
                  <input value={item.number} onInput={(e) => update((d) => ((d[s].items[i] as { number: string }).number = (e.target as HTMLInputElement).value))} />
                </label>
              )}
              {item.type === 'staff' && (
                <label>
                  Department
                  <input
                    value={item.department}
                    onInput={(e) => update((d) => ((d[s].items[i] as { department: string }).department = (e.target as HTMLInputElement).value))}
                  />
                </label>
              )}
              <button type="button" class="link-button" onClick={() => update((d) => d[s].items.splice(i, 1))}>
                Remove item
              </button>
            </div>
          ))}
          <label>
            Add an item
            <select
              value=""
              onChange={(e) => {
                const type = (e.target as HTMLSelectElement).value as OrgScreenItem['type'];
                if (type) update((d) => d[s].items.push(emptyItem(type)));
              }}
            >
              <option value="">Choose…</option>
              {kItemTypes.map((t) => (
                <option key={t.type} value={t.type}>
                  {t.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" class="link-button" onClick={() => update((d) => d.splice(s, 1))}>
            Remove section
          </button>
        </fieldset>
      ))}
      <button type="button" class="small-button" onClick={() => update((d) => d.push({ title: '', items: [] }))}>
        Add a section
      </button>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" onClick={props.onDone}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={saving}>
          Save page
        </button>
      </div>
    </form>
  );
}
