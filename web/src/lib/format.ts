// Times as the user's locale writes them. The formatters are made once: a formatter is
// costly to create, and a list renders a time for every visible message on every
// scroll frame (docs/benchmarks.md, "Web app: scrolling a 10,000-message thread").
const timeFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const weekdayFormat = new Intl.DateTimeFormat([], { weekday: 'short' });
const dayFormat = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short' });
const fullFormat = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function timeOfDay(at: string | number): string {
  return timeFormat.format(new Date(at));
}

// "14:03" today, "Mon 14:03" this week, else "2 Jun".
export function shortWhen(at: string, now = Date.now()): string {
  const date = new Date(at);
  const age = now - date.getTime();
  if (new Date(now).toDateString() === date.toDateString()) return timeOfDay(at);
  if (age < 6 * 24 * 3600 * 1000) return weekdayFormat.format(date) + ' ' + timeOfDay(at);
  return dayFormat.format(date);
}

export function fullWhen(at: string | null): string {
  if (!at) return '—';
  return fullFormat.format(new Date(at));
}

export function initials(name: string): string {
  const words = name.replace(/^(Dr\.|Mr\.|Ms\.|Mrs\.)\s+/, '').split(/[\s,]+/).filter(Boolean);
  return ((words[0]?.[0] ?? '') + (words[1]?.[0] ?? '')).toUpperCase() || '?';
}
