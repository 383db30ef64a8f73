import { describe, expect, it } from 'vitest';
import { expandNote, messageCallback, normalizePhone, phoneText, telHref, unknownPlaceholders } from './callback';
import type { MessageEvent, Patient, User } from './types';

describe('normalizePhone', () => {
  it('keeps E.164 numbers and extensions, separators dropped', () => {
    expect(normalizePhone('+1 (555) 010-2000')).toBe('+15550102000');
    expect(normalizePhone('+44 20 7946 0000')).toBe('+442079460000');
    expect(normalizePhone('44 12')).toBe('4412');
    expect(normalizePhone('4412')).toBe('4412');
  });
  it('refuses what the server refuses', () => {
    for (const bad of ['555-CALL', '+0555010200', '1', '1234567', '+1234567', '+1234567890123456', '', '+', '12+34', 'x'.repeat(40)]) {
      expect(normalizePhone(bad), bad).toBeNull();
    }
  });
});

describe('links and text', () => {
  it('dials the number as it is', () => {
    expect(telHref('+15550102000')).toBe('tel:+15550102000');
    expect(telHref('4412')).toBe('tel:4412');
  });
  it('groups a NANP number for reading', () => {
    expect(phoneText('+15550102000')).toBe('+1 555 010 2000');
    expect(phoneText('+442079460000')).toBe('+442079460000');
    expect(phoneText('4412')).toBe('4412');
  });
});

describe('messageCallback', () => {
  const message = (callback: string | null, sender = 2) =>
    ({ id: 1, kind: 'message', thread_id: 1, at: '', seq: 1, sender_id: sender, client_id: 'c', urgent: false, body: 'x', callback }) as MessageEvent;
  const patel = { id: 2, callback: '+15550103000' } as User;
  it("prefers the message's number, then the sender's", () => {
    expect(messageCallback(message('4412'), patel, 9)).toBe('4412');
    expect(messageCallback(message(null), patel, 9)).toBe('+15550103000');
    expect(messageCallback(message(null), { id: 2, callback: null } as User, 9)).toBeNull();
    expect(messageCallback(message(null), undefined, 9)).toBeNull();
  });
  it('offers no call back on your own messages', () => {
    expect(messageCallback(message('4412', 9), patel, 9)).toBeNull();
  });
});

describe('expandNote', () => {
  const patient = { name: 'Alma Reyes', location: '4W-12B', mrn: 'MRN001' } as Patient;
  it('fills placeholders from the patient and the sender', () => {
    expect(
      expandNote('{patient.name} in {patient.room} ({patient.location}, {patient.mrn}): call {me.name} on {me.callback}', {
        patient,
        myName: 'Olivia Harper, RN',
        myCallback: '4412',
      }),
    ).toBe('Alma Reyes in 4W-12B (4W-12B, MRN001): call Olivia Harper, RN on 4412');
  });
  it('leaves what it cannot fill, and braces that are text', () => {
    expect(expandNote('{patient.room}: {me.callback} { } {A}', { patient: null, myName: 'x', myCallback: null })).toBe(
      '{patient.room}: {me.callback} { } {A}',
    );
  });
  it('names unknown placeholders once', () => {
    const known = ['{patient.name}', '{me.name}'];
    expect(unknownPlaceholders('{patient.bed} {me.name} {patient.bed} {x}', known)).toEqual(['{patient.bed}', '{x}']);
  });
});
