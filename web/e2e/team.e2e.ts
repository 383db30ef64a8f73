import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, newClient, openDirect, openThreadByTitle, ownStatus, sendText, signIn, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let patel: Client;
let okafor: Client;
let harper: Client;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  patel = await newClient(browser, server);
  okafor = await newClient(browser, server);
  harper = await newClient(browser, server);
  if (process.env.E2E_DEBUG) for (const [n, c] of [['P', patel], ['H', harper], ['O', okafor]] as const) c.page.on('websocket', (ws) => { ws.on('framesent', (f) => console.log(n + '>', String(f.payload).slice(0, 120))); ws.on('framereceived', (f) => console.log(n + '<', String(f.payload).slice(0, 120))); });
  await signIn(patel.page, 'dr.patel');
  await signIn(okafor.page, 'dr.okafor');
  await signIn(harper.page, 'rn.harper');
  await Promise.all([waitLive(patel.page), waitLive(okafor.page), waitLive(harper.page)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('groups and network gaps', () => {
  test('a group of three shows per-recipient status in the message detail', async () => {
    const page = patel.page;
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('tab', { name: 'New group' }).click();
    await page.getByLabel('Group name').fill('Night shift');
    await page.locator('input[type="checkbox"][data-username="dr.okafor"]').check();
    await page.locator('input[type="checkbox"][data-username="rn.harper"]').check();
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: 'Night shift' }).waitFor();

    await sendText(page, 'Handover at 19:00 in the 4 West office.');
    // Okafor's device receives it (delivered); Harper opens the group (read).
    await okafor.page.locator('.thread-item', { hasText: 'Night shift' }).waitFor({ timeout: 10_000 });
    await harper.page.locator('.thread-item', { hasText: 'Night shift' }).waitFor({ timeout: 10_000 });
    await openThreadByTitle(harper.page, 'Night shift');
    await harper.page.locator('.message.theirs', { hasText: 'Handover at 19:00' }).waitFor();

    const status = ownStatus(page, 'Handover at 19:00');
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toBe('Read by 1 of 2');

    await page.locator('.message.own', { hasText: 'Handover at 19:00' }).getByRole('button', { name: /^Options for / }).click();
    await page.getByRole('dialog', { name: 'Message options' }).getByRole('button', { name: 'Details' }).click();
    const dialog = page.getByRole('dialog', { name: 'Message details' });
    await dialog.waitFor();
    const okaforRow = dialog.locator('tr[data-user-id="3"]');
    const harperRow = dialog.locator('tr[data-user-id="9"]');
    await expect.poll(() => harperRow.locator('.read-cell').textContent(), { timeout: 10_000 }).not.toBe('Not yet');
    expect(await harperRow.locator('.delivered-cell').textContent()).not.toBe('Not yet');
    await expect.poll(() => okaforRow.locator('.delivered-cell').textContent(), { timeout: 10_000 }).not.toBe('Not yet');
    expect(await okaforRow.locator('.read-cell').textContent()).toBe('Not yet');

    // The detail follows live: Okafor reads it now, finding the group by searching
    // the directory (groups are listed above people).
    await okafor.page.getByRole('button', { name: 'New', exact: true }).click();
    await okafor.page.getByLabel('Search the directory').fill('night');
    const groups = okafor.page.getByRole('list', { name: 'Groups' });
    await expect.poll(() => groups.locator('button.pick').allTextContents()).toEqual(['Night shift3 members']);
    await groups.locator('button.pick').click();
    await okafor.page.getByRole('heading', { name: 'Night shift' }).waitFor();
    await expect.poll(() => okaforRow.locator('.read-cell').textContent(), { timeout: 10_000 }).not.toBe('Not yet');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('Read');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('a message written offline is sent once on reconnect, and missed messages show once', async () => {
    const page = patel.page;
    await openDirect(page, 'Okafor', 'dr.okafor');
    await openDirect(okafor.page, 'Patel', 'dr.patel');
    await sendText(page, 'Before the gap.');
    await okafor.page.locator('.message.theirs', { hasText: 'Before the gap.' }).waitFor();

    // The network goes away: the app hears the browser's offline event and drops its socket.
    await patel.context.setOffline(true);
    await page.locator('[data-connection="offline"]').waitFor({ timeout: 10_000 });
    await sendText(page, 'Written while offline.');
    await page.locator('.message.own.pending', { hasText: 'Written while offline.' }).waitFor();
    expect(await page.locator('[data-status="sending"]').textContent()).toBe('Waiting for network');
    // IndexedDB holds the text sealed only.
    const stored = await page.evaluate(
      () =>
        new Promise<string[]>(async (resolve, reject) => {
          const name = (await indexedDB.databases()).map((d) => d.name ?? '').find((n) => n.startsWith('wardline-user-')) ?? '';
          const request = indexedDB.open(name);
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            const all = request.result.transaction('outbox').objectStore('outbox').getAll();
            all.onsuccess = () => {
              request.result.close();
              const latin1 = new TextDecoder('latin1');
              resolve(all.result.map((r) => `${JSON.stringify(r)} ${r.sealed ? latin1.decode(r.sealed.data) : 'not sealed'}`));
            };
          };
        }),
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]).toContain('"threadId"');
    expect(stored[0]).not.toContain('not sealed');
    expect(stored[0]).not.toContain('offline');
    // Reloaded while still offline (the shell comes from the service worker), the app
    // opens the sealed outbox with the session's key; the message goes out below.
    await page.reload();
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
    // Meanwhile Okafor writes to Patel.
    await sendText(okafor.page, 'Sent during your gap.');
    await okafor.page.waitForTimeout(500);
    expect(await page.locator('.message', { hasText: 'Sent during your gap.' }).count()).toBe(0);
    expect(await okafor.page.locator('.message', { hasText: 'Written while offline.' }).count()).toBe(0);

    await patel.context.setOffline(false);
    await waitLive(page);
    await openThreadByTitle(page, 'Dr. Emeka Okafor');
    await okafor.page.locator('.message.theirs', { hasText: 'Written while offline.' }).waitFor({ timeout: 15_000 });
    await page.locator('.message.theirs', { hasText: 'Sent during your gap.' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('.message.own.pending').count(), { timeout: 10_000 }).toBe(0);
    await page.waitForTimeout(1000);
    for (const p of [page, okafor.page]) {
      expect(await p.locator('.message', { hasText: 'Written while offline.' }).count()).toBe(1);
      expect(await p.locator('.message', { hasText: 'Sent during your gap.' }).count()).toBe(1);
    }

    // After a reload (stored cursor plus snapshot) still exactly one of each.
    await page.reload();
    await waitLive(page);
    await openThreadByTitle(page, 'Dr. Emeka Okafor');
    await page.locator('.message', { hasText: 'Sent during your gap.' }).waitFor();
    expect(await page.locator('.message', { hasText: 'Written while offline.' }).count()).toBe(1);
    expect(await page.locator('.message', { hasText: 'Sent during your gap.' }).count()).toBe(1);
    expect(await okafor.page.locator('.message', { hasText: 'Written while offline.' }).count()).toBe(1);
  });
});
