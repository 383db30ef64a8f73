import { describe, expect, it } from 'vitest';
import { ageText, sexText, visitText } from './patient';
import type { Patient } from './types';

const patient = (fields: Partial<Patient>): Patient => ({
  id: 1, mrn: '100234', name: 'Testpatient, Alma', date_of_birth: '1948-03-12', location: '4 West, room 12',
  attending: 'Dr. Nina Patel', sex: 'F', status: '', admitted_at: '', discharged_at: '', identifiers: [],
  updated_at: '2026-12-07T10:00:00Z', ...fields,
});

describe('ageText', () => {
  const now = new Date(Date.UTC(2026, 11, 7));
  it('counts whole years, the birthday itself included', () => {
    expect(ageText('1948-03-12', now)).toBe('78 y');
    expect(ageText('1948-12-07', now)).toBe('78 y');
    expect(ageText('1948-12-08', now)).toBe('77 y');
  });
  it('gives months under two years and days under a month', () => {
    expect(ageText('2025-06-21', now)).toBe('17 mo');
    expect(ageText('2026-11-28', now)).toBe('9 d');
  });
  it('takes the precision the feed sent', () => {
    expect(ageText('1948', now)).toBe('78 y');
    expect(ageText('1948-03', now)).toBe('78 y');
  });
  it('says nothing for no date, a bad one or a future one', () => {
    expect(ageText('', now)).toBe('');
    expect(ageText('12 March 1948', now)).toBe('');
    expect(ageText('2027-01-01', now)).toBe('');
  });
});

describe('banner words', () => {
  it('names the sex codes of HL7 table 0001', () => {
    expect(sexText('F')).toBe('Female');
    expect(sexText('U')).toBe('Unknown sex');
    expect(sexText('Q')).toBe('Q');
  });
  it('says the state of the visit', () => {
    expect(visitText(patient({ status: 'admitted', admitted_at: '2026-12-01T12:00:00Z' }))).toMatch(/^Admitted 2026-12-0[12]$/);
    expect(visitText(patient({ status: 'discharged', discharged_at: '2026-12-05T12:00:00Z' }))).toMatch(/^Discharged 2026-12-0[56]$/);
    expect(visitText(patient({ status: 'registered' }))).toBe('Outpatient visit');
    expect(visitText(patient({ status: '' }))).toBe('');
  });
});
