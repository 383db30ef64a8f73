import { useState } from 'preact/hooks';
import { splitQuote } from '../lib/compose';
import { fullWhen, timeOfDay } from '../lib/format';
import { heldText } from '../lib/held';
import type { AppStore } from '../lib/store';
import type { Held } from '../lib/types';

// One of the user's messages held for an off-duty person, or screened by the person's
// gatekeepers: the server has it, the recipient does not yet. It says whom or what it
// waits for ("With Riley Morgan for screening — …", "Held by Riley Morgan until …"), and
// can be withdrawn (its text goes back to the composer); released, it is replaced by the
// message itself.
export function HeldBubble(props: { store: AppStore; held: Held; onWithdraw: (held: Held) => Promise<void> }) {
  const { store, held } = props;
  const [busy, setBusy] = useState(false);
  const reply = splitQuote(held.body);
  const noteId = `held-note-${held.held_id}`;

  async function withdraw() {
    setBusy(true);
    try {
      await props.onWithdraw(held);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div
      class={'message own held' + (held.urgent ? ' urgent' : '')}
      data-held-id={held.held_id}
      data-client-id={held.client_id}
      data-state={held.state ?? 'off_duty'}
    >
      <div class="bubble">
        {held.urgent && <span class="tag urgent-tag">Urgent</span>}
        {reply && (
          <blockquote class="quote">
            <span class="quote-author">{reply.quote.author}</span>
            <span class="quote-text">{reply.quote.text}</span>
          </blockquote>
        )}
        <span class="body">{reply ? reply.text : held.body}</span>
        <span class="meta">
          <span class="visually-hidden">Sent {fullWhen(held.held_at)}. </span>
          <span aria-hidden="true">{timeOfDay(held.held_at)} · </span>
          <span id={noteId} class="status status-held" data-status="held">
            {heldText(held, (id) => store.userName(id), store.heldContext(held.user_id))}
          </span>
        </span>
        <span class="held-actions">
          <button type="button" class="link-button" aria-describedby={noteId} disabled={busy} onClick={() => void withdraw()}>
            Withdraw
          </button>
        </span>
      </div>
    </div>
  );
}
