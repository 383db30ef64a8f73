// The reader's place, kept in sessionStorage so that a reload returns to it: the open
// thread and where its new-messages divider was (the read position when it was
// opened). Ids and positions only, never message text.

export interface Place {
  userId: number;
  threadId: number;
  // The divider goes after this seq; null: no divider.
  unreadAfter: number | null;
}

const kKey = 'wardline.place';

export function savePlace(place: Place, storage: Storage = sessionStorage): void {
  storage.setItem(kKey, JSON.stringify(place));
}

export function clearPlace(storage: Storage = sessionStorage): void {
  storage.removeItem(kKey);
}

// The place saved for this user, if any.
export function savedPlace(userId: number, storage: Storage = sessionStorage): Place | null {
  try {
    const place = JSON.parse(storage.getItem(kKey) ?? 'null') as Place | null;
    return place && place.userId === userId && Number.isInteger(place.threadId) ? place : null;
  } catch {
    return null;
  }
}
