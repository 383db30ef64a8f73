// The lock that replaced the idle sign-out (docs/security.md, "Automatic logoff"): a
// PIN set at the first sign-in, the lock after the org's idle time on the browser's
// fake clock, nothing of a conversation left in the page while locked, notifications
// without PHI, the unlock with the PIN or the password, and the PIN's lockout.
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { callAs, kPassword, launchBrowser, newClient, openDirect, openThreadByTitle, sendText, signIn, startServer, waitLive, type Server } from './harness';

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

const kPin = '402913';

interface Shown {
  title: string;
  body: string;
  tag: string;
}

// In the page before the app: notifications are allowed and every one is recorded.
function recordedNotifications(): void {
  const w = window as unknown as { __wlShown: Shown[] };
  w.__wlShown = [];
  class Recorded {
    static permission = 'granted';
    static requestPermission = async () => 'granted';
    onclick: (() => void) | null = null;
    onclose: (() => void) | null = null;
    constructor(title: string, options: NotificationOptions = {}) {
      w.__wlShown.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
    }
    close() {}
  }
  Object.defineProperty(window, 'Notification', { configurable: true, writable: true, value: Recorded });
}

const shown = (page: Page) => page.evaluate(() => (window as unknown as { __wlShown: Shown[] }).__wlShown);

// What the server answers this page's session for the thread list.
async function threadsStatus(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const { token } = JSON.parse(sessionStorage.getItem('wardline.session') ?? '{}') as { token: string };
    return (await fetch('/api/v1/threads', { headers: { Authorization: `Bearer ${token}` } })).status;
  });
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

// Signs in and takes the offer of a PIN that the first sign-in shows.
async function signInSettingPin(page: Page, username: string, pin = kPin): Promise<void> {
  await signIn(page, username);
  await page.getByRole('button', { name: 'Set a PIN' }).click();
  await page.getByRole('heading', { name: 'Set an unlock PIN' }).waitFor();
  await page.getByLabel('New PIN').fill(pin);
  await page.getByLabel('Repeat the PIN').fill(pin);
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
}

const lockHeading = (page: Page) => page.getByRole('heading', { name: 'Wardline is locked' });

async function unlockWith(page: Page, label: 'PIN' | 'Password', secret: string): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill(secret);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

