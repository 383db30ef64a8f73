// The patient picker's search (docs/protocol.md, GET /api/v1/patients/search): typing is
// debounced, only the answer to the latest query is shown, and a failure is a state the
// picker shows, not an exception. No DOM here, so the rules are unit-tested.
import { ageText, sexText } from './patient';
import type { Patient } from './types';

export type SearchStatus = 'idle' | 'loading' | 'done' | 'error';

export interface SearchState {
  status: SearchStatus;
  query: string; // The query the results (or the error) belong to.
  results: Patient[];
}

export type SearchFunction = (query: string, limit: number) => Promise<Patient[]>;

// The server bounds a query at 200 bytes and 5 words; the picker sends no more.
export const kMaxQueryBytes = 200;
export const kSearchLimit = 20;
export const kDebounceMs = 200;

// The query as it is sent: spaces collapsed, trimmed, cut to kMaxQueryBytes of UTF-8
// without splitting a character.
export function normaliseQuery(text: string): string {
  let query = text.replace(/\s+/g, ' ').trim();
  const encoder = new TextEncoder();
  while (encoder.encode(query).length > kMaxQueryBytes) query = [...query].slice(0, -1).join('');
  return query;
}

// The line under a patient's name in the picker: "MRN 100234 · 78 y · Female · 4 West,
// room 12"; parts the feed did not send are left out.
export function patientLine(patient: Patient, now: Date): string {
  const age = ageText(patient.date_of_birth, now);
  const sex = patient.sex ? sexText(patient.sex) : '';
  return [`MRN ${patient.mrn}`, age, sex, patient.location].filter(Boolean).join(' · ');
}

type Timer = ReturnType<typeof setTimeout>;

// Runs searches for a picker. setQuery() on every keystroke; after `debounceMs` without
// another, the search runs; onChange gets each new state. A slower answer to an older
// query never replaces a newer one's.
export class PatientSearch {
  private timer: Timer | null = null;
  private latest = 0; // Number of the latest search started.
  private current: SearchState = { status: 'idle', query: '', results: [] };

  constructor(
    private readonly search: SearchFunction,
    private readonly onChange: (state: SearchState) => void,
    private readonly debounceMs = kDebounceMs,
  ) {}

  get state(): SearchState {
    return this.current;
  }

  // Schedules a search for `text` (an empty one lists current inpatients).
  setQuery(text: string): void {
    const query = normaliseQuery(text);
    if (this.timer !== null) clearTimeout(this.timer);
    this.publish({ status: 'loading', query, results: this.current.results });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run(query);
    }, this.debounceMs);
  }

  // Searches `text` now (a retry after an error, or the list on opening).
  async searchNow(text: string): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const query = normaliseQuery(text);
    this.publish({ status: 'loading', query, results: this.current.results });
    await this.run(query);
  }

  // Stops a pending search; answers still on their way are ignored.
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.latest += 1;
  }

  private async run(query: string): Promise<void> {
    const number = ++this.latest;
    try {
      const results = await this.search(query, kSearchLimit);
      if (number === this.latest) this.publish({ status: 'done', query, results });
    } catch {
      if (number === this.latest) this.publish({ status: 'error', query, results: [] });
    }
  }

  private publish(state: SearchState): void {
    this.current = state;
    this.onChange(state);
  }
}
