import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, openThreadByTitle, sendText, seriousViolations, signIn, startServer, userDatabases, waitLive, type Server } from './harness';

// `npm run screenshots` refreshes docs/screenshots; a plain test run writes them to a
// temporary folder, leaving the checkout untouched.
const shots = process.env.WARDLINE_SCREENSHOTS_DIR
  ? resolve(process.env.WARDLINE_SCREENSHOTS_DIR)
  : mkdtempSync(join(tmpdir(), 'wardline-shots-'));
let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// Rows of the message list whose box runs into the next row's.
function overlappingRows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll<HTMLElement>('.scroller .row')].sort((a, b) => a.offsetTop - b.offsetTop);
    const overlaps: string[] = [];
    for (let i = 0; i + 1 < rows.length; i++) {
      const bottom = rows[i].offsetTop + rows[i].offsetHeight;
      if (bottom > rows[i + 1].offsetTop + 1) overlaps.push(`${rows[i].dataset.rowKey} ends at ${bottom}, ${rows[i + 1].dataset.rowKey} starts at ${rows[i + 1].offsetTop}`);
    }
    return overlaps;
  });
}

// Controls and rows that stick out past the right edge of the window: at phone width a
// long preview must shorten, not push the New button or the times off the screen.
function beyondTheViewport(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('button, input, textarea, .thread-item *, .message, .patient-banner')]
      .filter((e) => (e as HTMLElement).offsetParent !== null && e.getBoundingClientRect().right > window.innerWidth + 1)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${Math.round(e.getBoundingClientRect().right)} > ${window.innerWidth}`),
  );
}

describe('sign-in, session and views', () => {
  test('a wrong password says so; the session survives a reload; sign-out clears local data', async () => {
    const { page, context } = await newClient(browser, server);
    await page.getByLabel('Username').fill('dr.garcia');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong username or password.');

    await page.getByLabel('Password').fill(kPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
    await waitLive(page);
    expect(await userDatabases(page)).toHaveLength(1);

    await page.reload();
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
    await waitLive(page);
    expect(await page.getByLabel('Username').count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor();
    await expect.poll(() => userDatabases(page)).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();
    await page.getByLabel('Username').waitFor();
    await context.close();
  });

  test('the service worker precaches the app shell and stores no API answer', async () => {
    const { page, context } = await newClient(browser, server);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await signIn(page, 'dr.garcia');
    await waitLive(page);
    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
      }
      return urls;
    });
    expect(cached).toContain('/index.html');
    expect(cached.some((u) => u.startsWith('/assets/'))).toBe(true);
    expect(cached.filter((u) => u.startsWith('/api/'))).toEqual([]);
    await context.close();
  });

  test('axe finds no serious or critical violation on login, list and thread; screenshots', async () => {
    for (const viewport of [{ width: 1280, height: 800, name: 'desktop' }, { width: 390, height: 844, name: 'phone' }]) {
      const { page, context } = await newClient(browser, server, viewport);
      await page.getByLabel('Username').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: `${shots}/login-${viewport.name}.png` });

      await signIn(page, 'rn.harper');
      await waitLive(page);
      expect(await seriousViolations(page)).toEqual([]);
      expect(await beyondTheViewport(page)).toEqual([]);
      await page.screenshot({ path: `${shots}/list-${viewport.name}.png` });

      // The New dialog's three tabs: labelled, and inside the screen at phone width.
      await page.getByRole('button', { name: 'New', exact: true }).click();
      await page.getByLabel('Search the directory').fill('dr');
      for (const tab of ['New group', 'Patient', 'Person or group']) {
        await page.getByRole('tab', { name: tab }).click();
        expect(await seriousViolations(page)).toEqual([]);
        expect(await beyondTheViewport(page)).toEqual([]);
      }
      await page.screenshot({ path: `${shots}/new-${viewport.name}.png` });
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });

      await page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).first().click();
      await page.locator('.patient-banner').waitFor();
      await sendText(page, `Repeat troponin drawn at 14:10 (${viewport.name}).`);
      await page.locator('.message.own [data-status="sent"], .message.own [data-status="delivered"], .message.own [data-status="read"]').first().waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      expect(await beyondTheViewport(page)).toEqual([]);
      await page.screenshot({ path: `${shots}/thread-${viewport.name}.png` });

      await page.locator('.message.own', { hasText: `(${viewport.name})` }).getByRole('button', { name: /^Options for / }).click();
      await page.getByRole('dialog', { name: 'Message options' }).getByRole('button', { name: 'Details' }).click();
      await page.getByRole('dialog', { name: 'Message details' }).locator('tbody tr').first().waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: `${shots}/detail-${viewport.name}.png` });
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });

      if (viewport.name === 'desktop') {
        // Narrower, the bubbles wrap to more lines: the list measures its rows again
        // and no row overlaps the next.
        await page.setViewportSize({ width: 420, height: 800 });
        await expect.poll(() => overlappingRows(page)).toEqual([]);
        await page.setViewportSize(viewport);
        await expect.poll(() => overlappingRows(page)).toEqual([]);
      }
      if (viewport.name === 'phone') {
        // One pane: the back button returns to the list.
        await page.getByRole('button', { name: 'Back to conversations' }).click();
        await page.getByRole('list', { name: 'Conversations' }).waitFor();
      }
      await context.close();
    }
  });

  test('dark mode: the thread view uses the dark palette, passes axe; screenshot', async () => {
    const { page, context } = await newClient(browser, server, { width: 390, height: 844 }, { context: { colorScheme: 'dark' } });
    await signIn(page, 'rn.harper');
    await waitLive(page);
    await page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).first().click();
    await page.locator('.patient-banner').waitFor();
    await sendText(page, 'Echo booked for 15:30.');
    await page.locator('.message.own', { hasText: 'Echo booked for 15:30.' }).locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').waitFor();
    // Dark background and light text, read from the rendered page.
    const luminance = await page.evaluate(() => {
      const channel = (css: string) => {
        const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      };
      const root = getComputedStyle(document.documentElement);
      return { background: channel(root.backgroundColor), text: channel(root.color) };
    });
    expect(luminance.background).toBeLessThan(0.2);
    expect(luminance.text).toBeGreaterThan(0.8);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${shots}/thread-dark-phone.png` });
    await context.close();
  });

  test('Shift+Enter makes a new line and Enter sends', async () => {
    const { page, context } = await newClient(browser, server);
    await signIn(page, 'dr.patel');
    await waitLive(page);
    await openThreadByTitle(page, 'Olivia Harper, RN');
    const box = page.getByLabel('Message', { exact: true });
    await box.click();
    await page.keyboard.type('Line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('Line two');
    expect(await box.inputValue()).toBe('Line one\nLine two');
    await page.keyboard.press('Enter');
    await page.locator('.message.own', { hasText: 'Line two' }).waitFor();
    expect(await box.inputValue()).toBe('');
    await context.close();
  });
});
