import { useState } from 'preact/hooks';
import { searchDirectory } from '../lib/directory';
import type { AppStore } from '../lib/store';
import { PersonStatusTag } from './PersonStatusTag';

// Chooses several colleagues: the chosen ones as removable chips above a directory
// search, the matches as checkboxes, sorted by name. Backspace in the empty search
// removes the last chip.
export function MemberPicker(props: { store: AppStore; selected: Set<number>; onToggle: (id: number) => void; idPrefix: string }) {
  const { store, selected } = props;
  const [query, setQuery] = useState('');
  const people = searchDirectory(store.users.values(), query, new Set([store.selfId]));
  const chosen = [...selected];
  return (
    <fieldset class="member-picker">
      <legend>Members ({selected.size} chosen)</legend>
      {chosen.length > 0 && (
        <ul class="chips" aria-label="Chosen members">
          {chosen.map((id) => (
            <li key={id} class="chip" data-user-id={id}>
              {store.userName(id)}
              <button type="button" class="chip-remove" aria-label={`Remove ${store.userName(id)}`} onClick={() => props.onToggle(id)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <label for={`${props.idPrefix}-member-search`} class="visually-hidden">
        Search members
      </label>
      <input
        id={`${props.idPrefix}-member-search`}
        type="search"
        placeholder="Search by name, title or department"
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Backspace' && query === '' && chosen.length > 0) {
            e.preventDefault();
            props.onToggle(chosen[chosen.length - 1]);
          }
        }}
      />
      <ul class="check-list">
        {people.map((u) => (
          <li key={u.id}>
            <label>
              <input type="checkbox" data-username={u.username} checked={selected.has(u.id)} onChange={() => props.onToggle(u.id)} />
              {u.display_name} <span class="muted small">{u.title}</span> <PersonStatusTag store={store} userId={u.id} />
            </label>
          </li>
        ))}
        {people.length === 0 && <li class="muted">Nobody matches.</li>}
      </ul>
    </fieldset>
  );
}
