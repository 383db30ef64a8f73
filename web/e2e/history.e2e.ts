import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, signIn, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let patel: Client;
const kCount = 1500;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  patel = await newClient(browser, server);
  await signIn(patel.page, 'dr.patel');
  await waitLive(patel.page);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('long history', () => {
  test(`a thread of ${kCount} messages pages backwards and keeps the DOM small`, async () => {
    const page = patel.page;
    const item = page.locator('.thread-item', { hasText: 'Olivia Harper, RN' }).first();
    const badge = item.locator('.badge');
    const unreadBefore = (await badge.count()) > 0 ? Number(await badge.textContent()) : 0;
    // rn.harper writes kCount messages into the seeded direct thread 1, over the protocol,
    // from a second session opened inside the page (same origin, so the CSP allows it).
    const sent = await page.evaluate(
      async ({ count, password }) => {
        const login = await fetch('/api/v1/login', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'rn.harper', password, device_name: 'load' }),
        });
        const { token } = await login.json();
        const ws = new WebSocket(`wss://${location.host}/api/v1/ws`);
        await new Promise((r) => (ws.onopen = r));
        let confirmed = 0;
        let welcomed: () => void = () => undefined;
        const welcome = new Promise<void>((r) => (welcomed = r));
        ws.onmessage = (m) => {
          const frame = JSON.parse(m.data);
          if (frame.type === 'welcome') welcomed();
          if (frame.type === 'sent') confirmed++;
        };
        ws.send(JSON.stringify({ type: 'hello', token }));
        await welcome;
        for (let i = 1; i <= count; i++) {
          ws.send(JSON.stringify({ type: 'send', thread_id: 1, client_id: `load-${i}`, body: `Load line ${i}` }));
          while (i - confirmed > 150) await new Promise((r) => setTimeout(r, 20));
        }
        while (confirmed < count) await new Promise((r) => setTimeout(r, 20));
        ws.close();
        return confirmed;
      },
      { count: kCount, password: kPassword },
    );
    expect(sent).toBe(kCount);

    await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toBe(String(unreadBefore + kCount));
    await item.click();
    await page.locator('.message', { hasText: `Load line ${kCount}` }).waitFor();

    const scroller = page.getByRole('log', { name: 'Messages' });
    let rowsSeen = 0;
    for (let round = 0; round < 40; round++) {
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await page.waitForTimeout(150);
      rowsSeen = Math.max(rowsSeen, await page.locator('.row').count());
      if ((await page.locator('.history-edge').textContent()) === 'Beginning of the conversation') break;
    }
    expect(await page.locator('.history-edge').textContent()).toBe('Beginning of the conversation');
    await page.locator('.message', { hasText: 'Dr. Patel, are you on the unit this afternoon?' }).waitFor();
    // Every message is loaded, but only a window of rows is in the document.
    expect(rowsSeen).toBeLessThan(60);
    const height = await scroller.evaluate((el) => el.scrollHeight);
    expect(height).toBeGreaterThan(kCount * 40);

    // Jumping to the middle renders promptly.
    const started = Date.now();
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    const middle = async () => {
      const texts = await page.locator('.message .body').allTextContents();
      return texts.map((t) => Number(/^Load line (\d+)$/.exec(t)?.[1] ?? 0)).filter((n) => n > 300 && n < 1200).length;
    };
    await expect.poll(middle, { timeout: 5000 }).toBeGreaterThan(3);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await page.locator('.row').count()).toBeLessThan(60);
  });
});