describe('the lock', () => {
  test('the first sign-in offers a PIN and refuses a guessable one', async () => {
    const { page, context } = await newClient(browser, server);
    await signIn(page, 'dr.lindqvist');
    // Offered above the conversations, without blocking them.
    expect(await page.getByRole('region', { name: 'Unlock PIN' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Set a PIN' }).click();
    await page.getByRole('heading', { name: 'Set an unlock PIN' }).waitFor();
    await page.getByLabel('New PIN').fill('123456');
    await page.getByLabel('Repeat the PIN').fill('123456');
    await page.getByRole('button', { name: 'Set PIN' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/too easy to guess/);
    await page.getByLabel('New PIN').fill(kPin);
    await page.getByLabel('Repeat the PIN').fill('402914');
    await page.getByRole('button', { name: 'Set PIN' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('The two PINs are not the same.');
    await page.getByLabel('Repeat the PIN').fill(kPin);
    await page.getByRole('button', { name: 'Set PIN' }).click();
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
    const state = await page.evaluate(async () => {
      const { token } = JSON.parse(sessionStorage.getItem('wardline.session') ?? '{}') as { token: string };
      return (await fetch('/api/v1/session', { headers: { Authorization: `Bearer ${token}` } })).json();
    });
    expect(state).toMatchObject({ locked: false, has_pin: true, idle_lock_seconds: 1800 });
    await context.close();
  });

  test('after 30 idle minutes on the fake clock the app locks: no message in the page, receiving goes on, notifications carry no PHI, the PIN unlocks to the same thread', async () => {
    const patel = await newClient(browser, server, undefined, { initScript: recordedNotifications });
    await patel.context.clock.install();
    await patel.page.reload();
    await signInSettingPin(patel.page, 'dr.patel');
    await waitLive(patel.page);
    const harper = await newClient(browser, server);
    await signIn(harper.page, 'rn.harper');
    await waitLive(harper.page);
    await openThreadByTitle(harper.page, 'Dr. Nina Patel');
    await sendText(harper.page, 'Potassium is 6.1 in bed 4.');
    await openThreadByTitle(patel.page, 'Olivia Harper, RN');
    await patel.page.locator('.message', { hasText: 'Potassium is 6.1' }).waitFor({ timeout: 10_000 });

    // Each jump fires the 15-second idle check once, synchronously.
    await patel.context.clock.fastForward('29:00');
    expect(await lockHeading(patel.page).count()).toBe(0);
    await patel.context.clock.fastForward('01:01');
    await lockHeading(patel.page).waitFor({ timeout: 10_000 });
    // Hidden means gone: nothing of the conversation is left in the page.
    expect(await patel.page.content()).not.toContain('Potassium');
    expect(await patel.page.locator('.message, .thread-item, .thread-view').count()).toBe(0);
    expect(await patel.page.title()).toBe('Wardline (locked)');
    // The server locked the session too: it refuses the thread list.
    await expect.poll(() => threadsStatus(patel.page)).toBe(423);

    // A message while locked: it arrives, but the page and the notification say only that.
    await sendText(harper.page, 'Bed 4 is desaturating, come now.', true);
    await patel.page.getByRole('status').filter({ hasText: '1 new message' }).waitFor({ timeout: 10_000 });
    expect(await shown(patel.page)).toEqual([{ title: 'New urgent message', body: '', tag: 'wardline-locked' }]);
    expect(await patel.page.content()).not.toContain('desaturating');
    expect(await patel.page.content()).not.toContain('Harper');

    await unlockWith(patel.page, 'PIN', kPin);
    // As it was: the same thread open, and the message that came while locked is in it.
    await patel.page.locator('.message', { hasText: 'Bed 4 is desaturating' }).waitFor({ timeout: 10_000 });
    expect(await patel.page.locator('.thread-view h2').textContent()).toContain('Olivia Harper');
    expect(await threadsStatus(patel.page)).toBe(200);
    await harper.context.close();
    await patel.context.close();
  });

  test('a tab reloaded while locked stays locked, keeps receiving, and the PIN unlocks to what came in', async () => {
    const chen = await newClient(browser, server);
    await signInSettingPin(chen.page, 'rn.chen');
    await waitLive(chen.page);
    const nguyen = await newClient(browser, server);
    await signIn(nguyen.page, 'dr.nguyen');
    await waitLive(nguyen.page);
    await openDirect(nguyen.page, 'Grace Chen', 'rn.chen');
    await sendText(nguyen.page, 'Can you check the drain output in bed 12?');
    await openThreadByTitle(chen.page, 'Dr. Minh Nguyen');
    await chen.page.locator('.message', { hasText: 'drain output' }).waitFor({ timeout: 10_000 });

    await chen.page.getByRole('button', { name: 'Lock', exact: true }).click();
    await lockHeading(chen.page).waitFor();
    await chen.page.reload();
    await lockHeading(chen.page).waitFor({ timeout: 10_000 });
    expect(await chen.page.content()).not.toContain('drain output');
    // Still connected while locked: the next message arrives and is counted, unshown.
    await sendText(nguyen.page, 'Drain output is 400 ml since noon.');
    await chen.page.getByRole('status').filter({ hasText: '1 new message' }).waitFor({ timeout: 10_000 });
    expect(await chen.page.content()).not.toContain('400 ml');
    expect(await threadsStatus(chen.page)).toBe(423);

    await unlockWith(chen.page, 'PIN', kPin);
    await chen.page.locator('.message', { hasText: '400 ml since noon' }).waitFor({ timeout: 10_000 });
    expect(await chen.page.locator('.thread-view h2').textContent()).toContain('Minh Nguyen');
    await nguyen.context.close();
    await chen.context.close();
  });

  test('a conversation started while the app is locked is counted, unshown, and is in the list after the unlock', async () => {
    const adeyemi = await newClient(browser, server);
    await signInSettingPin(adeyemi.page, 'rn.adeyemi');
    await waitLive(adeyemi.page);
    await adeyemi.page.getByRole('button', { name: 'Lock', exact: true }).click();
    await lockHeading(adeyemi.page).waitFor();

    const walsh = await newClient(browser, server);
    await signIn(walsh.page, 'rt.walsh');
    await waitLive(walsh.page);
    await openDirect(walsh.page, 'Adeyemi', 'rn.adeyemi');
    await sendText(walsh.page, 'Telemetry alarm on bed 9, can you look?');
    await adeyemi.page.getByRole('status').filter({ hasText: '1 new message' }).waitFor({ timeout: 10_000 });
    expect(await adeyemi.page.content()).not.toContain('Telemetry alarm');

    await unlockWith(adeyemi.page, 'PIN', kPin);
    await openThreadByTitle(adeyemi.page, 'Aoife Walsh, RRT');
    await adeyemi.page.locator('.message', { hasText: 'Telemetry alarm on bed 9' }).waitFor({ timeout: 10_000 });
    await walsh.context.close();
    await adeyemi.context.close();
  });

  test('a wrong PIN says how many tries are left; five lock the PIN out and the password unlocks; the Lock button is 44 px', async () => {
    const { page, context } = await newClient(browser, server, { width: 390, height: 844 });
    await signInSettingPin(page, 'dr.okafor');
    const button = page.getByRole('button', { name: 'Lock', exact: true });
    const box = await button.boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(44);
    expect(box!.height).toBeGreaterThanOrEqual(44);
    await button.click();
    await lockHeading(page).waitFor();
    for (let left = 4; left >= 1; left--) {
      await unlockWith(page, 'PIN', '918273');
      await expect.poll(() => page.getByRole('alert').textContent()).toBe(`Wrong PIN: ${left} ${left === 1 ? 'try' : 'tries'} left.`);
    }
    await unlockWith(page, 'PIN', '918273');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Too many wrong PINs. Unlock with your password.');
    // The PIN no longer works; the field now takes the password.
    await unlockWith(page, 'Password', 'not the demo password at all');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Wrong password.');
    await unlockWith(page, 'Password', kPassword);
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
    expect(await lockHeading(page).count()).toBe(0);
    await context.close();
  });

  test('a key press restarts the idle time; without a PIN the password unlocks', async () => {
    const { page, context } = await newClient(browser, server);
    await context.clock.install();
    await page.reload();
    await signIn(page, 'dr.garcia');
    await waitLive(page);
    await context.clock.fastForward('20:00');
    await page.keyboard.press('Shift');
    await context.clock.fastForward('20:00');
    expect(await lockHeading(page).count()).toBe(0);
    await context.clock.fastForward('10:01');
    await lockHeading(page).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Use password instead' }).count()).toBe(0);
    await unlockWith(page, 'Password', kPassword);
    await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
    await context.close();
  });

  test("an administrator's new idle time reaches an open app at once, without a reload", async () => {
    const { page, context } = await newClient(browser, server);
    await context.clock.install();
    await page.reload();
    await signIn(page, 'rn.muller');
    await waitLive(page);
    // The org event (docs/protocol.md, "Event") makes the app fetch its session again.
    const changed = await callAs(page, 'admin', 'PUT', '/api/v1/admin/idle-lock', { idle_lock_seconds: 300 });
    expect(changed.status).toBe(200);
    try {
      await expect.poll(() => page.evaluate(() => (JSON.parse(sessionStorage.getItem('wardline.session') ?? '{}') as { idleLockMs: number }).idleLockMs), { timeout: 10_000 }).toBe(300_000);
      await context.clock.fastForward('05:01');
      await lockHeading(page).waitFor({ timeout: 10_000 });
    } finally {
      expect((await callAs(page, 'admin', 'PUT', '/api/v1/admin/idle-lock', { idle_lock_seconds: 1800 })).status).toBe(200);
    }
    await context.close();
  });

  test('axe finds no serious or critical violation on the PIN and lock screens, phone and desktop, light and dark', async () => {
    const users = ['dr.haddad', 'np.brooks', 'pa.kim', 'rn.santos'];
    let index = 0;
    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const label = `${viewport.width}px ${colorScheme}`;
        const { page, context } = await newClient(browser, server, viewport, { context: { colorScheme } });
        await signIn(page, users[index++]);
        expect(await seriousViolations(page), `PIN offer ${label}`).toEqual([]);
        await page.getByRole('button', { name: 'Set a PIN' }).click();
        await page.getByRole('heading', { name: 'Set an unlock PIN' }).waitFor();
        expect(await seriousViolations(page), `PIN screen ${label}`).toEqual([]);
        await page.getByLabel('New PIN').fill(kPin);
        await page.getByLabel('Repeat the PIN').fill(kPin);
        await page.getByRole('button', { name: 'Set PIN' }).click();
        await page.getByRole('button', { name: 'Lock', exact: true }).click();
        await lockHeading(page).waitFor();
        await unlockWith(page, 'PIN', '918273');
        await page.getByRole('alert').waitFor();
        expect(await seriousViolations(page), `lock screen ${label}`).toEqual([]);
        await context.close();
      }
    }
  });
});
