import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, openDirect, sendText, signIn, startServer, userDatabases, waitLive, type Server } from './harness';

let server: Server;
let browser: Browser;

beforeAll(async () => {
  // Open WebSockets re-check their session every second (30 s by default), so a
  // session ended elsewhere reaches the app within the test's time.
  server = await startServer({ extraArgs: ['--session-check-seconds', '1'] });
  browser = await launchBrowser(server);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// Submits the sign-in form and waits for the answer.
async function attempt(page: Page, username: string, password: string): Promise<string> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).isEnabled()).toBe(true);
  return (await page.getByRole('alert').textContent()) ?? '';
}

describe('sign-in errors and the end of a session', () => {
  test('the fifth wrong password locks the account, and the app says so', async () => {
    const { page, context } = await newClient(browser, server);
    // dr.haddad is used by no other test here: five failures lock the account.
    for (let i = 1; i <= 4; i++) expect(await attempt(page, 'dr.haddad', `wrong-${i}`), `attempt ${i}`).toBe('Wrong username or password.');
    const locked = await attempt(page, 'dr.haddad', 'wrong-5');
    expect(locked).toMatch(/^Too many failed attempts: this account is locked until .+\.$/);
    // Locked means locked: the right password is refused too, with the same text.
    expect(await attempt(page, 'dr.haddad', kPassword)).toMatch(/^Too many failed attempts: this account is locked until /);
    expect(await page.getByRole('list', { name: 'Conversations' }).count()).toBe(0);
    await context.close();
  });

  test('a session ended from another device returns the app to sign-in with the reason; the outbox stays', async () => {
    const { page, context } = await newClient(browser, server);
    await signIn(page, 'dr.lindqvist');
    await waitLive(page);
    await openDirect(page, 'Adeyemi', 'rn.adeyemi');

    // A message written offline waits in the outbox (IndexedDB).
    await context.setOffline(true);
    await expect.poll(() => page.locator('[data-connection]').getAttribute('data-connection')).not.toBe('live');
    await sendText(page, 'Bed 12 can go to step-down.');
    await page.locator('.message.own.pending', { hasText: 'Bed 12 can go to step-down.' }).waitFor();
    const deviceId = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('wardline.session') ?? '{}') as { deviceId?: number }).deviceId);
    expect(typeof deviceId).toBe('number');

    // While the app is offline, the same user on another device revokes the app's device.
    const other = await newClient(browser, server);
    const status = await other.page.evaluate(
      async ({ password, deviceId }) => {
        const answer = await fetch('/api/v1/login', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'dr.lindqvist', password, device_name: 'desk' }),
        });
        const { token } = (await answer.json()) as { token: string };
        const revoked = await fetch(`/api/v1/devices/${deviceId}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
        return revoked.status;
      },
      { password: kPassword, deviceId },
    );
    expect(status).toBe(204);
    await context.setOffline(false);

    // The app notices on its own and shows why.
    await page.getByLabel('Username').waitFor({ timeout: 15_000 });
    expect(await page.locator('.login .notice').textContent()).toBe('Your session ended. Sign in again.');
    // The token is gone; the local database (outbox, cursor) is kept for the same user.
    expect(await page.evaluate(() => sessionStorage.getItem('wardline.session'))).toBeNull();
    expect(await userDatabases(page)).toHaveLength(1);

    // Signing in again sends the kept message, once.
    await signIn(page, 'dr.lindqvist');
    await waitLive(page);
    await page.locator('.thread-item', { hasText: 'Adeyemi' }).first().click();
    const own = page.locator('.message.own', { hasText: 'Bed 12 can go to step-down.' });
    await own.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').waitFor({ timeout: 15_000 });
    expect(await own.count()).toBe(1);
    await other.context.close();
    await context.close();
  });
});
