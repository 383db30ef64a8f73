import { useEffect, useRef, useState } from 'preact/hooks';
import { shortWhen } from '../lib/format';
import { ApiError } from '../lib/http';
import { highlightPieces, type MessageSearchPage } from '../lib/search';
import type { AppStore } from '../lib/store';
import type { MessageEvent } from '../lib/types';
import { Dialog } from './Dialog';

// Search one's own messages on the server (GET /api/v1/search/messages, docs/search.md):
// hits newest first with the matching words marked; a hit opens its conversation at it.
export function MessageSearch(props: { store: AppStore; onClose: () => void; onOpened: (threadId: number, messageId: number) => void }) {
  const { store } = props;
  const [query, setQuery] = useState('');
  const [page, setPage] = useState<MessageSearchPage | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const latest = useRef(0);

  // Results as one types: a short pause, and only the newest answer is shown.
  useEffect(() => {
    const text = query.trim();
    if (!/[\p{L}\p{N}]/u.test(text)) {
      setPage(null);
      return;
    }
    const asked = ++latest.current;
    const timer = setTimeout(() => {
      store.api
        .searchMessages(text)
        .then((answer) => {
          if (asked === latest.current) {
            setProblem(null);
            setPage(answer);
          }
        })
        .catch((caught) => {
          if (asked === latest.current) setProblem(caught instanceof ApiError ? caught.message : 'The search did not work.');
        });
    }, 250);
    return () => clearTimeout(timer);
  }, [query]);

  async function more() {
    if (!page || page.next_before === null) return;
    const asked = latest.current;
    try {
      const next = await store.api.searchMessages(query.trim(), page.next_before);
      if (asked === latest.current) setPage({ hits: [...page.hits, ...next.hits], words: next.words, next_before: next.next_before });
    } catch (caught) {
      setProblem(caught instanceof ApiError ? caught.message : 'The search did not work.');
    }
  }

  function where(hit: MessageEvent): string {
    const state = store.threads.get(hit.thread_id);
    return state ? store.threadTitle(state.thread) : 'A conversation';
  }

  return (
    <Dialog title="Search messages" onClose={props.onClose} wide>
      <label for="message-search-query">Search your messages</label>
      <input
        id="message-search-query"
        type="search"
        placeholder="Whole words, e.g. potassium bed 12"
        value={query}
        autoFocus
        autoComplete="off"
        maxLength={256}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {page !== null && (
        <ul class="pick-list search-results" aria-label="Message search results">
          {page.hits.map((hit) => (
            <li key={hit.id}>
              <button type="button" class="pick search-hit" data-message-id={hit.id} onClick={() => props.onOpened(hit.thread_id, hit.id)}>
                <span class="pick-name">
                  {where(hit)} <span class="muted small">· {store.userName(hit.sender_id)} · {shortWhen(hit.at)}</span>
                </span>
                <span class="search-body">
                  {highlightPieces(hit.body, page.words).map((piece, i) => (piece.match ? <mark key={i}>{piece.text}</mark> : piece.text))}
                </span>
              </button>
            </li>
          ))}
          {page.hits.length === 0 && <li class="muted">No message has all of these words.</li>}
        </ul>
      )}
      {page !== null && page.next_before !== null && (
        <button type="button" class="link-button" onClick={() => void more()}>
          Show older
        </button>
      )}
    </Dialog>
  );
}
