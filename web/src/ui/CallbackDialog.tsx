import { useEffect, useState } from 'preact/hooks';
import { normalizePhone, unknownPlaceholders } from '../lib/callback';
import type { AppStore } from '../lib/store';
import type { Phone, PhoneKind, PhoneVisibility, QuickNote, QuickNoteScope, QuickNotes } from '../lib/types';
import { Dialog } from './Dialog';

const kKinds: { kind: PhoneKind; label: string }[] = [
  { kind: 'work', label: 'Work' },
  { kind: 'mobile', label: 'Mobile' },
  { kind: 'pager', label: 'Pager' },
];

const kVisibilities: { value: PhoneVisibility; label: string }[] = [
  { value: 'everyone', label: 'Everyone in the org' },
  { value: 'colleagues', label: 'People I share a conversation with' },
  { value: 'admins', label: 'Administrators only' },
];

interface Row {
  number: string;
  visibility: PhoneVisibility;
}

// The user's call-back numbers and quick notes, and for an admin the org's quick notes
// (docs/callback.md, docs/quick_notes.md).
export function CallbackDialog(props: { store: AppStore; onClose: () => void }) {
  const { store } = props;
  const isAdmin = store.users.get(store.selfId)?.is_admin ?? false;
  return (
    <Dialog title="Call back & quick notes" onClose={props.onClose} wide>
      <PhonesSection store={store} />
      <NotesSection store={store} scope="personal" />
      {isAdmin && <NotesSection store={store} scope="org" />}
    </Dialog>
  );
}

