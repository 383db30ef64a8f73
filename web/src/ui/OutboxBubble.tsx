import { useState } from 'preact/hooks';
import { splitQuote } from '../lib/compose';
import type { OutboxEntry } from '../lib/db';
import { fullWhen } from '../lib/format';
import type { AppStore } from '../lib/store';

// One of the user's messages still in the outbox: waiting to be sent, or refused by the
// server for good. A failed one says why (the server's reason) and can be copied (to
// send it elsewhere), tried again or discarded; it never disappears on its own.
export function OutboxBubble(props: { store: AppStore; entry: OutboxEntry }) {
  const { store, entry } = props;
  const failed = entry.failed !== null;
  const reply = splitQuote(entry.body);
  return (
    <div class={'message own pending' + (failed ? ' failed' : '') + (entry.urgent ? ' urgent' : '')} data-client-id={entry.clientId}>
      <div class="bubble">
        {entry.urgent && <span class="tag urgent-tag">Urgent</span>}
        {reply && (
          <blockquote class="quote">
            <span class="quote-author">{reply.quote.author}</span>
            <span class="quote-text">{reply.quote.text}</span>
          </blockquote>
        )}
        <span class="body">{reply ? reply.text : entry.body}</span>
        {failed ? (
          <FailedActions store={store} entry={entry} />
        ) : (
          <span class="meta">
            <span class="status status-sending" data-status="sending">
              {store.connection === 'offline' ? 'Waiting for network' : 'Sending…'}
            </span>{' '}
            <span class="visually-hidden">written {fullWhen(entry.createdAt)}</span>
          </span>
        )}
      </div>
    </div>
  );
}

function FailedActions(props: { store: AppStore; entry: OutboxEntry }) {
  const { store, entry } = props;
  const [copied, setCopied] = useState<'copied' | 'refused' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(entry.body);
      setCopied('copied');
    } catch {
      setCopied('refused');
    }
  }

  return (
    <>
      <span class="failure" data-status="failed">
        Not sent: {entry.failed}
      </span>
      <span class="failed-actions">
        <button type="button" class="link-button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" class="link-button" onClick={() => void store.retrySend(entry.clientId)}>
          Retry
        </button>
        <button type="button" class="link-button" onClick={() => void store.discardSend(entry.clientId)}>
          Discard
        </button>
        <span role="status" class="copy-state">
          {copied === 'copied' ? 'Copied' : copied === 'refused' ? 'Copying is blocked: select the text instead' : ''}
        </span>
      </span>
    </>
  );
}
