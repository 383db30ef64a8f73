import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kMaxQueryBytes, normaliseQuery, PatientSearch, patientLine, type SearchState } from './patientsearch';
import type { Patient } from './types';

const patient = (fields: Partial<Patient>): Patient => ({
  id: 1, mrn: '100234', name: 'Testpatient, Alma', date_of_birth: '1948-03-12', location: '4 West, room 12',
  attending: 'Dr. Nina Patel', sex: 'F', status: 'admitted', admitted_at: '', discharged_at: '', identifiers: [],
  updated_at: '2026-12-07T10:00:00Z', ...fields,
});

// A search whose answers the test releases one by one, in any order.
function controlledSearch() {
  const calls: { query: string; limit: number; resolve: (p: Patient[]) => void; reject: (e: unknown) => void }[] = [];
  const search = (query: string, limit: number) =>
    new Promise<Patient[]>((resolve, reject) => calls.push({ query, limit, resolve, reject }));
  return { calls, search };
}

describe('patientLine', () => {
  const now = new Date(Date.UTC(2026, 11, 7));
  it('shows MRN, age, sex and location', () => {
    expect(patientLine(patient({}), now)).toBe('MRN 100234 · 78 y · Female · 4 West, room 12');
  });
  it('leaves out what the feed did not send', () => {
    expect(patientLine(patient({ date_of_birth: '', sex: '', location: '' }), now)).toBe('MRN 100234');
  });
});

describe('normaliseQuery', () => {
  it('collapses and trims spaces', () => {
    expect(normaliseQuery('  alma \t test ')).toBe('alma test');
  });
  it('cuts to the server bound without splitting a character', () => {
    const query = normaliseQuery('é'.repeat(150));
    expect(new TextEncoder().encode(query).length).toBe(kMaxQueryBytes);
    expect(query).toBe('é'.repeat(100));
  });
});

describe('PatientSearch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits for a pause in typing, then searches the last text once', async () => {
    const { calls, search } = controlledSearch();
    const states: SearchState[] = [];
    const picker = new PatientSearch(search, (s) => states.push(s), 200);
    picker.setQuery('a');
    picker.setQuery('al');
    picker.setQuery('alm');
    vi.advanceTimersByTime(199);
    expect(calls).toHaveLength(0);
    expect(picker.state.status).toBe('loading');
    vi.advanceTimersByTime(1);
    expect(calls.map((c) => c.query)).toEqual(['alm']);
    expect(calls[0].limit).toBe(20);
    calls[0].resolve([patient({})]);
    await vi.runAllTimersAsync();
    expect(picker.state).toEqual({ status: 'done', query: 'alm', results: [patient({})] });
  });

  it('never lets an older answer replace a newer one', async () => {
    const { calls, search } = controlledSearch();
    const picker = new PatientSearch(search, () => {}, 10);
    picker.setQuery('alma');
    vi.advanceTimersByTime(10);
    picker.setQuery('ben');
    vi.advanceTimersByTime(10);
    expect(calls.map((c) => c.query)).toEqual(['alma', 'ben']);
    calls[1].resolve([patient({ id: 2, name: 'Bed, Ben' })]);
    await vi.runAllTimersAsync();
    calls[0].resolve([patient({})]);
    await vi.runAllTimersAsync();
    expect(picker.state.query).toBe('ben');
    expect(picker.state.results.map((p) => p.id)).toEqual([2]);
  });

  it('turns a failure into an error state, and a retry searches again', async () => {
    const { calls, search } = controlledSearch();
    const picker = new PatientSearch(search, () => {}, 10);
    picker.setQuery('alma');
    vi.advanceTimersByTime(10);
    calls[0].reject(new Error('offline'));
    await vi.runAllTimersAsync();
    expect(picker.state).toEqual({ status: 'error', query: 'alma', results: [] });
    const retried = picker.searchNow('alma');
    expect(calls).toHaveLength(2);
    calls[1].resolve([]);
    await retried;
    expect(picker.state).toEqual({ status: 'done', query: 'alma', results: [] });
  });

  it('ignores answers after dispose', async () => {
    const { calls, search } = controlledSearch();
    const states: SearchState[] = [];
    const picker = new PatientSearch(search, (s) => states.push(s), 10);
    picker.setQuery('alma');
    vi.advanceTimersByTime(10);
    picker.dispose();
    const seen = states.length;
    calls[0].resolve([patient({})]);
    await vi.runAllTimersAsync();
    expect(states.length).toBe(seen);
    picker.setQuery('x');
    picker.dispose();
    vi.advanceTimersByTime(50);
    expect(calls).toHaveLength(1);
  });
});
