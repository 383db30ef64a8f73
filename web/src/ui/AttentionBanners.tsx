import { useEffect, useState } from 'preact/hooks';
import { attentionText, type Attention } from '../lib/attention';
import { handOffBannerText } from '../lib/handoffs';
import { ApiError } from '../lib/http';
import type { AppStore } from '../lib/store';
import type { HandOff } from '../lib/types';

// Messages that need the user's attention (reminder, unanswered, alert), above both
// panes: each says what happened, opens the message's thread, or is dismissed. Then the
// hand-off notes to the user not accepted yet, each opened at the note or accepted.
export function AttentionBanners(props: { store: AppStore; onOpen: (threadId: number) => void }) {
  const { store } = props;
  return (
    <section class="attention" aria-label="Needs your attention">
      {store.attention.map((attention) => (
        <AttentionBanner key={`${attention.kind}-${attention.messageId}`} store={store} attention={attention} onOpen={props.onOpen} />
      ))}
      {store.handoffs?.map((handOff) => (
        <HandOffBanner key={`handoff-${handOff.message_id}`} store={store} handOff={handOff} onOpen={props.onOpen} />
      ))}
    </section>
  );
}

// "Hand-off note from Olivia Harper, RN for 4 West Charge Nurse": Open shows the note in
// its thread (the Accept there too); Accept accepts it here. It goes once accepted (here,
// in the thread, or on another device: the list is fetched again).
function HandOffBanner(props: { store: AppStore; handOff: HandOff; onOpen: (threadId: number) => void }) {
  const { store, handOff } = props;
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const textId = `handoff-${handOff.message_id}-text`;
  // The role's name, once the roles are known.
  useEffect(() => {
    if (!store.roles) void store.refreshRoles().catch(() => undefined);
  }, []);

  async function open() {
    setBusy(true);
    setFailed(null);
    try {
      props.onOpen(await store.openHandoff(handOff));
    } catch {
      setFailed('The conversation could not be opened.');
    } finally {
      setBusy(false);
    }
  }

  async function accept() {
    setBusy(true);
    setFailed(null);
    try {
      await store.acceptHandoff(handOff.message_id);
    } catch (caught) {
      setFailed(caught instanceof ApiError ? `Not accepted: ${caught.message}` : 'Not accepted. Try again.');
      setBusy(false);
    }
  }

  return (
    <div class="attention-item attention-handoff" role="alert" data-kind="handoff" data-message-id={handOff.message_id}>
      <span class="attention-text" id={textId}>
        {handOffBannerText(handOff, (id) => store.userName(id), (id) => store.roleName(id))}
        {failed && <span class="attention-failed"> {failed}</span>}
      </span>
      <span class="attention-actions">
        <button type="button" class="secondary small-button" aria-describedby={textId} disabled={busy} onClick={() => void open()}>
          Open
        </button>
        <button type="button" class="primary small-button" aria-describedby={textId} disabled={busy} onClick={() => void accept()}>
          Accept
        </button>
      </span>
    </div>
  );
}

function AttentionBanner(props: { store: AppStore; attention: Attention; onOpen: (threadId: number) => void }) {
  const { store, attention } = props;
  const [failed, setFailed] = useState(false);
  const [opening, setOpening] = useState(false);

  async function open() {
    setOpening(true);
    try {
      const threadId = await store.threadOfMessage(attention.messageId);
      store.dismissAttention(attention);
      props.onOpen(threadId);
    } catch {
      setFailed(true);
      setOpening(false);
    }
  }

  return (
    <div class={'attention-item attention-' + attention.kind} role="alert" data-kind={attention.kind} data-message-id={attention.messageId}>
      <span class="attention-text">
        {attentionText(attention.kind)}
        {failed && <span class="attention-failed"> The conversation could not be opened.</span>}
      </span>
      <span class="attention-actions">
        <button type="button" class="primary small-button" disabled={opening} onClick={() => void open()}>
          Open conversation
        </button>
        <button type="button" class="link-button" onClick={() => store.dismissAttention(attention)}>
          Dismiss
        </button>
      </span>
    </div>
  );
}
