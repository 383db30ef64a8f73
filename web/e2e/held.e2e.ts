import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callAs, describeClients, launchBrowser, newClient, openDirect, sendText, signIn, startServer, violationsEverywhere, waitLive, type Client,
  type Server,
  userIdOf,
} from './harness';

// Held messages (docs/routing.md, "Off duty: held messages"): in rn.harper's direct
// conversation with dr.okafor, a message sent while he is off duty waits for him; she
// sees it held (also after a reload), he gets it when he is back on duty. An urgent
// message with the emergency override reaches him at once and says so to both; a held
// message can be withdrawn back into the composer. Each test puts dr.okafor back to
// available.
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

async function setAvailability(page: Page, username: string, status: string): Promise<void> {
  const id = await userIdOf(page, username);
  const answer = await callAs(page, username, 'POST', `/api/v1/users/${id}/availability`, { status });
  expect(answer.status).toBe(200);
}

// The direct thread of rn.harper and dr.okafor, as rn.harper's API answers it.
async function directThreadId(page: Page): Promise<number> {
  const okafor = await userIdOf(page, 'dr.okafor');
  const { threads } = (await callAs(page, 'rn.harper', 'GET', '/api/v1/threads')).json as { threads: { id: number; kind: string; member_ids: number[] }[] };
  return threads.find((t) => t.kind === 'direct' && t.member_ids.includes(okafor))!.id;
}

async function heldOnServer(page: Page): Promise<{ client_id: string; body: string }[]> {
  const answer = await callAs(page, 'rn.harper', 'GET', `/api/v1/threads/${await directThreadId(page)}/held`);
  expect(answer.status).toBe(200);
  return (answer.json as { held: { client_id: string; body: string }[] }).held;
}

// Sets the user's own availability through the header's dialog and closes it.
async function setOwnAvailability(page: Page, label: string): Promise<void> {
  await page.getByRole('button', { name: 'Availability', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Your availability' });
  await dialog.locator('.current-availability[data-status]').waitFor();
  await dialog.getByLabel(label, { exact: true }).check();
  await dialog.getByRole('button', { name: 'Set availability' }).click();
  await dialog.getByText(`You are ${label.toLowerCase()}`).first().waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
}

async function backToAvailable(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Availability', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Your availability' });
  await dialog.getByRole('button', { name: 'Back to available' }).click();
  await dialog.locator('.current-availability[data-status="available"]').waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
}

function heldBubble(page: Page, text: string) {
  return page.locator('.message.own.held', { hasText: text });
}

function hint(page: Page) {
  return page.locator('#held-hint');
}

async function signInBoth(): Promise<{ harper: Client; okafor: Client }> {
  const okafor = await newClient(browser, server);
  const harper = await newClient(browser, server);
  await signIn(okafor.page, 'dr.okafor');
  await waitLive(okafor.page);
  await signIn(harper.page, 'rn.harper');
  await waitLive(harper.page);
  return { harper, okafor };
}

