import { useEffect, useRef, useState } from 'preact/hooks';
import { statusTag } from '../lib/availability';
import { forwardsTag } from '../lib/forwarding';
import type { AppStore } from '../lib/store';

// A colleague's availability and forwarding beside their name in the directory and the
// people picker: "Busy", "Off duty", "→ Dr. Yasmin Haddad"; nothing when they are
// available and do not forward. Asked of the server only once the row is on screen
// (store.personStatus: a few at a time, cached, asked again after availability_changed).
export function PersonStatusTag(props: { store: AppStore; userId: number }) {
  const { store, userId } = props;
  const ref = useRef<HTMLSpanElement>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element || seen) return;
    if (typeof IntersectionObserver === 'undefined') {
      setSeen(true);
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) {
        setSeen(true);
        observer.disconnect();
      }
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [seen]);
  const person = seen ? store.personStatus(userId) : undefined;
  const status = person ? statusTag(person.status) : '';
  const forwards = person ? forwardsTag(person, Date.now(), (id) => store.userName(id), (id) => store.roleName(id)) : '';
  return (
    <span ref={ref} class="person-tags" data-user-id={userId} data-status={person?.status}>
      {status && <span class={'status-tag status-' + (person?.status ?? '')}>{status}</span>}
      {forwards && (
        <span class="forwards-tag">
          <span class="visually-hidden">forwards to </span>
          <span aria-hidden="true">→ </span>
          {forwards.replace(/^→ /, '')}
        </span>
      )}
    </span>
  );
}
