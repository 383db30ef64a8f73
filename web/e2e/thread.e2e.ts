// Inside an open thread: copying and selecting text, replying with a quote, details
// from the keyboard, day separators, the new-messages divider, jump to latest, drafts
// and the open thread across a reload, the typing notice, the length counter.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, openDirect, sendText, signIn, startServer, waitLive, type Server } from './harness';
import { seed } from './seed';

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

// Dr. Patel's direct thread with Olivia Harper (the patient thread has the same title).
function directWithHarper(page: Page): Locator {
  return page.locator('.thread-item', { hasText: 'Olivia Harper, RN', hasNot: page.locator('.thread-patient') });
}

function optionsOf(message: Locator): Locator {
  return message.getByRole('button', { name: /^Options for / });
}

async function settled(message: Locator): Promise<void> {
  await expect.poll(() => message.locator('[data-status]').getAttribute('data-status'), { timeout: 15_000 }).not.toBe('sending');
}

// The message list's rows in order, as their text.
function rowTexts(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.scroller .row')]
      .sort((a, b) => a.offsetTop - b.offsetTop)
      .map((row) => (row.querySelector('.body')?.textContent ?? row.textContent ?? '').trim()),
  );
}

// Whether the element (the first matching `selector`, or the message whose text is
// `text`) is inside the message list's viewport.
function inView(page: Page, selector: string, text?: string): Promise<boolean> {
  return page.evaluate(([s, t]) => {
    const element = [...document.querySelectorAll(s)].find((e) => t === undefined || e.querySelector('.body')?.textContent === t);
    const scroller = document.querySelector('.scroller');
    if (!element || !scroller) return false;
    const box = element.getBoundingClientRect();
    const view = scroller.getBoundingClientRect();
    return box.bottom > view.top && box.top < view.bottom;
  }, [selector, text] as const);
}

// The records of the drafts database as text, the sealed bytes decoded as Latin-1.
function storedDrafts(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>(async (resolve, reject) => {
        // The user's own drafts database, wardline-drafts-<user id>.
        const name = (await indexedDB.databases()).map((d) => d.name ?? '').find((n) => n.startsWith('wardline-drafts-'));
        if (!name) return resolve([]);
        const request = indexedDB.open(name);
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains('drafts')) {
            db.close();
            resolve([]);
            return;
          }
          const all = db.transaction('drafts').objectStore('drafts').getAll();
          all.onsuccess = () => {
            db.close();
            const latin1 = new TextDecoder('latin1');
            resolve(all.result.map((r) => `${JSON.stringify(r)} ${r.sealed ? latin1.decode(r.sealed.data) : 'not sealed'}`));
          };
        };
      }),
  );
}

// A fixed-offset time zone in which it is now between 22:00 and 23:00, so that local
// midnight comes within two hours.
function zoneNearMidnight(): string {
  let offset = 22 - new Date().getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset === 0) return 'Etc/GMT';
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

