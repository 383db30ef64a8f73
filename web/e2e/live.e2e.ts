import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, newClient, openThreadByTitle, sendText, signIn, startServer, waitLive, type Server } from './harness';

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

interface Recorded {
  title: string;
  body: string;
  requireInteraction: boolean;
}

// In the page before the app: the tab can be made hidden (headless Chromium always
// reports visible), and every constructed notification is recorded instead of shown.
function hiddenTabAndRecordedNotifications(): void {
  const w = window as unknown as { __wlHidden: boolean; __wlNotifications: Recorded[] };
  w.__wlHidden = false;
  w.__wlNotifications = [];
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true,
    get: () => (w.__wlHidden ? 'hidden' : 'visible'),
  });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => w.__wlHidden });
  const Original = window.Notification;
  class Recording extends EventTarget {
    static get permission(): NotificationPermission {
      return Original.permission;
    }
    static requestPermission = Original.requestPermission.bind(Original);
    onclick: ((event: Event) => void) | null = null;
    readonly title: string;
    constructor(title: string, options: NotificationOptions = {}) {
      super();
      this.title = title;
      w.__wlNotifications.push({ title, body: options.body ?? '', requireInteraction: options.requireInteraction ?? false });
    }
    close(): void {}
  }
  Object.defineProperty(window, 'Notification', { configurable: true, writable: true, value: Recording });
}

describe('live presence, typing and alerts', () => {
  test("a colleague's sign-in shows as Online, their typing as a notice, their sign-out as Offline", async () => {
    const patel = await newClient(browser, server);
    await signIn(patel.page, 'dr.patel');
    await waitLive(patel.page);
    await openThreadByTitle(patel.page, 'Olivia Harper, RN');
    const subtitle = patel.page.locator('.thread-heading p');
    await expect.poll(() => subtitle.textContent()).toBe('Offline');

    const harper = await newClient(browser, server);
    await signIn(harper.page, 'rn.harper');
    await waitLive(harper.page);
    await expect.poll(() => subtitle.textContent(), { timeout: 10_000 }).toBe('Online');
    expect(await patel.page.locator('.thread-heading .presence-dot.online').count()).toBe(1);

    const typing = patel.page.locator('p.typing');
    expect(await typing.textContent()).toBe('');
    await openThreadByTitle(harper.page, 'Dr. Nina Patel');
    await harper.page.getByLabel('Message', { exact: true }).click();
    await harper.page.keyboard.type('Coming to');
    await expect.poll(() => typing.textContent(), { timeout: 10_000 }).toBe('Olivia Harper, RN is typing…');

    await harper.page.getByRole('button', { name: 'Sign out' }).click();
    await harper.page.getByLabel('Username').waitFor();
    await expect.poll(() => subtitle.textContent(), { timeout: 10_000 }).toBe('Offline');
    await harper.context.close();
    await patel.context.close();
  });

  test('a message to a hidden tab makes a notification without its text; an urgent one is marked urgent', async () => {
    const patel = await newClient(browser, server, undefined, {
      context: { permissions: ['notifications'] },
      initScript: hiddenTabAndRecordedNotifications,
    });
    await signIn(patel.page, 'dr.patel');
    await waitLive(patel.page);
    expect(await patel.page.evaluate(() => Notification.permission)).toBe('granted');
    await patel.page.evaluate(() => {
      (window as unknown as { __wlHidden: boolean }).__wlHidden = true;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const recorded = () => patel.page.evaluate(() => (window as unknown as { __wlNotifications: Recorded[] }).__wlNotifications);

    const harper = await newClient(browser, server);
    await signIn(harper.page, 'rn.harper');
    await waitLive(harper.page);
    await openThreadByTitle(harper.page, 'Dr. Nina Patel');
    const normal = 'Potassium is 3.1 in bed 7.';
    await sendText(harper.page, normal);
    await expect.poll(async () => (await recorded()).length, { timeout: 10_000 }).toBe(1);
    const urgent = 'Bed 9 is desaturating, come now.';
    await sendText(harper.page, urgent, true);
    await expect.poll(async () => (await recorded()).length, { timeout: 10_000 }).toBe(2);

    const [first, second] = await recorded();
    expect(first).toEqual({ title: 'New message', body: 'From Olivia Harper, RN', requireInteraction: false });
    expect(second).toEqual({ title: 'Urgent message', body: 'From Olivia Harper, RN', requireInteraction: true });
    for (const n of [first, second]) {
      for (const text of [normal, urgent]) {
        expect(n.title).not.toContain(text);
        expect(n.body).not.toContain(text);
      }
      expect(`${n.title} ${n.body}`).not.toMatch(/Potassium|desaturating|bed \d/i);
    }

    // Visible again: a new message makes no notification.
    await patel.page.evaluate(() => {
      (window as unknown as { __wlHidden: boolean }).__wlHidden = false;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const badge = patel.page.locator('.thread-item', { hasText: 'Olivia Harper, RN' }).first().locator('.badge');
    const unread = Number(await badge.textContent());
    await sendText(harper.page, 'Never mind, resolved.');
    // The message has arrived (and been through the alert path) once the badge counts it.
    await expect.poll(async () => Number(await badge.textContent()), { timeout: 10_000 }).toBe(unread + 1);
    expect((await recorded()).length).toBe(2);
    await harper.context.close();
    await patel.context.close();
  });
});
