import { describe, expect, test } from 'vitest';
import { editableSections, holdersLine, resultDetail, sectionsProblem } from './orgscreen';
import type { OrgScreen, OrgScreenSection } from './types';

const screen: OrgScreen = {
  version: 2,
  sections: [
    {
      title: 'People',
      items: [
        { type: 'staff', department: 'ICU', people: [{ id: 1, display_name: 'A', title: 'RN', online: false }], truncated: false },
        { type: 'on_call', roles: [], truncated: false },
        { type: 'phone', label: 'Operator', number: '555-0100' },
        { type: 'link', label: 'Policies', url: 'https://example.org' },
      ],
    },
  ],
};

describe('org screen editing', () => {
  test('the editable page drops the resolved lists', () => {
    expect(editableSections(screen)).toEqual([
      {
        title: 'People',
        items: [
          { type: 'staff', department: 'ICU' },
          { type: 'on_call' },
          { type: 'phone', label: 'Operator', number: '555-0100' },
          { type: 'link', label: 'Policies', url: 'https://example.org' },
        ],
      },
    ]);
  });

  test('problems the server would refuse are named before saving', () => {
    const ok: OrgScreenSection[] = editableSections(screen);
    expect(sectionsProblem(ok)).toBeNull();
    const withItem = (item: OrgScreenSection['items'][number]) => [{ title: 'S', items: [item] }];
    expect(sectionsProblem(withItem({ type: 'link', label: 'x', url: 'http://example.org' }))).toMatch(/https/);
    expect(sectionsProblem(withItem({ type: 'link', label: 'x', url: 'javascript:alert(1)' }))).toMatch(/https/);
    expect(sectionsProblem(withItem({ type: 'link', label: 'x', url: 'tel:+15555550100' }))).toBeNull();
    expect(sectionsProblem(withItem({ type: 'phone', label: 'x', number: 'call me' }))).toMatch(/digits/);
    expect(sectionsProblem(withItem({ type: 'staff', department: ' ' }))).toMatch(/department/);
    expect(sectionsProblem([{ title: '', items: [] }])).toMatch(/title/);
    expect(sectionsProblem(Array.from({ length: 21 }, () => ({ title: 's', items: [] })))).toMatch(/20 sections/);
  });
});

describe('directory results', () => {
  test('people show title, department and presence; roles who is on call', () => {
    expect(
      resultDetail({ kind: 'person', id: 1, display_name: 'A', username: 'a', title: 'RN', department: 'ICU', online: true, match: 'word' }),
    ).toBe('RN · ICU · online');
    expect(resultDetail({ kind: 'group', id: 3, title: 'Huddle', members: 4, match: 'word' })).toBe('Group · 4 members');
    expect(holdersLine([])).toBe('Nobody holds it now');
    expect(
      holdersLine([
        { user_id: 1, display_name: 'Dr. Nina Patel', reason: 'on_call', online: false },
        { user_id: 2, display_name: 'Jordan Brooks, NP', reason: 'signed_in', online: true },
      ]),
    ).toBe('Dr. Nina Patel (on call), Jordan Brooks, NP (signed in)');
  });
});
