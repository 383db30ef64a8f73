export function timeOfDay(at: string): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// "14:03" today, "Mon 14:03" this week, else "2 Jun".
export function shortWhen(at: string, now = Date.now()): string {
  const date = new Date(at);
  const age = now - date.getTime();
  if (new Date(now).toDateString() === date.toDateString()) return timeOfDay(at);
  if (age < 6 * 24 * 3600 * 1000) return date.toLocaleDateString([], { weekday: 'short' }) + ' ' + timeOfDay(at);
  return date.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

export function fullWhen(at: string | null): string {
  if (!at) return '—';
  return new Date(at).toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function initials(name: string): string {
  const words = name.replace(/^(Dr\.|Mr\.|Ms\.|Mrs\.)\s+/, '').split(/[\s,]+/).filter(Boolean);
  return ((words[0]?.[0] ?? '') + (words[1]?.[0] ?? '')).toUpperCase() || '?';
}
