// Writes a long history into a thread, for the browser tests and benchmarks that page it in.
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { signIn, waitLive } from './harness';

// rn.harper writes `count` messages into the seeded direct thread 1 over the protocol,
// "Load line N" for N from `first` on (a later call continues the numbering), from
// `page`, a page on the server's origin (same origin, so the CSP allows it). The
// server runs with --bench-limits, so sends are not paced; at most 200 wait for their
// answer, and a refusal that asks to retry is resent with the same client_id, any
// other error fails. Returns Dr. Patel's unread count in that thread before the first
// send.
export function seed(page: Page, count: number, password: string, first = 1): Promise<number> {
  return page.evaluate(
    async ({ count, password, first }) => {
      const login = async (username: string) => {
        const answer = await fetch('/api/v1/login', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username, password, device_name: 'load' }),
        });
        if (!answer.ok) throw new Error(`login ${username}: ${answer.status}`);
        return ((await answer.json()) as { token: string }).token;
      };
      const reader = await login('dr.patel');
      const auth = { Authorization: `Bearer ${reader}` };
      const { threads } = (await (await fetch('/api/v1/threads', { headers: auth })).json()) as {
        threads: { id: number; unread_count: number }[];
      };
      await fetch('/api/v1/logout', { method: 'POST', headers: auth });
      const unreadBefore = threads.find((t) => t.id === 1)?.unread_count ?? 0;

      const token = await login('rn.harper');
      const ws = new WebSocket(`wss://${location.host}/api/v1/ws`);
      const confirmed = new Set<string>();
      const waiting = new Set<string>();
      const again: string[] = [];
      let failure = '';
      let welcomed = false;
      ws.onmessage = (m) => {
        const frame = JSON.parse(m.data);
        if (frame.type === 'welcome') welcomed = true;
        if (frame.type === 'sent') {
          confirmed.add(frame.client_id);
          waiting.delete(frame.client_id);
        }
        if (frame.type === 'error') {
          if ((frame.code === 'resource_exhausted' || frame.code === 'unavailable') && frame.ref) {
            waiting.delete(frame.ref);
            setTimeout(() => again.push(frame.ref), 250);
          } else failure ||= `${frame.code}: ${frame.message}`;
        }
      };
      ws.onclose = (e) => (failure ||= `socket closed (${e.code} ${e.reason})`);
      await new Promise((r) => (ws.onopen = r));
      ws.send(JSON.stringify({ type: 'hello', token }));
      const started = Date.now();
      const sleep = () => new Promise((r) => setTimeout(r, 10));
      const send = (id: string) => {
        waiting.add(id);
        ws.send(JSON.stringify({ type: 'send', thread_id: 1, client_id: id, body: `Load line ${id.slice(5)}` }));
      };
      let next = first;
      while (confirmed.size < count) {
        if (failure) throw new Error(`seeding: ${failure} after ${confirmed.size} messages`);
        if (Date.now() - started > 60_000) throw new Error(`seeding: only ${confirmed.size} of ${count} confirmed in 60 s`);
        if (welcomed && waiting.size < 200) {
          const id = again.shift() ?? (next < first + count ? `load-${next++}` : undefined);
          if (id !== undefined) {
            send(id);
            continue;
          }
        }
        await sleep();
      }
      ws.onclose = null;
      ws.close();
      return unreadBefore;
    },
    { count, password, first },
  );
}

// Signs dr.patel in on `page` and waits until the seeded thread's unread badge counts
// all `count` messages (so every one is on the server); returns its list item, not
// yet opened.
export async function seededThread(page: Page, count: number, unreadBefore: number): Promise<Locator> {
  await signIn(page, 'dr.patel');
  await waitLive(page);
  const item = page.locator('.thread-item', { hasText: 'Olivia Harper, RN' }).first();
  await expect.poll(() => item.locator('.badge').textContent(), { timeout: 20_000 }).toBe(String(unreadBefore + count));
  return item;
}
