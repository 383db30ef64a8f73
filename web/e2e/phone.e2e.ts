// The phone layout and the thread's newer views: tap targets of at least 44×44 px at
// 390×844, a composer field that takes the width, the patient's MRN shown whole and
// labelled once, and axe-core on every view inside a thread at phone and desktop
// widths, light and dark.
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, signIn, startServer, waitLive, type Server } from './harness';
import { seed } from './seed';

const kPhone = { width: 390, height: 844 };
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

// Every visible control inside `scope` smaller than 44×44 px. A checkbox counts by its
// label, which is what a finger hits.
function smallTargets(page: Page, scope: string): Promise<string[]> {
  return page.evaluate((s) => {
    const small: string[] = [];
    for (const root of document.querySelectorAll(s)) {
      for (const element of root.querySelectorAll<HTMLElement>('button, a[href], input, textarea, select, [role="tab"]')) {
        const target = element.matches('input[type="checkbox"], input[type="radio"]') ? (element.closest('label') ?? element) : element;
        if (target.offsetParent === null) continue;
        const box = target.getBoundingClientRect();
        if (box.width < 44 || box.height < 44) {
          const name = element.getAttribute('aria-label') ?? element.textContent?.trim() ?? element.id;
          small.push(`${element.tagName.toLowerCase()} "${name}": ${Math.round(box.width)}×${Math.round(box.height)}`);
        }
      }
    }
    return small;
  }, scope);
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('phone layout', () => {
  test('every control is at least 44×44 px at 390×844, and the message field takes the width', async () => {
    const { page, context } = await newClient(browser, server, kPhone);
    await signIn(page, 'dr.patel');
    await waitLive(page);
    for (const name of ['New', 'Sign out']) await page.getByRole('button', { name, exact: true }).waitFor();
    expect(await smallTargets(page, '.sidebar')).toEqual([]);

    await page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
    await page.locator('.message', { hasText: 'Room 12: BP 168/95' }).waitFor();
    expect(await smallTargets(page, '.thread-view')).toEqual([]);
    const row = await page.evaluate(() => {
      const box = (s: string) => document.querySelector(s)!.getBoundingClientRect();
      return { field: box('#composer-input'), urgent: box('.urgent-toggle'), send: box('.send-button') };
    });
    expect(row.field.left - row.urgent.right).toBeLessThan(12);
    expect(row.send.left - row.field.right).toBeLessThan(12);

    await page.locator('.message.theirs', { hasText: 'Room 12' }).getByRole('button', { name: /^Options for / }).click();
    await page.getByRole('dialog', { name: 'Message options' }).waitFor();
    expect(await smallTargets(page, 'dialog')).toEqual([]);
    await page.getByRole('button', { name: 'Reply' }).click();
    await page.getByRole('group', { name: /^Replying to/ }).waitFor();
    expect(await smallTargets(page, '.thread-view')).toEqual([]);
    await context.close();
  });

  test('the MRN reads "MRN 100234" once in the banner and stays whole in the list at 320 px', async () => {
    const { page, context } = await newClient(browser, server, { width: 320, height: 640 });
    await signIn(page, 'rn.harper');
    const mrn = page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).locator('.thread-mrn');
    expect(await mrn.textContent()).toBe('MRN 100234');
    const clipped = await mrn.evaluate((e) => {
      const item = e.closest('.thread-item')!.getBoundingClientRect();
      return e.scrollWidth > e.clientWidth || e.getBoundingClientRect().right > item.right;
    });
    expect(clipped).toBe(false);
    await page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
    const banner = page.getByRole('region', { name: 'Patient', exact: true });
    expect(await banner.textContent()).toContain('MRN 100234');
    expect(await banner.textContent()).not.toContain('MRN MRN');
    await context.close();
  });

  test('axe finds nothing serious in the divider, separator, jump, reply, counter, options and details, phone and desktop, light and dark', { timeout: 120_000 }, async () => {
    let first = 1;
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const viewport of [kPhone, { width: 1280, height: 800 }]) {
        const { page, context } = await newClient(browser, server, viewport, { context: { colorScheme } });
        const where = `${viewport.width}px ${colorScheme}`;
        // New messages from Harper: the thread opens at the divider, above the latest.
        await seed(page, 46, kPassword, first);
        first += 46;
        await signIn(page, 'dr.patel');
        await waitLive(page);
        await page.locator('.thread-item', { hasText: `Load line ${first - 1}` }).click();
        await page.locator('.unread-divider').waitFor();
        await page.getByRole('button', { name: 'Jump to latest' }).waitFor();
        const options = async () => {
          const body = page.locator('.body', { hasText: new RegExp(`^Load line ${first - 46}$`) });
          await page.locator('.message.theirs', { has: body }).getByRole('button', { name: /^Options for / }).click();
          return page.getByRole('dialog', { name: 'Message options' });
        };
        await (await options()).getByRole('button', { name: 'Reply' }).click();
        await page.getByLabel('Message', { exact: true }).fill('x'.repeat(4000));
        await page.locator('.composer-counter').waitFor();
        expect(await seriousViolations(page), `thread, ${where}`).toEqual([]);
        if (viewport.width < 768) expect(await smallTargets(page, '.thread-view'), where).toEqual([]);
        const dialog = await options();
        await dialog.waitFor();
        expect(await seriousViolations(page), `options, ${where}`).toEqual([]);
        await dialog.getByRole('button', { name: 'Details' }).click();
        await page.getByRole('dialog', { name: 'Message details' }).locator('tbody tr').first().waitFor();
        expect(await seriousViolations(page), `details, ${where}`).toEqual([]);
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({ state: 'detached' });
        // The day's separator, above the first loaded message.
        // Earlier pages load as the top is reached and push it away again: scroll up
        // until the separator is in view.
        const log = page.getByRole('log', { name: 'Messages' });
        await expect
          .poll(async () => {
            await log.evaluate((el) => (el.scrollTop = 0));
            return page.locator('.day-separator').count();
          }, { timeout: 20_000, interval: 250 })
          .toBeGreaterThan(0);
        expect(await seriousViolations(page), `separator, ${where}`).toEqual([]);
        await context.close();
      }
    }
  });
});
