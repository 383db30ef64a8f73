import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeClients, launchBrowser, newClient, openDirect, ownStatus, sendText, signIn, startServer, violationsEverywhere, waitLive, type Server } from './harness';

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

describe('offline, in every view', () => {
  test('on a phone, an open thread shows that the connection is down, and the colleague\'s presence as unknown', async () => {
    const okafor = await newClient(browser, server);
    const harper = await newClient(browser, server, { width: 390, height: 844 });
    const { page } = harper;
    try {
      await signIn(okafor.page, 'dr.okafor');
      await signIn(page, 'rn.harper');
      await waitLive(page);
      await openDirect(page, 'Okafor', 'dr.okafor');
      const subtitle = page.locator('.thread-heading p');
      await expect.poll(() => subtitle.textContent()).toBe('Online');

      await harper.context.setOffline(true);
      const connection = page.locator('[data-connection="offline"]');
      await connection.waitFor();
      expect(await connection.isVisible()).toBe(true);
      expect(await connection.textContent()).toContain('Offline');
      expect(await subtitle.textContent()).toBe('Presence unknown');
      expect(await violationsEverywhere(page)).toEqual([]);

      // Back online: the bar goes and presence is known again.
      await harper.context.setOffline(false);
      await waitLive(page);
      await expect.poll(() => subtitle.textContent()).toBe('Online');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper })}`);
    } finally {
      await okafor.context.close();
      await harper.context.close();
    }
  });

  test('reloaded while offline, the app shows the conversations and messages it kept and says it is offline', async () => {
    const rossi = await newClient(browser, server);
    const { page, context } = rossi;
    try {
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await signIn(page, 'pharm.rossi');
      await waitLive(page);
      await openDirect(page, 'Walsh', 'rt.walsh');
      const text = 'Vancomycin trough is due at 22:00.';
      await sendText(page, text);
      await ownStatus(page, text).and(page.locator('[data-status="sent"], [data-status="delivered"]')).waitFor();
      // The thread list and the open thread's recent messages are kept, sealed.
      await expect
        .poll(() =>
          page.evaluate(async () => {
            const name = (await indexedDB.databases()).map((d) => d.name ?? '').find((n) => n.startsWith('wardline-user-'));
            if (!name) return [];
            const db = await new Promise<IDBDatabase>((resolve) => {
              const request = indexedDB.open(name);
              request.onsuccess = () => resolve(request.result);
            });
            const keys = await new Promise<string[]>((resolve) => {
              const get = db.transaction('cache').objectStore('cache').getAllKeys();
              get.onsuccess = () => resolve(get.result.map(String));
            });
            db.close();
            return keys.map((k) => k.replace(/\d+$/, 'N')).sort();
          }),
        )
        .toEqual(['messages:N', 'threads']);

      await context.setOffline(true);
      await page.reload();
      await page.locator('[data-connection="offline"]').waitFor();
      const item = page.locator('.thread-item', { hasText: 'Aoife Walsh, RRT' });
      await item.waitFor();
      expect(await page.getByText('Loading conversations…').count()).toBe(0);
      await item.click();
      await page.locator('.message.own', { hasText: text }).waitFor();
      expect(await page.locator('[data-connection="offline"]').isVisible()).toBe(true);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ rossi })}`);
    } finally {
      await context.close();
    }
  });
});
