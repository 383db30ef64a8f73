import { useEffect, useState } from 'preact/hooks';
import { fullWhen } from '../lib/format';
import type { AppStore, ThreadState } from '../lib/store';
import type { RecipientStatus } from '../lib/status';
import type { MessageEvent } from '../lib/types';
import { Dialog } from './Dialog';

// Per-recipient delivery and read times of one message, from GET /messages/{id}/status,
// refreshed when receipts for the thread arrive.
export function MessageDetail(props: { store: AppStore; state: ThreadState; message: MessageEvent; onClose: () => void }) {
  const { store, state, message } = props;
  const [recipients, setRecipients] = useState<RecipientStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const live = store.recipientStatuses(state, message);
  const liveKey = live.map((r) => `${r.userId}:${r.delivered}:${r.read}`).join(',');

  useEffect(() => {
    let cancelled = false;
    store
      .loadStatus(state, message)
      .then((answer) => {
        if (!cancelled) setRecipients(answer);
      })
      .catch(() => {
        if (!cancelled) setError('The status could not be loaded. It shows what this device has seen.');
      });
    return () => {
      cancelled = true;
    };
  }, [message.id, liveKey]);

  const rows = recipients ?? live;
  return (
    <Dialog title="Message details" onClose={props.onClose}>
      <p class="detail-body">{message.body}</p>
      <p class="muted">
        {message.urgent && <span class="tag urgent-tag">Urgent</span>}
        {message.sender_id !== store.selfId && ` From ${store.userName(message.sender_id)}.`} Sent {fullWhen(message.at)}
      </p>
      {error && <p class="error">{error}</p>}
      <table class="receipts">
        <caption class="visually-hidden">Delivery by recipient</caption>
        <thead>
          <tr>
            <th scope="col">Recipient</th>
            <th scope="col">Delivered</th>
            <th scope="col">Read</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.userId} data-user-id={r.userId}>
              <th scope="row">{store.userName(r.userId)}</th>
              <td class="delivered-cell">{r.delivered ? fullWhen(r.deliveredAt) : 'Not yet'}</td>
              <td class="read-cell">{r.read ? fullWhen(r.readAt) : 'Not yet'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
