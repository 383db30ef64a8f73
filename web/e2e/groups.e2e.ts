// Threads on a real ward: the same patient thread reopened, directory search and chips,
// group info (rename, remove, leave) with the removed member's notice, and a message
// written offline showing when it was written.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { launchBrowser, newClient, openThreadByTitle, pickPatient, sendText, signIn, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let patel: Client;
let okafor: Client;
let harper: Client;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  patel = await newClient(browser, server);
  okafor = await newClient(browser, server);
  harper = await newClient(browser, server);
  await signIn(patel.page, 'dr.patel');
  await signIn(okafor.page, 'dr.okafor');
  await signIn(harper.page, 'rn.harper');
  await Promise.all([waitLive(patel.page), waitLive(okafor.page), waitLive(harper.page)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// "written 14:02, sent 14:20", in the browser's time format.
const kWrittenAndSent = /written \d{1,2}:\d\d( [AP]M)?, sent \d{1,2}:\d\d/;

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

async function startPatientThread(page: Page, patient: string, usernames: string[]): Promise<void> {
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.getByRole('tab', { name: 'Patient' }).click();
  await pickPatient(page, patient, patient);
  for (const username of usernames) await page.locator(`input[type="checkbox"][data-username="${username}"]`).check();
  await page.getByRole('button', { name: 'Start patient conversation' }).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}

// The names the person search lists for a query, in order.
async function peopleFor(page: Page, query: string): Promise<string[]> {
  await page.getByLabel('Search the directory').fill(query);
  return page.getByRole('list', { name: 'People' }).locator('.pick-name').allTextContents();
}

describe('threads on a ward', () => {
  test('the same patient with the same colleagues opens the conversation they already have', async () => {
    const page = patel.page;
    await startPatientThread(page, 'Sample, Bruno', ['dr.okafor', 'rn.harper']);
    await sendText(page, 'Bruno: lactate 3.1, repeat at 16:00.');
    await page.locator('.message.own', { hasText: 'lactate 3.1' }).waitFor();
    await startPatientThread(page, 'Sample, Bruno', ['rn.harper', 'dr.okafor']);
    // The same thread: its message is there, and the list has it once.
    await page.locator('.message.own', { hasText: 'lactate 3.1' }).waitFor();
    const items = page.locator('.thread-item', { has: page.locator('.thread-title', { hasText: 'Sample, Bruno' }) });
    expect(await items.count()).toBe(1);
    // Titled by the patient, the colleagues beside it, the MRN labelled by the app.
    expect(await items.locator('.thread-people').textContent()).toBe(' · Dr. Emeka Okafor, Olivia Harper, RN');
    expect(await items.locator('.thread-patient').textContent()).toContain('MRN 100871');
  });

  test('directory search ignores case and accents and finds titles and departments, with chips', async () => {
    const page = patel.page;
    await page.getByRole('button', { name: 'New', exact: true }).click();
    expect(await peopleFor(page, 'DR OKAFOR')).toEqual(['Dr. Emeka Okafor']);
    expect(await peopleFor(page, 'muller')).toEqual(['Jonas Müller, RN']);
    expect(await peopleFor(page, 'lucia garcía')).toEqual(['Dr. Lucía García']);
    // Titles and departments; sorted by name.
    expect(await peopleFor(page, 'nurse')).toEqual(['Jordan Brooks, NP', 'Olivia Harper, RN']);
    expect(await peopleFor(page, '4 west')).toEqual(['Mateo Santos, RN', 'Olivia Harper, RN', 'Sam Jones']);
    expect(await peopleFor(page, 'zz-nobody')).toEqual([]);

    // Chosen people are chips; their remove buttons are named; Backspace drops the last.
    await page.getByRole('tab', { name: 'New group' }).click();
    await page.getByLabel('Search members').fill('icu');
    await page.locator('input[type="checkbox"][data-username="rn.chen"]').check();
    await page.getByLabel('Search members').fill('emergency');
    await page.locator('input[type="checkbox"][data-username="rn.muller"]').check();
    await page.locator('input[type="checkbox"][data-username="dr.lindqvist"]').check();
    const chips = page.getByRole('list', { name: 'Chosen members' }).locator('.chip');
    expect(await chips.count()).toBe(3);
    await page.getByRole('button', { name: 'Remove Grace Chen, RN' }).click();
    expect(await chips.count()).toBe(2);
    await page.getByLabel('Search members').fill('');
    await page.getByLabel('Search members').press('Backspace');
    expect(await chips.count()).toBe(1);
    expect(await chips.first().textContent()).toContain('Jonas Müller, RN');
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
  });

  test('group info: rename and remove; the removed member keeps the thread read-only with a notice', async () => {
    const page = harper.page;
    await openThreadByTitle(page, '4 West huddle');
    await page.getByRole('button', { name: 'Group info' }).click();
    const dialog = page.getByRole('dialog', { name: 'Group info' });
    const members = dialog.getByRole('list', { name: 'Members' });
    expect(await members.locator('.member-row[data-username="dr.okafor"]').textContent()).toContain('Hospitalist');
    expect(await seriousViolations(page)).toEqual([]);

    await dialog.getByLabel('Group name').fill('4 West day huddle');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { name: '4 West day huddle', level: 2 }).waitFor();
    // The others hear it live.
    await okafor.page.locator('.thread-title', { hasText: '4 West day huddle' }).waitFor({ timeout: 10_000 });

    // Adding: search by department.
    await dialog.getByLabel('Add people').fill('icu');
    await dialog.getByRole('button', { name: 'Add Grace Chen, RN' }).click();
    await members.locator('.member-row[data-username="rn.chen"]').waitFor();

    // Okafor has the group open when he is removed.
    await openThreadByTitle(okafor.page, '4 West day huddle');
    await dialog.getByRole('button', { name: 'Remove Dr. Emeka Okafor' }).click();
    await members.locator('.member-row[data-username="dr.okafor"]').waitFor({ state: 'detached' });
    const notice = 'You were removed from 4 West day huddle by Olivia Harper, RN.';
    await okafor.page.getByRole('status').filter({ hasText: notice }).waitFor({ timeout: 10_000 });
    expect(await okafor.page.getByLabel('Message', { exact: true }).count()).toBe(0);
    // Still on the list, marked, not vanished.
    await okafor.page.locator('.thread-item', { hasText: 'Removed' }).waitFor();
    expect(await seriousViolations(okafor.page)).toEqual([]);

    // Harper leaves; the group stays on her list, read-only.
    await dialog.getByRole('button', { name: 'Leave' }).click();
    await page.getByRole('status').filter({ hasText: 'You left 4 West day huddle.' }).waitFor();
  });

  test('a message written offline shows when it was written and when it was sent', async () => {
    // A page clock 20 minutes behind the server's, so that fast-forwarding it 20 minutes
    // while offline brings it back to the present.
    const client = await newClient(browser, server);
    await client.context.clock.install({ time: Date.now() - 20 * 60_000 });
    await client.page.reload();
    const page = client.page;
    await signIn(page, 'rn.santos');
    await waitLive(page);
    await openThreadByTitle(page, '4 West day huddle');
    await client.context.setOffline(true);
    await page.locator('[data-connection="offline"]').waitFor({ timeout: 10_000 });
    await sendText(page, 'Bed 7 turned at the start of the hour.');
    await page.locator('.message.own.pending', { hasText: 'Bed 7 turned' }).waitFor();
    await client.context.clock.fastForward('20:00');
    await client.context.setOffline(false);
    const sent = page.locator('.message.own:not(.pending)', { hasText: 'Bed 7 turned' });
    await sent.waitFor({ timeout: 15_000 });
    expect(await sent.locator('.meta').textContent()).toMatch(kWrittenAndSent);
    // So does a reader.
    const jones = await newClient(browser, server);
    const other = jones.page;
    await signIn(other, 'clerk.jones');
    await waitLive(other);
    await openThreadByTitle(other, '4 West day huddle');
    const received = other.locator('.message.theirs', { hasText: 'Bed 7 turned' });
    await received.waitFor({ timeout: 10_000 });
    expect(await received.locator('.meta').textContent()).toMatch(kWrittenAndSent);
    await client.context.close();
    await jones.context.close();
  });

  test('the new views pass axe on a phone in dark mode', async () => {
    const phone = await newClient(browser, server, { width: 390, height: 844 }, { context: { colorScheme: 'dark' } });
    const page = phone.page;
    await signIn(page, 'rn.chen');
    await waitLive(page);
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('tab', { name: 'New group' }).click();
    await page.locator('input[type="checkbox"][data-username="rn.santos"]').check();
    await page.getByRole('list', { name: 'Chosen members' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await openThreadByTitle(page, '4 West day huddle');
    expect(await page.locator('.thread-item .thread-people').count()).toBeGreaterThanOrEqual(0);
    await page.getByRole('button', { name: 'Group info' }).click();
    await page.getByRole('dialog', { name: 'Group info' }).getByLabel('Add people').fill('cardio');
    await page.getByRole('button', { name: 'Add Dr. Nina Patel' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await phone.context.close();
  });
});
