import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callAs, describeClients, launchBrowser, newClient, openDirect, openThreadByTitle, ownStatus, sendText, signIn,
  startServer, userDatabases, violationsEverywhere, waitLive, type Server,
} from './harness';

// A queued clinical message is never dropped silently: sign-out asks what to do with
// it, and a message the server refuses for good stays in its thread as failed.
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

async function queueOffline(page: Page, text: string): Promise<void> {
  await page.context().setOffline(true);
  await page.locator('[data-connection="offline"]').waitFor();
  await sendText(page, text);
  await page.locator('.message.own.pending', { hasText: text }).waitFor();
}

describe('the outbox at sign-out and after a removal', () => {
  test('signing out with a queued message asks; "keep" leaves it sealed and it is sent after the next sign-in', async () => {
    const client = await newClient(browser, server);
    const { page, context } = client;
    try {
      await signIn(page, 'dr.lindqvist');
      await waitLive(page);
      await openDirect(page, 'Adeyemi', 'rn.adeyemi');
      const text = 'Bed 3 needs a repeat lactate at 14:00.';
      await queueOffline(page, text);

      await page.getByRole('button', { name: 'Sign out' }).click();
      const dialog = page.getByRole('dialog', { name: 'Unsent message' });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('1 message');
      expect(await violationsEverywhere(page)).toEqual([]);
      // Staying signed in is the third answer, and changes nothing.
      await dialog.getByRole('button', { name: 'Stay signed in' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.locator('.message.own.pending', { hasText: text }).waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await dialog.getByRole('button', { name: 'Keep it and sign out' }).click();
      await page.getByLabel('Username').waitFor();
      expect(await page.locator('.login .notice').textContent()).toContain('sent when you next sign in');
      expect(await page.evaluate(() => sessionStorage.getItem('wardline.session'))).toBeNull();
      expect(await userDatabases(page)).toHaveLength(1);

      await context.setOffline(false);
      await signIn(page, 'dr.lindqvist');
      await waitLive(page);
      await openThreadByTitle(page, 'Funmi Adeyemi, RN');
      await ownStatus(page, text).and(page.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]')).waitFor({ timeout: 15_000 });
      expect(await page.locator('.message', { hasText: text }).count()).toBe(1);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ lindqvist: client })}`);
    } finally {
      await context.close();
    }
  });

  test('"discard" deletes the queued message and the local data; it is never sent', async () => {
    const client = await newClient(browser, server);
    const { page, context } = client;
    try {
      await signIn(page, 'dr.garcia');
      await waitLive(page);
      await openDirect(page, 'Haddad', 'dr.haddad');
      const text = 'Please hold the EEG until the family arrives.';
      await queueOffline(page, text);

      await page.getByRole('button', { name: 'Sign out' }).click();
      const dialog = page.getByRole('dialog', { name: 'Unsent message' });
      await dialog.getByRole('button', { name: 'Discard it and sign out' }).click();
      await page.getByLabel('Username').waitFor();
      await expect.poll(() => userDatabases(page)).toEqual([]);

      await context.setOffline(false);
      await signIn(page, 'dr.garcia');
      await waitLive(page);
      await openThreadByTitle(page, 'Dr. Yasmin Haddad');
      expect(await page.locator('.message', { hasText: text }).count()).toBe(0);
      // The server never had it.
      const threads = (await callAs(page, 'dr.haddad', 'GET', '/api/v1/threads')).json as { threads: { id: number; last_message: unknown }[] };
      expect(threads.threads.map((t) => JSON.stringify(t.last_message)).join()).not.toContain('EEG');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ garcia: client })}`);
    } finally {
      await context.close();
    }
  });

  test('removed from a group with a message queued: the thread stays, the message shows failed with the reason, Copy copies it', async () => {
    const client = await newClient(browser, server, undefined, { context: { permissions: ['clipboard-read', 'clipboard-write'] } });
    const { page, context } = client;
    const okafor = await newClient(browser, server);
    try {
      await signIn(page, 'dr.patel');
      await waitLive(page);
      const token = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('wardline.session') ?? '{}') as { token: string }).token);
      const group = await page.evaluate(async (token) => {
        const answer = await fetch('/api/v1/threads', {
          method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ kind: 'group', title: 'Step-down huddle', member_ids: [3, 9] }),
        });
        return (await answer.json()) as { id: number };
      }, token);
      await page.locator('.thread-item', { hasText: 'Step-down huddle' }).waitFor();
      await openThreadByTitle(page, 'Step-down huddle');
      const text = 'Huddle moved to 15:00, bring the bed list.';
      await queueOffline(page, text);

      // Meanwhile Dr. Okafor removes Dr. Patel from the group.
      const removed = await callAs(okafor.page, 'dr.okafor', 'DELETE', `/api/v1/threads/${group.id}/members/2`);
      expect(removed.status).toBe(204);
      await context.setOffline(false);
      await waitLive(page);

      const failed = page.locator('.message.own.failed', { hasText: text });
      await failed.waitFor({ timeout: 15_000 });
      // The current server's refusal of a send into a thread one is no longer a member of.
      expect(await failed.locator('.failure').textContent()).toMatch(/Not sent: .*(not a member|removed)/);
      expect(await page.getByRole('heading', { name: 'Step-down huddle' }).count()).toBe(1);
      expect(await page.locator('.thread-item', { hasText: 'Step-down huddle' }).count()).toBe(1);

      await failed.getByRole('button', { name: 'Copy' }).click();
      await failed.getByText('Copied').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
      expect(await violationsEverywhere(page)).toEqual([]);

      // Discarded, the message goes; the thread stays, read-only, with the removal notice.
      await failed.getByRole('button', { name: 'Discard' }).click();
      await failed.waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: 'You were removed from Step-down huddle by' }).waitFor();
      expect(await page.getByLabel('Message', { exact: true }).count()).toBe(0);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ patel: client })}`);
    } finally {
      await okafor.context.close();
      await context.close();
    }
  });
});
