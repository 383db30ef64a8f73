import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, signIn, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let patel: Client;
const kCount = 10_000;
const kMaxRows = 60;

beforeAll(async () => {
  // --bench-limits lifts the send rate limit (200/s per user), so 10,000 messages
  // are written in seconds rather than close to a minute.
  server = await startServer({ extraArgs: ['--bench-limits'] });
  browser = await launchBrowser(server);
  // Not signed in yet: the history is written first, so the app has to page it in.
  patel = await newClient(browser, server);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// rn.harper writes `count` messages into the seeded direct thread 1 over the protocol,
// from the page (same origin, so the CSP allows it). The server runs with
// --bench-limits, so sends are not paced; at most 200 wait for their answer, and a
// refusal that asks to retry is resent with the same client_id, any other error fails.
// Returns Dr. Patel's unread count in that thread before the first send.
function seed(count: number, password: string): Promise<number> {
  return patel.page.evaluate(
    async ({ count, password }) => {
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
      let next = 1;
      while (confirmed.size < count) {
        if (failure) throw new Error(`seeding: ${failure} after ${confirmed.size} messages`);
        if (Date.now() - started > 60_000) throw new Error(`seeding: only ${confirmed.size} of ${count} confirmed in 60 s`);
        if (welcomed && waiting.size < 200) {
          const id = again.shift() ?? (next <= count ? `load-${next++}` : undefined);
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
    { count, password },
  );
}

describe('long history', () => {
  test(`a thread of ${kCount} messages pages backwards, keeps the DOM small and the reader's place`, { timeout: 180_000 }, async () => {
    const page = patel.page;
    const unreadBefore = await seed(kCount, kPassword);
    await signIn(page, 'dr.patel');
    await waitLive(page);

    const item = page.locator('.thread-item', { hasText: 'Olivia Harper, RN' }).first();
    await expect.poll(() => item.locator('.badge').textContent(), { timeout: 20_000 }).toBe(String(unreadBefore + kCount));
    await item.click();
    await page.locator('.message', { hasText: `Load line ${kCount}` }).waitFor();

    const scroller = page.getByRole('log', { name: 'Messages' });
    let rowsSeen = 0;
    let pages = 0;
    for (let round = 0; round < 150; round++) {
      // The reader reaches the top: the oldest loaded message is the first one on screen.
      // Measured in the next frame, which comes before the older page can arrive.
      const top = await scroller.evaluate(
        (el) =>
          new Promise<{ id: string; offset: number; height: number; edge: string; rows: number }>((resolve) => {
            el.scrollTop = 0;
            requestAnimationFrame(() => {
              const first = el.querySelector<HTMLElement>('.message[data-message-id]');
              resolve({
                id: first?.dataset.messageId ?? '',
                offset: first ? first.getBoundingClientRect().top - el.getBoundingClientRect().top : NaN,
                height: el.scrollHeight,
                edge: el.querySelector('.history-edge')?.textContent ?? '',
                rows: el.querySelectorAll('.row').length,
              });
            });
          }),
      );
      rowsSeen = Math.max(rowsSeen, top.rows);
      if (top.edge === 'Beginning of the conversation') break;
      expect(top.id).not.toBe('');
      // The older page arrives and is added above...
      await expect.poll(() => scroller.evaluate((el) => el.scrollHeight), { timeout: 15_000 }).toBeGreaterThan(top.height);
      pages++;
      // ...and the message that was at the top is still there, at the same place.
      const after = await scroller.evaluate((el, id) => {
        const row = el.querySelector<HTMLElement>(`.message[data-message-id="${id}"]`);
        return {
          offset: row ? row.getBoundingClientRect().top - el.getBoundingClientRect().top : NaN,
          rows: el.querySelectorAll('.row').length,
        };
      }, top.id);
      rowsSeen = Math.max(rowsSeen, after.rows);
      expect(Math.abs(after.offset - top.offset), `message ${top.id} after page ${pages} (NaN: no longer in the document)`).toBeLessThan(4);
    }
    expect(await page.locator('.history-edge').textContent()).toBe('Beginning of the conversation');
    await page.locator('.message', { hasText: 'Dr. Patel, are you on the unit this afternoon?' }).waitFor();
    // 50 on opening, then pages of 100.
    expect(pages).toBeGreaterThanOrEqual(Math.ceil((kCount - 50) / 100));
    // Every message is loaded, but only a window of rows is in the document.
    expect(rowsSeen).toBeLessThan(kMaxRows);
    const height = await scroller.evaluate((el) => el.scrollHeight);
    expect(height).toBeGreaterThan(kCount * 40);

    // Jumping to the middle renders the rows there (and still only a window of them).
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    const middle = async () => {
      const texts = await page.locator('.message .body').allTextContents();
      return texts.map((t) => Number(/^Load line (\d+)$/.exec(t)?.[1] ?? 0)).filter((n) => n > kCount * 0.2 && n < kCount * 0.8).length;
    };
    await expect.poll(middle, { timeout: 10_000 }).toBeGreaterThan(3);
    expect(await page.locator('.row').count()).toBeLessThan(kMaxRows);
  });
});
