import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { PatientSearch, patientLine, type SearchState } from '../lib/patientsearch';
import type { Patient } from '../lib/types';

// Finds a current inpatient by name, MRN or location as the user types (the WAI-ARIA
// combobox pattern: the input owns a listbox; arrow keys move the active option, Enter
// picks it, Escape closes the list). Shows name, MRN, age, sex and location; says when
// nothing matches, and offers a retry when the search failed. Once a patient is picked
// it is shown with a button to choose another.
export function PatientPicker(props: {
  search: (query: string, limit: number) => Promise<Patient[]>;
  value: Patient | null;
  onChange: (patient: Patient | null) => void;
  idPrefix: string;
  now?: Date;
}) {
  const { idPrefix, value } = props;
  const [text, setText] = useState('');
  const [state, setState] = useState<SearchState>({ status: 'idle', query: '', results: [] });
  const [isOpen, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const inputRef = useRef<HTMLInputElement>(null);
  const changeRef = useRef<HTMLButtonElement>(null);
  const wasPicked = useRef(false);
  const searcher = useMemo(() => new PatientSearch(props.search, setState), []);
  useEffect(() => () => searcher.dispose(), []);
  useEffect(() => {
    // Focus follows the choice: to "Change" after a pick, back to the input after it.
    if (value) changeRef.current?.focus();
    else if (wasPicked.current) inputRef.current?.focus();
    wasPicked.current = value !== null;
  }, [value]);

  const now = props.now ?? new Date();
  const listId = `${idPrefix}-patient-results`;
  const results = state.results;
  const optionId = (index: number) => `${idPrefix}-patient-option-${results[index]?.id ?? index}`;
  const showList = isOpen && state.status !== 'idle';

  function open() {
    if (!isOpen) {
      setOpen(true);
      if (state.status === 'idle') void searcher.searchNow(text);
    }
  }

  function pick(patient: Patient) {
    setOpen(false);
    setActive(-1);
    props.onChange(patient);
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      open();
      if (results.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((at) => (at < 0 ? (step > 0 ? 0 : results.length - 1) : (at + step + results.length) % results.length));
    } else if (event.key === 'Home' && showList && results.length > 0) {
      event.preventDefault();
      setActive(0);
    } else if (event.key === 'End' && showList && results.length > 0) {
      event.preventDefault();
      setActive(results.length - 1);
    } else if (event.key === 'Enter') {
      // Enter picks the active option; it never submits the form from here.
      event.preventDefault();
      if (showList && active >= 0 && active < results.length) pick(results[active]);
    } else if (event.key === 'Escape' && isOpen) {
      // Closes the list, not the dialog around it.
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
      setActive(-1);
    }
  }

  if (value) {
    return (
      <div class="patient-chosen" id={`${idPrefix}-patient-chosen`}>
        <span class="label-text">Patient</span>
        <div class="patient-chosen-card" aria-live="polite">
          <span class="pick-name">{value.name}</span>
          <span class="muted small">{patientLine(value, now)}</span>
        </div>
        <button
          type="button"
          ref={changeRef}
          aria-label={`Change patient (${value.name} chosen)`}
          onClick={() => {
            props.onChange(null);
            setOpen(true);
          }}
        >
          Change
        </button>
      </div>
    );
  }

  const statusText =
    state.status === 'loading' ? 'Searching…'
    : state.status === 'error' ? ''
    : state.status === 'done' && results.length === 0
      ? state.query ? `No current inpatient matches “${state.query}”.` : 'No current inpatients.'
    : state.status === 'done' ? `${results.length === 20 ? 'First 20' : results.length} patient${results.length === 1 ? '' : 's'}; use the arrow keys to choose.`
    : '';

  return (
    <div class="patient-picker">
      <label for={`${idPrefix}-patient-search`}>Patient</label>
      <input
        id={`${idPrefix}-patient-search`}
        ref={inputRef}
        type="text"
        role="combobox"
        autoComplete="off"
        spellcheck={false}
        placeholder="Name, MRN or location"
        aria-autocomplete="list"
        aria-expanded={showList}
        aria-controls={listId}
        aria-activedescendant={showList && active >= 0 ? optionId(active) : undefined}
        aria-describedby={`${idPrefix}-patient-status`}
        value={text}
        onInput={(e) => {
          const next = (e.target as HTMLInputElement).value;
          setText(next);
          setActive(-1);
          setOpen(true);
          searcher.setQuery(next);
        }}
        onFocus={open}
        onClick={open}
        onKeyDown={onKeyDown}
      />
      <p
        id={`${idPrefix}-patient-status`}
        class="muted small picker-status"
        role="status"
        aria-live="polite"
        data-state={state.status}
        data-query={state.query}
      >
        {showList ? statusText : ''}
      </p>
      {showList && state.status === 'error' && (
        <div class="error" role="alert">
          The patient search did not work.{' '}
          <button type="button" class="link-button" onClick={() => void searcher.searchNow(text)}>
            Try again
          </button>
        </div>
      )}
      <ul id={listId} role="listbox" aria-label="Current inpatients" class="pick-list patient-results" hidden={!showList || results.length === 0}>
        {results.map((patient, index) => (
          <li
            key={patient.id}
            id={optionId(index)}
            role="option"
            aria-selected={index === active}
            class={index === active ? 'pick active' : 'pick'}
            data-patient-id={patient.id}
            // mousedown would blur the input first; pick on click, keep focus in the input.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => pick(patient)}
          >
            <span class="pick-name">{patient.name}</span>
            <span class="muted small">{patientLine(patient, now)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