describe('held messages', () => {
  test('a message to a colleague who is off duty is held for him, also after a reload, and reaches him when he is back', async () => {
    const { harper, okafor } = await signInBoth();
    try {
      await openDirect(okafor.page, 'Harper', 'rn.harper');
      await setOwnAvailability(okafor.page, 'Off duty');

      await openDirect(harper.page, 'Okafor', 'dr.okafor');
      await expect.poll(() => hint(harper.page).textContent(), { timeout: 15_000 })
        .toBe('Dr. Emeka Okafor is off duty: your message will be held until they are back on duty.');
      expect(await harper.page.getByLabel('Message', { exact: true }).getAttribute('aria-describedby')).toContain('held-hint');
      // Not urgent: no override is offered.
      expect(await harper.page.getByLabel('Emergency override: deliver now').count()).toBe(0);

      const text = 'Bed 12 discharge summary is ready for your signature when you are back.';
      await sendText(harper.page, text);
      const held = heldBubble(harper.page, text);
      await held.waitFor();
      expect(await held.locator('[data-status="held"]').textContent()).toBe('Held — Dr. Emeka Okafor is off duty until they are back on duty');
      expect(await harper.page.locator('.message.own.pending', { hasText: text }).count()).toBe(0);
      await expect.poll(() => harper.page.locator('.thread-notice').textContent())
        .toBe('Your message is held: Dr. Emeka Okafor is off duty until they are back on duty.');
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      // The server holds it for him, and he does not have it.
      expect((await heldOnServer(harper.page)).map((h) => h.body)).toEqual([text]);
      await okafor.page.waitForTimeout(1000);
      expect(await okafor.page.locator('.message', { hasText: text }).count()).toBe(0);

      // After a reload it is still held: from GET /threads/{id}/held.
      await harper.page.reload();
      await waitLive(harper.page);
      await held.waitFor({ timeout: 10_000 });
      expect(await held.count()).toBe(1);

      // He is back on duty: he gets it, and her held bubble becomes the message.
      await backToAvailable(okafor.page);
      await okafor.page.locator('.message.theirs', { hasText: text }).waitFor({ timeout: 15_000 });
      await harper.page.locator('.message.own:not(.held):not(.pending)', { hasText: text }).waitFor({ timeout: 15_000 });
      expect(await held.count()).toBe(0);
      expect(await harper.page.locator('.message.own', { hasText: text }).count()).toBe(1);
      expect(await heldOnServer(harper.page)).toEqual([]);
      await expect.poll(() => hint(harper.page).textContent(), { timeout: 15_000 }).toBe('');
      expect(harper.consoleLines.join('\n')).not.toContain('discharge summary');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper, okafor })}`);
    } finally {
      await setAvailability(harper.page, 'dr.okafor', 'available').catch(() => undefined);
      await okafor.context.close();
      await harper.context.close();
    }
  });

  test('an urgent message with the emergency override reaches him at once, and both see the override', async () => {
    const { harper, okafor } = await signInBoth();
    try {
      await setAvailability(harper.page, 'dr.okafor', 'off_duty');
      await openDirect(okafor.page, 'Harper', 'rn.harper');
      await openDirect(harper.page, 'Okafor', 'dr.okafor');
      await expect.poll(() => hint(harper.page).textContent(), { timeout: 15_000 }).toContain('your message will be held');

      // Urgent: the override is offered, and is a checkbox the keyboard works.
      await harper.page.getByLabel('Urgent').check();
      const override = harper.page.getByLabel('Emergency override: deliver now');
      await override.waitFor();
      await override.focus();
      await harper.page.keyboard.press('Space');
      expect(await override.isChecked()).toBe(true);
      expect(await hint(harper.page).textContent()).toBe('Emergency override: Dr. Emeka Okafor gets this urgent message now, although off duty.');
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      const text = 'Bed 7 is peri-arrest, need you now.';
      const box = harper.page.getByLabel('Message', { exact: true });
      await box.fill(text);
      await box.press('Enter');

      const line = 'Emergency override: delivered to Dr. Emeka Okafor although off duty';
      await okafor.page.locator('.message.theirs.urgent', { hasText: text }).waitFor({ timeout: 15_000 });
      await harper.page.locator('.message.own.urgent', { hasText: text }).locator('.routed-to[data-reason="override"]', { hasText: line }).waitFor({ timeout: 10_000 });
      await okafor.page.locator('.message.theirs', { hasText: text }).locator('.routed-to[data-reason="override"]', { hasText: line }).waitFor({ timeout: 10_000 });
      expect(await heldBubble(harper.page, text).count()).toBe(0);
      // The switches are off again after the send.
      expect(await harper.page.getByLabel('Urgent').isChecked()).toBe(false);
      expect(await override.count()).toBe(0);

      // The thread's history has it too, so every device shows it after a reload.
      const page = (await callAs(harper.page, 'rn.harper', 'GET', `/api/v1/threads/${await directThreadId(harper.page)}/messages?limit=5`)).json as {
        messages: { id: number; body: string }[]; routed: { message_id: number; user_id: number; reason: string }[];
      };
      const sent = page.messages.find((m) => m.body === text)!;
      expect(page.routed.filter((r) => r.message_id === sent.id).map((r) => [r.user_id, r.reason])).toEqual([[await userIdOf(harper.page, 'dr.okafor'), 'override']]);
      await harper.page.reload();
      await waitLive(harper.page);
      await harper.page.locator('.message.own', { hasText: text }).locator('.routed-to[data-reason="override"]', { hasText: line }).waitFor({ timeout: 10_000 });
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper, okafor })}`);
    } finally {
      await setAvailability(harper.page, 'dr.okafor', 'available').catch(() => undefined);
      await okafor.context.close();
      await harper.context.close();
    }
  });

  test('a held message can be withdrawn: its text goes back to the composer and he never gets it', async () => {
    const { harper, okafor } = await signInBoth();
    try {
      await setAvailability(harper.page, 'dr.okafor', 'off_duty');
      await openDirect(okafor.page, 'Harper', 'rn.harper');
      await openDirect(harper.page, 'Okafor', 'dr.okafor');
      await expect.poll(() => hint(harper.page).textContent(), { timeout: 15_000 }).toContain('your message will be held');

      const text = 'Can you check the bed 9 potassium before rounds?';
      await sendText(harper.page, text);
      const held = heldBubble(harper.page, text);
      await held.waitFor();
      await held.getByRole('button', { name: 'Withdraw' }).click();
      await expect.poll(() => held.count()).toBe(0);
      const box = harper.page.getByLabel('Message', { exact: true });
      await expect.poll(() => box.inputValue()).toBe(text);
      expect(await harper.page.getByLabel('Urgent').isChecked()).toBe(false);
      await expect.poll(() => harper.page.locator('.thread-notice').textContent()).toBe('Withdrawn: the message is back in the message field.');
      expect(await heldOnServer(harper.page)).toEqual([]);

      // Back on duty, he does not get it.
      await setAvailability(harper.page, 'dr.okafor', 'available');
      await expect.poll(() => hint(harper.page).textContent(), { timeout: 15_000 }).toBe('');
      await okafor.page.waitForTimeout(2000);
      expect(await okafor.page.locator('.message', { hasText: text }).count()).toBe(0);
      expect(await box.inputValue()).toBe(text);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper, okafor })}`);
    } finally {
      await setAvailability(harper.page, 'dr.okafor', 'available').catch(() => undefined);
      await okafor.context.close();
      await harper.context.close();
    }
  });
});