function PhonesSection(props: { store: AppStore }) {
  const { store } = props;
  const [rows, setRows] = useState<Record<PhoneKind, Row> | null>(null);
  const [preferred, setPreferred] = useState<PhoneKind | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    store.api
      .myPhones()
      .then((mine) => {
        const next: Record<PhoneKind, Row> = {
          work: { number: '', visibility: 'everyone' },
          mobile: { number: '', visibility: 'colleagues' },
          pager: { number: '', visibility: 'everyone' },
        };
        for (const phone of mine.phones) next[phone.kind] = { number: phone.number, visibility: phone.visibility };
        setRows(next);
        setPreferred(mine.phones.find((p) => p.preferred)?.kind ?? null);
      })
      .catch((failure: Error) => setError(failure.message));
  }, []);

  async function save() {
    if (!rows) return;
    setMessage('');
    const phones: Phone[] = [];
    for (const { kind, label } of kKinds) {
      const typed = rows[kind].number.trim();
      if (!typed) continue;
      if (normalizePhone(typed) === null) {
        setError(`${label}: a number is + and 8 to 15 digits (like +1 555 010 2000), or an extension of 2 to 6 digits.`);
        return;
      }
      phones.push({ kind, number: typed, visibility: rows[kind].visibility, preferred: preferred === kind });
    }
    setError('');
    setSaving(true);
    try {
      const saved = await store.api.setMyPhones(phones);
      const next = { ...rows };
      for (const phone of saved.phones) next[phone.kind] = { number: phone.number, visibility: phone.visibility };
      setRows(next);
      setPreferred(saved.phones.find((p) => p.preferred)?.kind ?? null);
      setMessage(saved.callback ? `Saved. People call you back on ${saved.callback}.` : 'Saved. You have no call-back number.');
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <section class="callback-phones" aria-labelledby="phones-title">
      <h3 id="phones-title">My numbers</h3>
      {rows === null && !error && <p class="muted small">Loading…</p>}
      {rows && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <table class="phones-table">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Number</th>
                <th scope="col">Who sees it</th>
                <th scope="col">Call me on this</th>
              </tr>
            </thead>
            <tbody>
              {kKinds.map(({ kind, label }) => (
                <tr key={kind}>
                  <th scope="row">
                    <label for={`phone-${kind}`}>{label}</label>
                  </th>
                  <td>
                    <input
                      id={`phone-${kind}`}
                      type="tel"
                      inputMode="tel"
                      autoComplete="off"
                      maxLength={32}
                      value={rows[kind].number}
                      onInput={(e) => setRows({ ...rows, [kind]: { ...rows[kind], number: (e.target as HTMLInputElement).value } })}
                    />
                  </td>
                  <td>
                    <select
                      aria-label={`Who sees the ${label.toLowerCase()} number`}
                      value={rows[kind].visibility}
                      onChange={(e) =>
                        setRows({ ...rows, [kind]: { ...rows[kind], visibility: (e.target as HTMLSelectElement).value as PhoneVisibility } })
                      }
                    >
                      {kVisibilities.map((v) => (
                        <option key={v.value} value={v.value}>
                          {v.label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input
                      type="radio"
                      name="preferred-phone"
                      aria-label={`Call me back on the ${label.toLowerCase()} number`}
                      checked={preferred === kind}
                      onChange={() => setPreferred(kind)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted small">
            A number is + and the country code (+1 555 010 2000), or a hospital extension of 2 to 6 digits. Leave a row empty to
            remove that number.
          </p>
          <button type="submit" class="primary" disabled={saving}>
            Save numbers
          </button>
        </form>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {message && (
        <p class="saved" role="status">
          {message}
        </p>
      )}
    </section>
  );
}

function NotesSection(props: { store: AppStore; scope: QuickNoteScope }) {
  const { store, scope } = props;
  const [loaded, setLoaded] = useState<QuickNotes | null>(null);
  const [editing, setEditing] = useState<QuickNote | null>(null);
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const heading = scope === 'org' ? 'Org quick notes' : 'My quick notes';
  const prefix = scope === 'org' ? 'org-note' : 'my-note';

  async function load() {
    try {
      setLoaded(await store.api.quickNotes());
    } catch (failure) {
      setError((failure as Error).message);
    }
  }
  useEffect(() => {
    void load();
  }, []);

  function reset() {
    setEditing(null);
    setTitle('');
    setText('');
  }

  async function save() {
    const unknown = unknownPlaceholders(text, loaded?.placeholders ?? []);
    if (unknown.length > 0) {
      setError(`Unknown placeholder ${unknown.join(', ')}: use ${(loaded?.placeholders ?? []).join(', ')}.`);
      return;
    }
    setBusy(true);
    setError('');
    try {
      if (editing) await store.api.updateQuickNote(editing.id, title, text);
      else await store.api.createQuickNote(scope, title, text);
      reset();
      await load();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function remove(note: QuickNote) {
    setBusy(true);
    setError('');
    try {
      await store.api.deleteQuickNote(note.id);
      if (editing?.id === note.id) reset();
      await load();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const notes = (loaded?.notes ?? []).filter((note) => note.scope === scope);
  return (
    <section class="quick-notes-section" aria-labelledby={`${prefix}-title`} data-scope={scope}>
      <h3 id={`${prefix}-title`}>{heading}</h3>
      {loaded && notes.length === 0 && <p class="muted small">None yet.</p>}
      {notes.length > 0 && (
        <ul class="quick-note-list">
          {notes.map((note) => (
            <li key={note.id} data-note-id={note.id}>
              <span class="quick-note-title">{note.title}</span>
              <span class="quick-note-text muted small">{note.text}</span>
              <span class="quick-note-actions">
                <button
                  type="button"
                  class="link-button"
                  aria-label={`Edit ${note.title}`}
                  onClick={() => {
                    setEditing(note);
                    setTitle(note.title);
                    setText(note.text);
                  }}
                >
                  Edit
                </button>
                <button type="button" class="link-button" aria-label={`Delete ${note.title}`} disabled={busy} onClick={() => void remove(note)}>
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <form
        class="quick-note-form"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <label for={`${prefix}-name`}>{editing ? 'Title' : 'New note title'}</label>
        <input
          id={`${prefix}-name`}
          maxLength={loaded?.limits.title_bytes ?? 80}
          value={title}
          onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
        />
        <label for={`${prefix}-text`}>Text</label>
        <textarea id={`${prefix}-text`} rows={2} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        {loaded && <p class="muted small">Placeholders: {loaded.placeholders.join(' ')}</p>}
        <span class="quick-note-buttons">
          <button type="submit" class="primary" disabled={busy || !title.trim() || !text.trim()}>
            {editing ? 'Save note' : scope === 'org' ? 'Add org note' : 'Add note'}
          </button>
          {editing && (
            <button type="button" onClick={reset}>
              Cancel
            </button>
          )}
        </span>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
