import type { User } from './types';

// Directory search runs in the app over the directory it already holds
// (GET /api/v1/users, loaded at start for names and presence): docs/web.md,
// "Directory search".

// Lower case, without accents or punctuation: "José" and "jose", "Dr." and "dr" match.
export function foldForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// Every word of the query is part of the person's name, username, title or department
// ("dr patel", "nurse", "4 west", "jose", "arp").
export function matchesUser(user: User, query: string): boolean {
  const words = foldForSearch(query).split(' ').filter(Boolean);
  if (words.length === 0) return true;
  const haystack = foldForSearch(`${user.display_name} ${user.username} ${user.title}`);
  return words.every((word) => haystack.includes(word));
}

// Sort key of a name: without a leading honorific, so Dr. Nina Patel sorts under N.
function sortName(user: User): string {
  return foldForSearch(user.display_name).replace(/^(dr|mr|mrs|ms|mx|prof) /, '');
}

// The people matching `query`, except `exclude`, sorted by name.
export function searchDirectory(users: Iterable<User>, query: string, exclude: ReadonlySet<number> = new Set()): User[] {
  return [...users]
    .filter((user) => !exclude.has(user.id) && matchesUser(user, query))
    .sort((a, b) => sortName(a).localeCompare(sortName(b)) || a.id - b.id);
}
