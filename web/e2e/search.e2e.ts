// Message search in the browser: messages sent in a conversation are found by their
// words (marked in the hit), a hit opens the conversation at the message, the other
// member finds them too, and someone outside the conversation does not.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newClient, openDirect, seriousViolations, sendText, signIn, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let harper: Client;
let chen: Client;
let patel: Client;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  harper = await newClient(browser, server);
  chen = await newClient(browser, server);
  patel = await newClient(browser, server);
  await signIn(harper.page, 'rn.harper');
  await signIn(chen.page, 'rn.chen');
  await signIn(patel.page, 'dr.patel');
  await Promise.all([waitLive(harper.page), waitLive(chen.page), waitLive(patel.page)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function search(page: Page, query: string): Promise<void> {
  await page.getByRole('button', { name: 'Search messages', exact: true }).click();
  await page.getByLabel('Search your messages').fill(query);
}

function results(page: Page) {
  return page.getByRole('list', { name: 'Message search results' });
}

describe('message search', () => {
  test('finds sent messages by their words and opens the conversation at the hit', async () => {
    const page = harper.page;
    await openDirect(page, 'chen', 'rn.chen');
    await sendText(page, 'Zymogen panel for bed 7 is back');
    await sendText(page, 'Lunch at noon?');
    await page.locator('.message.own', { hasText: 'Lunch at noon?' }).waitFor();

    await search(page, 'ZYMOGEN bed');
    const hit = results(page).locator('button.search-hit').first();
    await hit.waitFor();
    expect(await results(page).locator('button.search-hit').count()).toBe(1);
    expect(await hit.locator('mark').allTextContents()).toEqual(['Zymogen', 'bed']);
    expect(await hit.locator('.search-body').textContent()).toBe('Zymogen panel for bed 7 is back');
    expect(await seriousViolations(page)).toEqual([]);
    await hit.click();
    const shown = page.locator('.thread-pane .message.search-target', { hasText: 'Zymogen panel for bed 7 is back' });
    await shown.waitFor();
    await page.getByLabel('Message', { exact: true }).waitFor();
  });

  test('the other member finds it too; whole words only', async () => {
    const page = chen.page;
    await search(page, 'zymogen');
    await results(page).locator('button.search-hit', { hasText: 'Zymogen panel for bed 7 is back' }).waitFor();
    await page.getByLabel('Search your messages').fill('zymo');
    await results(page).getByText('No message has all of these words.').waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
  });

  test('someone outside the conversation finds nothing of it', async () => {
    const page = patel.page;
    await search(page, 'zymogen');
    await results(page).getByText('No message has all of these words.').waitFor();
    expect(await results(page).locator('button.search-hit').count()).toBe(0);
    await page.getByRole('button', { name: 'Close' }).click();
  });
});
