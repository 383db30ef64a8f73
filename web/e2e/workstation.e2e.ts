import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { callAs, kPassword, launchBrowser, openDirect, openThreadByTitle, ownStatus, sendText, signIn, startServer, userDatabases, waitLive, type Server } from './harness';

// A nursing-station PC: one browser profile, several clinicians, tabs left open. Every
// page below shares one context (one profile: the same IndexedDB); each tab has its
// own sessionStorage, as in a real browser.
let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function openTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto('/');
  return page;
}

// Takes one tab off the network (the others stay online), as the browser's offline
// switch would for that tab alone.
async function tabOffline(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.locator('[data-connection="offline"]').waitFor();
}

describe('a shared workstation', () => {
  test('a second user signs in while the first one\'s tab is open; her queued message stays sealed for her and goes after her next sign-in', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: server.origin });
    try {
      const nguyen = await openTab(context);
      await signIn(nguyen, 'dr.nguyen');
      await waitLive(nguyen);
      await openDirect(nguyen, 'Santos', 'rn.santos');
      await tabOffline(context, nguyen);
      const text = 'Wound check on bed 7 at 16:00, please.';
      await sendText(nguyen, text);
      await nguyen.locator('.message.own.pending', { hasText: text }).waitFor();

      // A colleague signs in on the same browser while Dr. Nguyen's tab is still open.
      const chen = await openTab(context);
      await signIn(chen, 'rn.chen');
      await waitLive(chen);
      // The first tab still works as it was.
      expect(await nguyen.getByLabel('Username').count()).toBe(0);
      expect(await nguyen.locator('.message.own.pending', { hasText: text }).count()).toBe(1);

      // Each user has a database of her own; Dr. Nguyen's holds her message sealed.
      const names = await userDatabases(chen);
      expect(names).toHaveLength(2);
      const stored = await chen.evaluate(async (names) => {
        const records: string[] = [];
        for (const name of names) {
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const request = indexedDB.open(name);
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          const all = await new Promise<Record<string, unknown>[]>((resolve) => {
            const get = db.transaction('outbox').objectStore('outbox').getAll();
            get.onsuccess = () => resolve(get.result);
          });
          db.close();
          const latin1 = new TextDecoder('latin1');
          for (const r of all) records.push(`${JSON.stringify(r)} ${r.sealed ? latin1.decode((r.sealed as { data: ArrayBuffer }).data) : 'not sealed'}`);
        }
        return records;
      }, names);
      expect(stored).toHaveLength(1);
      expect(stored[0]).not.toContain('not sealed');
      expect(stored[0]).not.toContain('Wound');

      // She closes her tab with the message still queued, and signs in again later.
      await nguyen.close();
      const again = await openTab(context);
      await signIn(again, 'dr.nguyen');
      await waitLive(again);
      await openThreadByTitle(again, 'Mateo Santos, RN');
      await ownStatus(again, text).and(again.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]')).waitFor({ timeout: 15_000 });
      expect(await again.locator('.message', { hasText: text }).count()).toBe(1);
      // The colleague's tab was never disturbed.
      expect(await chen.getByLabel('Username').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  test('a tab that keeps the user\'s database from opening ends the sign-in with a clear message, not a spinner', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: server.origin });
    try {
      const holder = await openTab(context);
      const me = (await callAs(holder, 'rn.adeyemi', 'GET', '/api/v1/me')).json as { id: number };
      // A tab that never lets go of the database (as one of an older version might),
      // with a deletion waiting behind it: every open of the database waits too.
      await holder.evaluate(async (name) => {
        const db = await new Promise<IDBDatabase>((resolve) => {
          const request = indexedDB.open(name, 1);
          request.onsuccess = () => resolve(request.result);
        });
        (window as unknown as { held: IDBDatabase }).held = db;
        indexedDB.deleteDatabase(name);
      }, `wardline-user-${me.id}`);

      const page = await openTab(context);
      await page.getByLabel('Username').fill('rn.adeyemi');
      await page.getByLabel('Password').fill(kPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const notice = page.locator('.login .notice');
      await notice.waitFor({ timeout: 20_000 });
      expect(await notice.textContent()).toBe('Another Wardline tab on this browser is holding its local data. Close the other Wardline tabs and sign in again.');
      expect(await page.getByRole('button', { name: 'Sign in' }).isEnabled()).toBe(true);
      expect(await page.evaluate(() => sessionStorage.getItem('wardline.session'))).toBeNull();

      // Once that tab lets go, signing in works.
      await holder.evaluate(() => (window as unknown as { held: IDBDatabase }).held.close());
      await signIn(page, 'rn.adeyemi');
      await waitLive(page);
    } finally {
      await context.close();
    }
  });

  test('signing out in one tab ends the same user\'s other tab with a clear message, not a broken app', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: server.origin });
    try {
      const first = await openTab(context);
      await signIn(first, 'rn.muller');
      await waitLive(first);
      const second = await openTab(context);
      await signIn(second, 'rn.muller');
      await waitLive(second);
      await second.getByRole('button', { name: 'Sign out' }).click();
      await second.getByLabel('Username').waitFor();
      await first.getByLabel('Username').waitFor({ timeout: 15_000 });
      expect(await first.locator('.login .notice').textContent()).toBe('You signed out in another tab of this browser.');
      await expect.poll(() => userDatabases(second)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
