import { describe, expect, it } from 'vitest';
import { foldForSearch, matchesUser, searchDirectory } from './directory';
import type { User } from './types';

function user(id: number, display_name: string, title: string, username = `u${id}`): User {
  return { id, username, display_name, title, is_admin: false, online: false };
}

const patel = user(2, 'Dr. Nina Patel', 'Cardiology attending', 'dr.patel');
const jose = user(3, 'José Álvarez, RN', 'Charge nurse, ICU', 'rn.alvarez');
const brooks = user(4, 'Jordan Brooks, NP', 'Cardiology nurse practitioner', 'np.brooks');
const chen = user(5, 'Grace Chen, RN', 'RN, 4 West', 'rn.chen');

describe('directory search', () => {
  it('folds case, accents and punctuation', () => {
    expect(foldForSearch('José  Álvarez, RN')).toBe('jose alvarez rn');
    expect(foldForSearch('Dr. Nina')).toBe('dr nina');
  });

  it('matches when every word is part of the name, title or department', () => {
    expect(matchesUser(patel, 'dr patel')).toBe(true);
    expect(matchesUser(patel, 'DR. PATEL')).toBe(true);
    expect(matchesUser(patel, 'pat')).toBe(true);
    expect(matchesUser(patel, 'atel')).toBe(true);
    expect(matchesUser(patel, 'patel nurse')).toBe(false);
    expect(matchesUser(jose, 'jose')).toBe(true);
    expect(matchesUser(jose, 'JOSÉ icu')).toBe(true);
    expect(matchesUser(chen, '4 west')).toBe(true);
    expect(matchesUser(chen, 'cardiology')).toBe(false);
  });

  it('finds by title and sorts by name without the honorific', () => {
    const found = searchDirectory([patel, jose, brooks, chen], 'nurse');
    expect(found.map((u) => u.id)).toEqual([brooks.id, jose.id]);
    const cardiology = searchDirectory([patel, jose, brooks, chen], 'cardiology');
    expect(cardiology.map((u) => u.display_name)).toEqual(['Jordan Brooks, NP', 'Dr. Nina Patel']);
  });

  it('leaves out the excluded', () => {
    expect(searchDirectory([patel, chen], '', new Set([patel.id])).map((u) => u.id)).toEqual([chen.id]);
  });
});
