import type { DirectoryHolder, DirectoryResult, OrgScreen, OrgScreenItem, OrgScreenSection } from './types';

// The org screen's editable form, and what the directory shows for a result
// (docs/directory.md).

// The page as admins edit it: the rendered screen without its resolved lists.
export function editableSections(screen: OrgScreen): OrgScreenSection[] {
  return screen.sections.map((section) => ({
    title: section.title,
    items: section.items.map((item): OrgScreenItem => {
      switch (item.type) {
        case 'link':
          return { type: 'link', label: item.label, url: item.url };
        case 'phone':
          return { type: 'phone', label: item.label, number: item.number };
        case 'staff':
          return { type: 'staff', department: item.department };
        case 'on_call':
          return { type: 'on_call' };
      }
    }),
  }));
}

export function emptyItem(type: OrgScreenItem['type']): OrgScreenItem {
  switch (type) {
    case 'link':
      return { type: 'link', label: '', url: 'https://' };
    case 'phone':
      return { type: 'phone', label: '', number: '' };
    case 'staff':
      return { type: 'staff', department: '' };
    case 'on_call':
      return { type: 'on_call' };
  }
}

const kPhone = /^[0-9 +\-().x]*[0-9][0-9 +\-().x]*$/;

// The first problem the server would refuse, in words for the editor; null if none.
// The server checks again (PUT /api/v1/org-screen): this only saves a round trip.
export function sectionsProblem(sections: OrgScreenSection[]): string | null {
  if (sections.length > 20) return 'A page has at most 20 sections.';
  let items = 0;
  for (const [s, section] of sections.entries()) {
    const where = `Section ${s + 1}`;
    if (!section.title.trim()) return `${where} needs a title.`;
    if (section.items.length > 50) return `${where} has more than 50 items.`;
    items += section.items.length;
    for (const [i, item] of section.items.entries()) {
      const at = `${where}, item ${i + 1}`;
      if (item.type === 'link') {
        if (!item.label.trim()) return `${at} needs a label.`;
        if (!/^(https:\/\/[^\s/?#"<>\\`][^\s"<>\\`]*|tel:[0-9+\-().x]*[0-9][0-9+\-().x]*)$/.test(item.url)) {
          return `${at}: a link is an https:// address or a tel: number.`;
        }
      } else if (item.type === 'phone') {
        if (!item.label.trim()) return `${at} needs a label.`;
        if (!kPhone.test(item.number) || item.number.length > 40) return `${at}: a number holds digits, spaces and + - ( ) . x.`;
      } else if (item.type === 'staff') {
        if (!item.department.trim()) return `${at} needs a department.`;
      }
    }
  }
  if (items > 300) return 'A page has at most 300 items.';
  return null;
}

// "Dr. Nina Patel (on call), Jordan Brooks, NP (signed in)" or "Nobody now".
export function holdersLine(holders: DirectoryHolder[]): string {
  if (holders.length === 0) return 'Nobody holds it now';
  return holders.map((h) => `${h.display_name} (${h.reason === 'signed_in' ? 'signed in' : 'on call'})`).join(', ');
}

// The second line of a directory result.
export function resultDetail(result: DirectoryResult): string {
  switch (result.kind) {
    case 'person':
      return [result.title, result.department].filter(Boolean).join(' · ') + (result.online ? ' · online' : '');
    case 'role':
      return holdersLine(result.on_call);
    case 'group':
      return `Group · ${result.members} members`;
  }
}
