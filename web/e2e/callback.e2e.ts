import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { callAs, describeClients, launchBrowser, signedInClient, startServer, violationsEverywhere, type Client, type Server } from './harness';

// Call back (docs/callback.md): dr.patel saves a work and a mobile number (the mobile
// for colleagues only, and preferred), then writes in Testpatient, Alma's conversation,
// once asking to be called back on the work number. rn.harper, a member of it, sees a
// call-back link on each of dr.patel's messages: the message's own number, else
// dr.patel's preferred one, which she may see as a colleague; none on her own.
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

const signedIn = (username: string): Promise<Client> => signedInClient(browser, server, username);

describe('call back', () => {
  test('dr.patel keeps his numbers and asks for a call back; rn.harper calls back with one tap', { timeout: 150_000 }, async () => {
    const patel = await signedIn('dr.patel');
    const harper = await signedIn('rn.harper');
    try {
      // His numbers, from the navigation: a bad one is refused before it is saved.
      await patel.page.getByRole('button', { name: 'Call back & notes' }).click();
      const dialog = patel.page.getByRole('dialog', { name: 'Call back & quick notes' });
      await dialog.getByLabel('Work', { exact: true }).fill('555-CALL');
      await dialog.getByRole('button', { name: 'Save numbers' }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('Work: a number is + and 8 to 15 digits');
      await dialog.getByLabel('Work', { exact: true }).fill('+1 (555) 010-2000');
      await dialog.getByLabel('Who sees the work number').selectOption('everyone');
      await dialog.getByLabel('Mobile', { exact: true }).fill('+1 555 010 3000');
      await dialog.getByLabel('Who sees the mobile number').selectOption('colleagues');
      await dialog.getByLabel('Call me back on the mobile number').check();
      await dialog.getByRole('button', { name: 'Save numbers' }).click();
      await expect.poll(() => dialog.getByRole('status').textContent()).toBe('Saved. People call you back on +15550103000.');
      expect(await dialog.getByLabel('Work', { exact: true }).inputValue()).toBe('+15550102000');
      expect(await violationsEverywhere(patel.page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Close' }).click();

      // Stored as he set them.
      const mine = (await callAs(patel.page, 'dr.patel', 'GET', '/api/v1/me/phones')).json as { callback: string };
      expect(mine.callback).toBe('+15550103000');

      // A message asking to be called back on the work number, then one that does not.
      await patel.page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
      await patel.page.getByLabel('Message', { exact: true }).waitFor();
      await patel.page.getByLabel('Ask for a call back').check();
      await patel.page.getByLabel('Call me back on').selectOption('+15550102000');
      const box = patel.page.getByLabel('Message', { exact: true });
      await box.fill('Potassium 6.1 on the repeat: call me at the desk');
      await box.press('Enter');
      await patel.page.locator('.message.own', { hasText: 'Potassium 6.1' }).waitFor();
      expect(await patel.page.getByLabel('Ask for a call back').isChecked()).toBe(false);
      await box.fill('Recheck the potassium at 18:00');
      await box.press('Enter');
      await patel.page.locator('.message.own', { hasText: 'Recheck the potassium' }).waitFor();
      expect(await patel.page.locator('.message.own .callback-link').count()).toBe(0);

      // rn.harper, a member of the conversation, dials either with one tap.
      await harper.page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
      const asked = harper.page.locator('.message.theirs', { hasText: 'Potassium 6.1' }).locator('a.callback-link');
      await asked.waitFor();
      expect(await asked.getAttribute('href')).toBe('tel:+15550102000');
      expect(await asked.textContent()).toContain('Call back +1 555 010 2000');
      expect(await asked.getAttribute('aria-label')).toBe('Call Dr. Nina Patel back on +1 555 010 2000');
      const preferred = harper.page.locator('.message.theirs', { hasText: 'Recheck the potassium' }).locator('a.callback-link');
      await expect.poll(() => preferred.getAttribute('href')).toBe('tel:+15550103000');
      await harper.page.getByLabel('Message', { exact: true }).fill('Calling now');
      await harper.page.getByLabel('Message', { exact: true }).press('Enter');
      await harper.page.locator('.message.own', { hasText: 'Calling now' }).waitFor();
      expect(await harper.page.locator('.message.own .callback-link').count()).toBe(0);
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      // He narrows the mobile to administrators: the link follows at once (user_changed).
      await patel.page.getByRole('button', { name: 'Call back & notes' }).click();
      await dialog.getByLabel('Who sees the mobile number').selectOption('admins');
      await dialog.getByRole('button', { name: 'Save numbers' }).click();
      await expect.poll(() => dialog.getByRole('status').textContent()).toContain('Saved.');
      await expect.poll(() => preferred.getAttribute('href'), { timeout: 10_000 }).toBe('tel:+15550102000');
    } catch (failure) {
      throw new Error(`${(failure as Error).message}\n${await describeClients({ patel, harper })}`);
    } finally {
      await patel.context.close();
      await harper.context.close();
    }
  });
});
