import { useEffect, useState } from 'preact/hooks';
import { splitQuote } from '../lib/compose';
import { fullWhen } from '../lib/format';
import { whenText } from '../lib/forwarding';
import { decisionText, kGoneText, screenedForText } from '../lib/gatekeepers';
import { ApiError } from '../lib/http';
import { newClientId } from '../lib/outbox';
import type { AppStore } from '../lib/store';
import type { Screened, ScreeningAction } from '../lib/types';
import { Dialog } from './Dialog';

// The user's screening list as a gatekeeper (docs/routing.md, "Gatekeepers"): each
// message to a colleague who named them, waiting for a decision, with Pass on, Hold and
// Answer. The list is the store's (GET /screening), fetched when the dialog opens, at
// every `screening` event and after each decision; what a decision did is said briefly.
export function ScreeningDialog(props: { store: AppStore; onClose: () => void }) {
  const { store } = props;
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState<number | null>(null);

  useEffect(() => {
    void store.refreshScreening();
  }, []);

  async function decide(screened: Screened, action: ScreeningAction): Promise<boolean> {
    setError(null);
    setDone('');
    setBusy(screened.held_id);
    try {
      const { outcome } = await store.decideScreening(screened.held_id, action);
      setDone(`${decisionText(outcome, screened.user_id, (id) => store.userName(id))}.`);
      return true;
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 404) setError(kGoneText);
      else setError(caught instanceof ApiError ? caught.message : 'That did not work. Try again.');
      return false;
    } finally {
      setBusy(null);
    }
  }

  const list = store.screening;
  return (
    <Dialog title="Screening" onClose={props.onClose} wide>
      <p class="muted small">Messages to colleagues who named you as a gatekeeper, waiting for your decision while they are not available.</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="screening-done" role="status">
        {done}
      </p>
      {list === null && !error && <p class="muted">Loading…</p>}
      {list?.length === 0 && <p class="muted">Nothing is waiting for screening.</p>}
      {list && list.length > 0 && (
        <ul class="screening-list" aria-label="Messages to screen">
          {list.map((screened) => (
            <ScreenedItem key={screened.held_id} store={store} screened={screened} busy={busy !== null} onDecide={decide} />
          ))}
        </ul>
      )}
    </Dialog>
  );
}

function ScreenedItem(props: {
  store: AppStore;
  screened: Screened;
  busy: boolean;
  onDecide: (screened: Screened, action: ScreeningAction) => Promise<boolean>;
}) {
  const { store, screened } = props;
  const [answering, setAnswering] = useState(false);
  const [answer, setAnswer] = useState('');
  const name = (id: number) => store.userName(id);
  const headingId = `screened-${screened.held_id}`;
  const fieldId = `screened-answer-${screened.held_id}`;
  const reply = splitQuote(screened.body);
  const status = store.personStatus(screened.user_id)?.status;

  async function send() {
    const body = answer.trim();
    if (!body) return;
    if (await props.onDecide(screened, { action: 'answer', client_id: newClientId(), body })) {
      setAnswer('');
      setAnswering(false);
    }
  }

  return (
    <li class={'screened' + (screened.urgent ? ' urgent' : '')} data-held-id={screened.held_id}>
      <h3 id={headingId} class="screened-for">
        {screenedForText(screened, name, status)}
      </h3>
      <p class="screened-from muted small">
        From {name(screened.sender_id)} · <span class="visually-hidden">sent {fullWhen(screened.held_at)}</span>
        <span aria-hidden="true">{whenText(screened.held_at, Date.now())}</span>
      </p>
      {screened.urgent && <span class="tag urgent-tag">Urgent</span>}
      {reply && (
        <blockquote class="quote">
          <span class="quote-author">{reply.quote.author}</span>
          <span class="quote-text">{reply.quote.text}</span>
        </blockquote>
      )}
      <p class="screened-body">{reply ? reply.text : screened.body}</p>
      <div class="screening-actions">
        <button type="button" class="primary" aria-describedby={headingId} disabled={props.busy} onClick={() => void props.onDecide(screened, { action: 'pass' })}>
          Pass on
        </button>
        <button type="button" class="secondary info-button" aria-describedby={headingId} disabled={props.busy} onClick={() => void props.onDecide(screened, { action: 'hold' })}>
          Hold
        </button>
        <button
          type="button"
          class="secondary info-button"
          aria-describedby={headingId}
          aria-expanded={answering}
          aria-controls={answering ? `${fieldId}-form` : undefined}
          disabled={props.busy}
          onClick={() => {
            setAnswering(!answering);
            if (!answering) requestAnimationFrame(() => document.getElementById(fieldId)?.focus());
          }}
        >
          Answer
        </button>
      </div>
      {answering && (
        <form
          id={`${fieldId}-form`}
          class="screening-answer"
          onSubmit={(event) => {
            event.preventDefault();
            void send();
          }}
        >
          <label for={fieldId}>Answer to {name(screened.sender_id)}</label>
          <textarea id={fieldId} rows={2} value={answer} onInput={(e) => setAnswer((e.target as HTMLTextAreaElement).value)} />
          <div class="shift-actions">
            <button type="submit" class="primary" disabled={props.busy || !answer.trim()}>
              Send answer
            </button>
            <button type="button" class="secondary info-button" onClick={() => setAnswering(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
