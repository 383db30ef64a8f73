import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, startServer, type Client, type Server } from './harness';
import { seed, seededThread } from './seed';

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

describe('long history', () => {
  test(`a thread of ${kCount} messages pages backwards, keeps the DOM small and the reader's place`, { timeout: 180_000 }, async () => {
    const page = patel.page;
    const item = await seededThread(page, kCount, await seed(page, kCount, kPassword));
    await item.click();
    await page.locator('.message', { hasText: `Load line ${kCount}` }).waitFor();

    const scroller = page.getByRole('log', { name: 'Messages' });
    // The first page has finished laying out (rows measured, the view at the newest):
    // its height holds still for half a second. A page that grows later is the older
    // page the loop below waits for, not the first one still settling.
    let settled = -1;
    await expect
      .poll(async () => {
        const height = await scroller.evaluate((el) => el.scrollHeight);
        const still = height === settled;
        settled = height;
        return still;
      }, { timeout: 15_000, interval: 500 })
      .toBe(true);
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
