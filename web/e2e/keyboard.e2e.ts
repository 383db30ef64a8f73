// Everything a clinician does, done with the keyboard alone: Tab moves the focus, Enter
// and Space act, Esc closes. Reaching a control means reaching it in the tab order; a
// control that only a pointer can reach fails the test.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { kPassword, launchBrowser, newClient, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let okafor: Client;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  okafor = await newClient(browser, server);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// Presses Tab until the focused element matches `selector` (and has the text `text`,
// if given), at most `limit` times.
async function tabTo(page: Page, selector: string, text?: string, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const reached = await page.evaluate(
      ([s, t]) => {
        const focused = document.activeElement;
        return !!focused?.matches(s) && (t === undefined || focused.textContent?.trim() === t);
      },
      [selector, text] as const,
    );
    if (reached) return;
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200) ?? 'nothing');
  throw new Error(`${selector} ${text ?? ''} is not reachable with Tab; focus is on ${focused}`);
}

describe('keyboard only', () => {
  test('sign in, find a colleague, send, open the delivery details and close them, sign out', async () => {
    const { page } = okafor;
    await tabTo(page, 'input[autocomplete="username"]');
    await page.keyboard.type('dr.okafor');
    await tabTo(page, 'input[type="password"]');
    await page.keyboard.type(kPassword);
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
    await waitLive(page);

    await tabTo(page, 'button', 'New');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // The tab list is one stop; arrow keys, Home and End move between the tabs.
    await tabTo(page, '[role="tab"][aria-selected="true"]', 'Person or group');
    const selectedTab = () => page.evaluate(() => (document.activeElement?.getAttribute('aria-selected') === 'true' ? document.activeElement.textContent : null));
    await page.keyboard.press('ArrowRight');
    expect(await selectedTab()).toBe('New group');
    await page.keyboard.press('End');
    expect(await selectedTab()).toBe('Patient');
    await page.keyboard.press('ArrowRight');
    expect(await selectedTab()).toBe('Person or group');
    // The search box is in reach, and what was typed survives a look at another tab.
    await tabTo(page, '#directory-search');
    await page.keyboard.type('Harp');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('ArrowLeft');
    expect(await selectedTab()).toBe('Patient');
    await page.keyboard.press('Home');
    expect(await selectedTab()).toBe('Person or group');
    await tabTo(page, '#directory-search');
    expect(await page.locator('#directory-search').inputValue()).toBe('Harp');
    await page.keyboard.type('er');
    await tabTo(page, 'button.pick[data-username="rn.harper"]');
    await page.keyboard.press('Enter');

    const box = page.getByLabel('Message', { exact: true });
    await box.waitFor();
    await tabTo(page, '#composer-input');
    await page.keyboard.type('Can you check the drip rate in bed 7?');
    await page.keyboard.press('Enter');
    const own = page.locator('.message.own', { hasText: 'drip rate in bed 7' });
    await expect.poll(() => own.locator('[data-status]').getAttribute('data-status'), { timeout: 15_000 }).toBe('sent');

    // The own message's options are in the tab order: Enter opens them, then its details; Esc closes.
    await tabTo(page, '.message.own button.message-options');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Message options' }).waitFor();
    await tabTo(page, 'button.option', 'Details');
    await page.keyboard.press('Enter');
    const details = page.getByRole('dialog', { name: 'Message details' });
    await details.waitFor();
    await expect.poll(() => details.locator('tr[data-user-id] th').textContent()).toContain('Harper');
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });

    // The urgent switch toggles with Space.
    await tabTo(page, '.urgent-toggle input');
    await page.keyboard.press('Space');
    expect(await page.getByLabel('Urgent').isChecked()).toBe(true);
    await page.keyboard.press('Space');
    expect(await page.getByLabel('Urgent').isChecked()).toBe(false);

    await tabTo(page, 'button', 'Sign out');
    await page.keyboard.press('Enter');
    await page.getByLabel('Username').waitFor();
  });
});
