import { useState } from 'preact/hooks';
import { attentionText, type Attention } from '../lib/attention';
import type { AppStore } from '../lib/store';

// Messages that need the user's attention (reminder, unanswered, alert), above both
// panes: each says what happened, opens the message's thread, or is dismissed.
export function AttentionBanners(props: { store: AppStore; onOpen: (threadId: number) => void }) {
  const { store } = props;
  return (
    <section class="attention" aria-label="Needs your attention">
      {store.attention.map((attention) => (
        <AttentionBanner key={`${attention.kind}-${attention.messageId}`} store={store} attention={attention} onOpen={props.onOpen} />
      ))}
    </section>
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
