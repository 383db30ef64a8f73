import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { describeClients, launchBrowser, newClient, openDirect, openThreadByTitle, ownStatus, pickPatient, sendText, signIn, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let patel: Client;
let okafor: Client;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  patel = await newClient(browser, server);
  okafor = await newClient(browser, server);
  await signIn(patel.page, 'dr.patel');
  await signIn(okafor.page, 'dr.okafor');
  await waitLive(patel.page);
  await waitLive(okafor.page);
});

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') console.error(`after "${task.name}":\n${await describeClients({ patel, okafor })}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('two clinicians', () => {
  test('a message shows Sent, then Delivered, then Read on the sender side, live', async () => {
    await openDirect(patel.page, 'Okafor', 'dr.okafor');
    // Okafor stays on the list, so the message is delivered but not read yet.
    await sendText(patel.page, 'Bed 4 potassium is 6.1, please review.');
    const status = ownStatus(patel.page, 'Bed 4 potassium');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 15_000 }).toBe('delivered');
    await expect.poll(() => status.textContent()).toBe('Delivered');

    const item = okafor.page.locator('.thread-item', { hasText: 'Dr. Nina Patel' }).first();
    await expect.poll(() => item.locator('.badge').textContent(), { timeout: 10_000 }).toBe('1');

    await openThreadByTitle(okafor.page, 'Dr. Nina Patel');
    await okafor.page.locator('.message.theirs', { hasText: 'Bed 4 potassium' }).waitFor();
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 15_000 }).toBe('read');
    await expect.poll(() => item.locator('.badge').count()).toBe(0);
  });

  test('the reply arrives at once and the tab title counts unread messages', async () => {
    // Patel goes back to the list (phone-style back is in the thread header on small screens).
    await patel.page.locator('.thread-item', { hasText: 'Dr. Nina Patel' }).count();
    await okafor.page.setViewportSize({ width: 1280, height: 800 });
    await patel.page.evaluate(() => history.back());
    await patel.page.getByText('No conversation open').waitFor();
    await sendText(okafor.page, 'On my way, repeat K+ in 1 hour.');
    const item = patel.page.locator('.thread-item', { hasText: 'Dr. Emeka Okafor' }).first();
    await expect.poll(() => item.locator('.badge').textContent(), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => patel.page.title()).toMatch(/^\(\d+\) Wardline$/);
    await openThreadByTitle(patel.page, 'Dr. Emeka Okafor');
    await patel.page.locator('.message.theirs', { hasText: 'repeat K+' }).waitFor();
    await expect.poll(() => ownStatus(okafor.page, 'repeat K+').getAttribute('data-status'), { timeout: 15_000 }).toBe('read');
  });

  test('an urgent message is marked urgent for the recipient', async () => {
    await patel.page.evaluate(() => history.back());
    await okafor.page.getByLabel('Urgent').check();
    await sendText(okafor.page, 'Rapid response called for room 12.');
    const item = patel.page.locator('.thread-item', { hasText: 'Dr. Emeka Okafor' }).first();
    await item.locator('.urgent-tag').waitFor({ timeout: 10_000 });
    await openThreadByTitle(patel.page, 'Dr. Emeka Okafor');
    const message = patel.page.locator('.message.theirs.urgent', { hasText: 'Rapid response' });
    await message.waitFor();
    expect(await message.locator('.urgent-tag').textContent()).toBe('Urgent');
    await expect.poll(() => item.locator('.urgent-tag').count()).toBe(0);
  });

  // Each own message's status comes from the history page after a reload, when the
  // stream resumes past the receipts, not only for the newest few.
  test('after a reload every own message shows its status: delivered, then read', async () => {
    const page = patel.page;
    await okafor.page.evaluate(() => history.back());
    await okafor.page.getByText('No conversation open').waitFor();
    const count = 12;
    for (let n = 1; n <= count; n++) await sendText(page, `Round note ${n} of ${count}`);
    const notes = page.locator('.message.own', { hasText: /Round note \d+ of 12/ });
    const withStatus = (stage: string) => notes.locator(`[data-status="${stage}"]`).count();
    await expect.poll(() => withStatus('delivered'), { timeout: 30_000 }).toBe(count);

    const reopen = async () => {
      await page.reload();
      await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
      await openThreadByTitle(page, 'Dr. Emeka Okafor');
      await notes.first().waitFor();
    };
    await reopen();
    await expect.poll(() => notes.count()).toBe(count);
    await expect.poll(() => withStatus('delivered')).toBe(count);

    await openThreadByTitle(okafor.page, 'Dr. Nina Patel');
    await okafor.page.locator('.message.theirs', { hasText: `Round note ${count} of` }).waitFor();
    await expect.poll(() => withStatus('read'), { timeout: 15_000 }).toBe(count);
    await reopen();
    await expect.poll(() => withStatus('read')).toBe(count);
  });

  test('a patient thread started from the picker shows the patient banner on both sides', async () => {
    const page = patel.page;
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('tab', { name: 'Patient' }).click();
    await pickPatient(page, 'sample', 'Sample, Bruno');
    await page.locator('input[type="checkbox"][data-username="dr.okafor"]').check();
    await page.getByRole('button', { name: 'Start patient conversation' }).click();
    // As a clinician does, type once the new thread is open: until the server has
    // created it, the thread open behind the dialog is the previous one.
    await expect.poll(() => page.getByRole('region', { name: 'Patient', exact: true }).textContent(), { timeout: 15_000 }).toContain('Sample, Bruno');
    await sendText(page, 'Bruno Sample: lactate trending down, keep the fluids.');
    await expect.poll(() => ownStatus(page, 'lactate trending').getAttribute('data-status'), { timeout: 15_000 }).not.toBe('sending');

    await okafor.page.locator('.thread-item', { hasText: 'Sample, Bruno' }).first().click();
    await okafor.page.locator('.message.theirs', { hasText: 'lactate trending' }).waitFor();
    for (const side of [page, okafor.page]) {
      const banner = side.getByRole('region', { name: 'Patient', exact: true });
      await expect.poll(() => banner.textContent()).toContain('Sample, Bruno');
      expect(await banner.textContent()).toContain('MRN 100871');
      expect(await banner.textContent()).not.toContain('MRN MRN');
      expect(await banner.textContent()).toContain('ICU, bed 3');
    }
  });

  // The draft of one thread never leaks into another, and nothing typed into a
  // just-opened thread is lost: here the text goes in before the new thread has
  // painted, and Enter comes two frames later.
  test('text typed the moment another thread opens is sent there', async () => {
    const page = okafor.page;
    await page.locator('.thread-item', { hasText: 'Round note 12 of 12' }).first().click();
    await page.getByLabel('Message', { exact: true }).fill('A draft left here.');
    await page.evaluate(async () => {
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      const item = [...document.querySelectorAll<HTMLElement>('.thread-item')].find((e) => e.textContent?.includes('Sample, Bruno'))!;
      item.click();
      for (let i = 0; i < 3; i++) await Promise.resolve();
      const box = document.querySelector<HTMLTextAreaElement>('#composer-input')!;
      box.value = 'Typed at once: fluids at 80 ml/h.';
      box.dispatchEvent(new Event('input', { bubbles: true }));
      await frame();
      await frame();
      box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    });
    await page.locator('.message.own', { hasText: 'Typed at once' }).waitFor({ timeout: 10_000 });
    await patel.page.locator('.thread-item', { hasText: 'Typed at once' }).waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('Message', { exact: true }).inputValue()).toBe('');
    // Back in the first thread the draft is not carried over, and nothing was sent there.
    await page.locator('.thread-item', { hasText: 'Round note 12 of 12' }).first().click();
    expect(await page.locator('.message', { hasText: 'A draft left here.' }).count()).toBe(0);
    expect(await page.locator('.message', { hasText: 'Typed at once' }).count()).toBe(0);
  });

  test('no message text or patient data reaches the console or the URL', async () => {
    for (const client of [patel, okafor]) {
      const logged = client.consoleLines.join('\n');
      expect(logged).not.toContain('potassium');
      expect(logged).not.toContain('Testpatient');
      expect(logged).not.toContain('Sample, Bruno');
      expect(logged).not.toContain('lactate');
      expect(logged).not.toContain('Content Security Policy');
      expect(new URL(client.page.url()).pathname).toBe('/');
      expect(new URL(client.page.url()).search).toBe('');
    }
  });
});
