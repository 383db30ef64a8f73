import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callAs, describeClients, launchBrowser, newClient, openDirect, sendText, signIn, startServer, violationsEverywhere, waitLive, type Client,
  type Server,
  userIdOf,
} from './harness';

// Gatekeepers (docs/routing.md, "Gatekeepers"): the demo's dr.nguyen is in procedure and
// op.desk (Riley Morgan) screens his messages. op.desk answers rn.chen's demo message
// from the screening list, passes rn.harper's on and holds another; each sender sees
// where her message is, in her thread, live. dr.nguyen names a gatekeeper in the
// Availability dialog. What a test changes (gatekeepers, held messages) is put back.
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

const kDemoText = "Dr. Nguyen, ICU bed 3's drain put out 250 mL in the last hour. Can you review after your case?";

async function signedIn(username: string, viewport?: { width: number; height: number }): Promise<Client> {
  const client = await newClient(browser, server, viewport);
  await signIn(client.page, username);
  await waitLive(client.page);
  return client;
}

// The shell's entry, shown while something waits for a decision; opens the list.
async function openScreening(page: Page) {
  await page.getByRole('button', { name: /^Screening/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Screening' });
  await dialog.waitFor();
  return dialog;
}

function screenedItem(page: Page, text: string) {
  return page.getByRole('list', { name: 'Messages to screen' }).locator('li.screened', { hasText: text });
}

function heldBubble(page: Page, text: string) {
  return page.locator('.message.own.held', { hasText: text });
}

function delivered(page: Page, text: string) {
  return page.locator('.message.own:not(.held):not(.pending)', { hasText: text });
}

async function heldOf(page: Page, username: string, peer: string): Promise<{ held_id: number; body: string }[]> {
  const peerId = await userIdOf(page, peer);
  const { threads } = (await callAs(page, username, 'GET', '/api/v1/threads')).json as { threads: { id: number; kind: string; member_ids: number[] }[] };
  const thread = threads.find((t) => t.kind === 'direct' && t.member_ids.includes(peerId));
  if (!thread) return [];
  return ((await callAs(page, username, 'GET', `/api/v1/threads/${thread.id}/held`)).json as { held: { held_id: number; body: string }[] }).held;
}

describe('gatekeepers', () => {
  test("the gatekeeper answers rn.chen's screened message from the screening list, and she sees the answer in her thread", { timeout: 120_000 }, async () => {
    const desk = await signedIn('op.desk');
    const chen = await signedIn('rn.chen');
    try {
      // Her message waits in screening: her bubble says with whom.
      await openDirect(chen.page, 'Nguyen', 'dr.nguyen');
      const bubble = heldBubble(chen.page, 'drain put out 250 mL');
      await expect.poll(() => bubble.locator('[data-status="held"]').textContent(), { timeout: 15_000 })
        .toBe('With Riley Morgan for screening — Dr. Minh Nguyen is in procedure');
      expect(await bubble.getAttribute('data-state')).toBe('screening');
      await expect.poll(() => chen.page.locator('#held-hint').textContent(), { timeout: 15_000 })
        .toBe('Dr. Minh Nguyen is in procedure — Riley Morgan screens their messages');

      // The shell offers the list with its count; the message is in it, for whom and from whom.
      const entry = desk.page.getByRole('button', { name: /^Screening/ });
      await expect.poll(() => entry.textContent(), { timeout: 15_000 }).toContain('1');
      expect(await entry.getAttribute('aria-haspopup')).toBe('dialog');
      const dialog = await openScreening(desk.page);
      const item = screenedItem(desk.page, 'drain put out 250 mL');
      await item.waitFor();
      expect(await item.locator('.screened-for').textContent()).toBe('For Dr. Minh Nguyen (in procedure)');
      expect(await item.locator('.screened-from').textContent()).toContain('From Grace Chen, RN');
      expect(await item.locator('.screened-body').textContent()).toBe(kDemoText);
      expect(await item.locator('.urgent-tag').count()).toBe(0);

      // axe on the list at both widths (light and dark), and 44 px targets on a phone.
      expect(await violationsEverywhere(desk.page)).toEqual([]);
      await desk.page.setViewportSize({ width: 390, height: 844 });
      for (const name of ['Pass on', 'Hold', 'Answer']) {
        const box = (await item.getByRole('button', { name, exact: true }).boundingBox())!;
        expect(box.width).toBeGreaterThanOrEqual(44);
        expect(box.height).toBeGreaterThanOrEqual(44);
      }
      await desk.page.setViewportSize({ width: 1280, height: 800 });

      // Answer, by keyboard: the field opens focused, Send answer.
      await item.getByRole('button', { name: 'Answer', exact: true }).focus();
      await desk.page.keyboard.press('Enter');
      const field = item.getByLabel('Answer to Grace Chen, RN');
      await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(true);
      expect(await violationsEverywhere(desk.page)).toEqual([]);
      const answer = 'Riley at the operator desk: Dr. Nguyen is scrubbed in; I have paged the surgery resident to review bed 3.';
      await field.fill(answer);
      await item.getByRole('button', { name: 'Send answer' }).click();
      await expect.poll(() => dialog.locator('.screening-done').textContent()).toBe('Answered.');
      await dialog.getByText('Nothing is waiting for screening.').waitFor();

      // Her thread: the message delivered, with the gatekeeper's line, and the answer after it.
      const line = 'Answered by Riley Morgan, screening for Dr. Minh Nguyen';
      await delivered(chen.page, 'drain put out 250 mL').locator('.routed-to[data-reason="answered"]', { hasText: line }).waitFor({ timeout: 15_000 });
      await chen.page.locator('.message.theirs', { hasText: answer }).waitFor({ timeout: 15_000 });
      expect(await bubble.count()).toBe(0);
      expect(await heldOf(chen.page, 'rn.chen', 'dr.nguyen')).toEqual([]);
      // After a reload too, from the history page.
      await chen.page.reload();
      await waitLive(chen.page);
      await delivered(chen.page, 'drain put out 250 mL').locator('.routed-to[data-reason="answered"]', { hasText: line }).waitFor({ timeout: 15_000 });
      for (const lines of [desk.consoleLines, chen.consoleLines]) expect(lines.join('\n')).not.toContain('bed 3');
      expect(desk.page.url()).not.toContain('screening');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ desk, chen })}`);
    } finally {
      await desk.context.close();
      await chen.context.close();
    }
  });

  test("rn.harper's message to dr.nguyen is screened; passed on, it becomes a delivered message with the gatekeeper's line", { timeout: 120_000 }, async () => {
    const desk = await signedIn('op.desk');
    const harper = await signedIn('rn.harper');
    try {
      await openDirect(harper.page, 'Nguyen', 'dr.nguyen');
      await expect.poll(() => harper.page.locator('#held-hint').textContent(), { timeout: 15_000 })
        .toBe('Dr. Minh Nguyen is in procedure — Riley Morgan screens their messages');
      expect(await harper.page.getByLabel('Message', { exact: true }).getAttribute('aria-describedby')).toContain('held-hint');

      const text = 'Bed 14 post-op day 1: can the Foley come out this morning?';
      await sendText(harper.page, text);
      const bubble = heldBubble(harper.page, text);
      await bubble.waitFor({ timeout: 10_000 });
      expect(await bubble.locator('[data-status="held"]').textContent()).toBe('With Riley Morgan for screening — Dr. Minh Nguyen is in procedure');
      await expect.poll(() => harper.page.locator('.thread-notice').textContent())
        .toBe('Your message is with Riley Morgan for screening: Dr. Minh Nguyen is in procedure.');

      // The desk's entry appears live (the `screening` event), and the list has it.
      const dialog = await openScreening(desk.page);
      const item = screenedItem(desk.page, text);
      await item.waitFor({ timeout: 15_000 });
      expect(await item.locator('.screened-from').textContent()).toContain('From Olivia Harper, RN');
      await item.getByRole('button', { name: 'Pass on', exact: true }).click();
      await expect.poll(() => dialog.locator('.screening-done').textContent()).toBe('Passed on to Dr. Minh Nguyen.');
      await expect.poll(() => item.count()).toBe(0);

      // Her bubble is now the message, delivered, with the line.
      const line = 'Passed on by Riley Morgan (screening for Dr. Minh Nguyen)';
      await delivered(harper.page, text).locator('.routed-to[data-reason="screened"]', { hasText: line }).waitFor({ timeout: 15_000 });
      expect(await bubble.count()).toBe(0);
      expect(await harper.page.locator('.message.own', { hasText: text }).count()).toBe(1);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ desk, harper })}`);
    } finally {
      await desk.context.close();
      await harper.context.close();
    }
  });

  test('a message the gatekeeper holds shows its sender that it waits until he is available', { timeout: 120_000 }, async () => {
    const desk = await signedIn('op.desk');
    const harper = await signedIn('rn.harper');
    const text = 'Non-urgent: the bed 14 family would like a word after rounds.';
    try {
      await openDirect(harper.page, 'Nguyen', 'dr.nguyen');
      await expect.poll(() => harper.page.locator('#held-hint').textContent(), { timeout: 15_000 }).toContain('Riley Morgan screens their messages');
      await sendText(harper.page, text);
      const bubble = heldBubble(harper.page, text);
      await bubble.waitFor({ timeout: 10_000 });

      const dialog = await openScreening(desk.page);
      const item = screenedItem(desk.page, text);
      await item.waitFor({ timeout: 15_000 });
      await item.getByRole('button', { name: 'Hold', exact: true }).click();
      await expect.poll(() => dialog.locator('.screening-done').textContent()).toBe('Held until Dr. Minh Nguyen is available.');

      // Live, through the `screening` event: the bubble says who held it.
      await expect.poll(() => bubble.locator('[data-status="held"]').textContent(), { timeout: 15_000 })
        .toBe('Held by Riley Morgan until Dr. Minh Nguyen is available');
      expect(await bubble.getAttribute('data-state')).toBe('kept');
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      // Withdraw still works: the text goes back to the field.
      await bubble.getByRole('button', { name: 'Withdraw' }).click();
      await expect.poll(() => bubble.count()).toBe(0);
      await expect.poll(() => harper.page.getByLabel('Message', { exact: true }).inputValue()).toBe(text);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ desk, harper })}`);
    } finally {
      for (const held of await heldOf(harper.page, 'rn.harper', 'dr.nguyen').catch(() => [])) {
        await callAs(harper.page, 'rn.harper', 'DELETE', `/api/v1/held/${held.held_id}`).catch(() => undefined);
      }
      await desk.context.close();
      await harper.context.close();
    }
  });

  test('dr.nguyen names a second gatekeeper in the Availability dialog', { timeout: 120_000 }, async () => {
    const nguyen = await signedIn('dr.nguyen');
    const nguyenId = await userIdOf(nguyen.page, 'dr.nguyen');
    const desk = await userIdOf(nguyen.page, 'op.desk');
    try {
      await nguyen.page.getByRole('button', { name: 'Availability', exact: true }).click();
      const dialog = nguyen.page.getByRole('dialog', { name: 'Your availability' });
      const current = dialog.locator('.current-gatekeepers');
      await expect.poll(() => current.textContent(), { timeout: 10_000 }).toBe('Riley Morgan screens your messages while you are not available.');
      // He is not offered to himself, nor is whom he named already.
      const pick = dialog.getByLabel(/^Add a gatekeeper/);
      expect(await pick.locator('option', { hasText: 'Dr. Minh Nguyen' }).count()).toBe(0);
      expect(await pick.locator('option', { hasText: 'Riley Morgan' }).count()).toBe(0);
      const save = dialog.getByRole('button', { name: 'Save gatekeepers' });
      expect(await save.isDisabled()).toBe(true);

      await pick.selectOption({ label: 'Daniel Kim, PA' });
      await dialog.getByRole('button', { name: 'Add', exact: true }).click();
      await dialog.getByRole('list', { name: 'Your gatekeepers' }).getByText('Daniel Kim, PA').waitFor();
      await save.click();
      await expect.poll(() => current.textContent()).toBe('Riley Morgan and Daniel Kim, PA screen your messages while you are not available.');
      expect(await violationsEverywhere(nguyen.page)).toEqual([]);

      // Read back over the API, in order.
      const kim = await userIdOf(nguyen.page, 'pa.kim');
      const read = (await callAs(nguyen.page, 'rn.harper', 'GET', `/api/v1/users/${nguyenId}/gatekeepers`)).json as { user_ids: number[] };
      expect(read.user_ids).toEqual([desk, kim]);

      // Removed again in the dialog.
      await dialog.getByRole('button', { name: 'Remove Daniel Kim, PA' }).click();
      await save.click();
      await expect.poll(() => current.textContent()).toBe('Riley Morgan screens your messages while you are not available.');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ nguyen })}`);
    } finally {
      await callAs(nguyen.page, 'dr.nguyen', 'PUT', `/api/v1/users/${nguyenId}/gatekeepers`, { user_ids: [desk] }).catch(() => undefined);
      await nguyen.context.close();
    }
  });
});