describe('inside a thread', () => {
  test("an own message's text can be selected by hand and copied from its options", async () => {
    const { page, context } = await newClient(browser, server, undefined, {
      context: { permissions: ['clipboard-read', 'clipboard-write'] },
    });
    await signIn(page, 'dr.patel');
    await waitLive(page);
    await directWithHarper(page).click();
    const text = 'Copy check: K+ 5.9 at 06:00, repeat at 10:00.';
    await sendText(page, text);
    const own = page.locator('.message.own', { hasText: text });
    await settled(own);

    // Selecting the text opens nothing.
    await own.locator('.body').click({ clickCount: 3 });
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.evaluate(() => getSelection()?.toString().trim())).toBe(text);

    await optionsOf(own).click();
    const options = page.getByRole('dialog', { name: 'Message options' });
    await options.getByRole('button', { name: 'Copy text' }).click();
    await options.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Copied' }).count()).toBe(1);
    await context.close();
  });

  test('a reply shows its quote above the composer, can drop it, and sends it in the documented form', async () => {
    const { page, context } = await newClient(browser, server);
    await signIn(page, 'dr.patel');
    await waitLive(page);
    await directWithHarper(page).click();
    const original = page.locator('.message.theirs', { hasText: 'are you on the unit this afternoon?' });
    const reply = async () => {
      await optionsOf(original).click();
      await page.getByRole('dialog', { name: 'Message options' }).getByRole('button', { name: 'Reply' }).click();
    };
    await reply();
    const quote = page.getByRole('group', { name: 'Replying to Olivia Harper, RN' });
    expect(await quote.textContent()).toContain('Dr. Patel, are you on the unit this afternoon?');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('composer-input');
    await quote.getByRole('button', { name: 'Remove the quote' }).click();
    await quote.waitFor({ state: 'detached' });

    await reply();
    await sendText(page, 'Yes, on 4 West until 18:00.');
    const sent = page.locator('.message.own', { hasText: 'on 4 West until 18:00' });
    await settled(sent);
    expect(await sent.locator('blockquote').textContent()).toContain('Dr. Patel, are you on the unit this afternoon?');
    expect(await sent.locator('.body').textContent()).toBe('Yes, on 4 West until 18:00.');
    expect(await page.getByRole('group', { name: /^Replying to/ }).count()).toBe(0);
    const body = await page.evaluate(async () => {
      const { token } = JSON.parse(sessionStorage.getItem('wardline.session') ?? '{}') as { token: string };
      const answer = await fetch('/api/v1/threads/1/messages?limit=1', { headers: { Authorization: `Bearer ${token}` } });
      return ((await answer.json()) as { messages: { body: string }[] }).messages[0].body;
    });
    expect(body).toBe('> Olivia Harper, RN:\n> Dr. Patel, are you on the unit this afternoon?\n\nYes, on 4 West until 18:00.');

    // The recipient sees the quote as a quote.
    const harper = await newClient(browser, server);
    await signIn(harper.page, 'rn.harper');
    const item = harper.page.locator('.thread-item', { hasText: 'on 4 West until 18:00' });
    expect(await item.locator('.thread-preview').textContent()).not.toContain('> ');
    await item.click();
    const received = harper.page.locator('.message.theirs', { hasText: 'on 4 West until 18:00' });
    expect(await received.locator('blockquote').textContent()).toContain('are you on the unit this afternoon?');
    await harper.context.close();
    await context.close();
  });

  test("the details of a colleague's message open with the keyboard alone", async () => {
    const { page, context } = await newClient(browser, server);
    await signIn(page, 'dr.patel');
    await waitLive(page);
    await page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
    await page.locator('.message', { hasText: 'Room 12: BP 168/95' }).waitFor();
    await page.getByLabel('Message', { exact: true }).focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Shift+Tab');
      reached = await page.evaluate(() => {
        const focused = document.activeElement;
        return !!focused?.matches('.message-options') && !!focused.closest('.message')?.textContent?.includes('Room 12: BP 168/95');
      });
    }
    expect(reached, 'the options of the message are in the tab order').toBe(true);
    await page.keyboard.press('Enter');
    const options = page.getByRole('dialog', { name: 'Message options' });
    await options.waitFor();
    for (let i = 0; i < 6; i++) {
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Details') break;
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    const details = page.getByRole('dialog', { name: 'Message details' });
    await details.waitFor();
    expect(await details.textContent()).toContain('From Olivia Harper, RN');
    expect(await details.textContent()).toContain('Room 12: BP 168/95');
    await expect.poll(() => details.locator('tr[data-user-id] th').textContent()).toBe('Dr. Nina Patel');
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    await expect.poll(() => page.evaluate(() => document.activeElement?.matches('.message-options') ?? false)).toBe(true);
    await context.close();
  });

  test('day separators name the day: Today, and Yesterday once local midnight has passed', async () => {
    const zone = zoneNearMidnight();
    const open = async (page: Page) => {
      await signIn(page, 'dr.okafor');
      await page.locator('.thread-item', { hasText: '4 West huddle' }).click();
      await page.locator('.message', { hasText: 'Huddle at 15:00' }).waitFor();
    };
    const now = await newClient(browser, server, undefined, { context: { timezoneId: zone, locale: 'en-US' } });
    await open(now.page);
    expect(await now.page.locator('.scroller .row .day-separator').allTextContents()).toEqual(['Today']);
    const rows = await rowTexts(now.page);
    expect(rows.indexOf('Today')).toBeGreaterThan(0);
    expect(rows.indexOf('Today')).toBeLessThan(rows.indexOf("Huddle at 15:00 by the nurses' station."));
    await now.context.close();

    const later = await newClient(browser, server, undefined, { context: { timezoneId: zone, locale: 'en-US' } });
    await later.context.clock.install({ time: Date.now() + 3 * 3600 * 1000 });
    await later.page.reload();
    await open(later.page);
    expect(await later.page.locator('.scroller .row .day-separator').allTextContents()).toEqual(['Yesterday']);
    await later.context.close();
  });

  test('the new-messages divider, jump to latest, the open thread and its draft across a reload', { timeout: 90_000 }, async () => {
    const { page, context } = await newClient(browser, server);
    await signIn(page, 'dr.patel');
    await waitLive(page);
    const unreadBefore = await seed(page, 40, kPassword);
    const item = page.locator('.thread-item', { hasText: 'Load line 40' });
    await expect.poll(() => item.locator('.badge').textContent(), { timeout: 20_000 }).toBe(String(unreadBefore + 40));
    await item.click();

    // The thread opens at the divider, just above the first unread message.
    const divider = page.locator('.unread-divider');
    await divider.waitFor();
    const afterDivider = async () => {
      const rows = await rowTexts(page);
      return rows[rows.findIndex((t) => t.startsWith('New messages')) + 1];
    };
    expect(await afterDivider()).toBe('Load line 1');
    expect(await inView(page, '.unread-divider')).toBe(true);
    const jump = page.getByRole('button', { name: 'Jump to latest' });
    await jump.click();
    await expect.poll(() => inView(page, '.message', 'Load line 40')).toBe(true);
    await jump.waitFor({ state: 'detached' });

    // A draft, sealed at rest.
    const draft = 'Draft: call pharmacy about the vancomycin level.';
    const box = page.getByLabel('Message', { exact: true });
    await box.fill(draft);
    await expect.poll(() => storedDrafts(page)).toHaveLength(1);
    const stored = await storedDrafts(page);
    expect(stored[0]).not.toContain('not sealed');
    expect(stored[0]).not.toContain('vancomycin');

    // After a reload the same thread is open, the divider where it was, the draft back.
    await page.reload();
    await page.locator('.unread-divider').waitFor();
    expect(await page.locator('.thread-view h2').textContent()).toBe('Olivia Harper, RN');
    expect(await afterDivider()).toBe('Load line 1');
    await expect.poll(() => box.inputValue()).toBe(draft);

    // Kept per thread across navigation.
    await page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
    await page.getByRole('region', { name: 'Patient', exact: true }).waitFor();
    expect(await box.inputValue()).toBe('');
    await item.click();
    await expect.poll(() => box.inputValue()).toBe(draft);

    // Sent, the draft is gone.
    await box.press('Enter');
    await settled(page.locator('.message.own', { hasText: draft }));
    await expect.poll(() => storedDrafts(page)).toEqual([]);
    await context.close();
  });

  test('more new messages than the first page: jump to the first unread loads back to it', async () => {
    // Read up to now, and signed out while Harper writes.
    const reader = await newClient(browser, server);
    await signIn(reader.page, 'dr.patel');
    await directWithHarper(reader.page).click();
    await expect.poll(() => directWithHarper(reader.page).locator('.badge').count()).toBe(0);
    await reader.context.close();
    const { page, context } = await newClient(browser, server);
    const unreadBefore = await seed(page, 120, kPassword, 41);
    expect(unreadBefore).toBe(0);
    await signIn(page, 'dr.patel');
    const item = page.locator('.thread-item', { hasText: 'Load line 160' });
    await expect.poll(() => item.locator('.badge').textContent(), { timeout: 20_000 }).toBe('120');
    await item.click();
    await page.locator('.message', { hasText: 'Load line 160' }).waitFor();
    expect(await page.locator('.unread-divider').count()).toBe(0);
    await page.getByRole('button', { name: 'Jump to first unread' }).click();
    await page.locator('.unread-divider').waitFor();
    await expect.poll(() => inView(page, '.unread-divider')).toBe(true);
    const rows = await rowTexts(page);
    expect(rows[rows.findIndex((t) => t.startsWith('New messages')) + 1]).toBe('Load line 41');
    await page.getByRole('button', { name: 'Jump to first unread' }).waitFor({ state: 'detached' });
    await context.close();
  });

  test("a typing notice ends when that person's message arrives", async () => {
    const lindqvist = await newClient(browser, server);
    const adeyemi = await newClient(browser, server);
    await signIn(lindqvist.page, 'dr.lindqvist');
    await signIn(adeyemi.page, 'rn.adeyemi');
    await waitLive(lindqvist.page);
    await waitLive(adeyemi.page);
    await openDirect(lindqvist.page, 'Adeyemi', 'rn.adeyemi');
    await sendText(lindqvist.page, 'Are you free for a consult?');
    await adeyemi.page.locator('.thread-item', { hasText: 'consult' }).click();
    // The reader's clock stands still: a notice can only end by the message.
    await lindqvist.page.clock.setFixedTime(new Date());
    const typing = lindqvist.page.locator('p.typing');
    await adeyemi.page.getByLabel('Message', { exact: true }).click();
    await adeyemi.page.keyboard.type('Bed 7, new AF');
    await expect.poll(() => typing.textContent(), { timeout: 10_000 }).toBe('Funmi Adeyemi, RN is typing…');
    await adeyemi.page.keyboard.press('Enter');
    await lindqvist.page.locator('.message.theirs', { hasText: 'Bed 7, new AF' }).waitFor();
    expect(await typing.textContent()).toBe('');
    await lindqvist.context.close();
    await adeyemi.context.close();
  });

  test('the length counter counts as the server does, and a fixed text clears the error', async () => {
    const { page, context } = await newClient(browser, server);
    await signIn(page, 'dr.garcia');
    await waitLive(page);
    await openDirect(page, 'Haddad', 'dr.haddad');
    const box = page.getByLabel('Message', { exact: true });
    const counter = page.locator('.composer-counter');
    const send = page.getByRole('button', { name: 'Send' });
    await box.fill('x'.repeat(3000));
    expect(await counter.count()).toBe(0);
    await box.fill('x'.repeat(4000));
    await expect.poll(() => counter.textContent()).toBe('96 characters left');
    // The server counts bytes of UTF-8: "é" takes two.
    await box.fill('é'.repeat(2048));
    await expect.poll(() => counter.textContent()).toBe('0 characters left');
    expect(await send.isEnabled()).toBe(true);
    await box.fill('é'.repeat(2049));
    await expect.poll(() => counter.textContent()).toBe('1 character too many');
    expect(await send.isEnabled()).toBe(false);
    await box.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('This message is too long: remove 1 character.');
    await box.press('End');
    await box.press('Backspace');
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
    expect(await counter.textContent()).toBe('0 characters left');
    await box.press('Enter');
    await settled(page.locator('.message.own', { hasText: 'éééé' }));
    expect(await counter.count()).toBe(0);
    await context.close();
  });
});
