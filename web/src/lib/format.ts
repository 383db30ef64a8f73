// Times as the user's locale writes them. The formatters are made once: a formatter is
// costly to create, and a list renders a time for every visible message on every
// scroll frame (docs/benchmarks.md, "Web app: scrolling a 10,000-message thread").
const timeFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const weekdayFormat = new Intl.DateTimeFormat([], { weekday: 'short' });
const dayFormat = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short' });
const fullFormat = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayNameFormat = new Intl.DateTimeFormat([], { weekday: 'long' });
const dateFormat = new Intl.DateTimeFormat([], { weekday: 'short', day: 'numeric', month: 'short' });
const dateWithYearFormat = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short', year: 'numeric' });
const kDayMs = 24 * 3600 * 1000;

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

// The local calendar day of a time, as a key that sorts: "2025-06-02".
export function dayKey(at: string | number): string {
  const date = new Date(at);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

// Whole local days from the day of `at` to the day of `now` (0: the same day).
function daysBefore(at: string | number, now: number): number {
  const day = new Date(at);
  const today = new Date(now);
  const start = Date.UTC(day.getFullYear(), day.getMonth(), day.getDate());
  const end = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  return Math.round((end - start) / kDayMs);
}

// The name of the day a message was written, for the separators of a thread: "Today",
// "Yesterday", the weekday within the last week ("Monday"), else the date ("Mon 2
// Jun"), with the year when it is not this year ("2 Jun 2024").
export function dayLabel(at: string | number, now = Date.now()): string {
  const days = daysBefore(at, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const date = new Date(at);
  if (days > 1 && days < 7) return dayNameFormat.format(date);
  if (date.getFullYear() === new Date(now).getFullYear()) return dateFormat.format(date);
  return dateWithYearFormat.format(date);
}

// A medical record number labelled once: "MRN 100234" for "100234" and for a value
// that already carries the label ("MRN-100234", "MRN: 100234").
export function mrnLabel(mrn: string): string {
  return `MRN ${mrn.replace(/^\s*MRN\s*[-:#]?\s*/i, '')}`;
}

export function fullWhen(at: string | null): string {
  if (!at) return '—';
  return fullFormat.format(new Date(at));
}

export function initials(name: string): string {
  const words = name.replace(/^(Dr\.|Mr\.|Ms\.|Mrs\.)\s+/, '').split(/[\s,]+/).filter(Boolean);
  return ((words[0]?.[0] ?? '') + (words[1]?.[0] ?? '')).toUpperCase() || '?';
}
