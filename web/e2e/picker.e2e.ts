import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hl7Time, sendAdt } from './hl7';
import { freePort, launchBrowser, newClient, seriousViolations, signIn, startServer, waitLive, type Server } from './harness';

// The patient picker (docs/patients.md, "Search"): patients arrive over the ADT feed, a
// nurse finds them by name, MRN and location as she types, chooses one with the
// keyboard, starts the conversation and sees the banner; a discharged patient is no
// longer offered.
let server: Server;
let browser: Browser;
let hl7Port = 0;

// An ADT message for the demo org: `name` as FAMILY^GIVEN, `location` as PV1-3.
function adt(event: string, control: string, mrn: string, name: string, birth: string, sex: string, location: string): string {
  const time = hl7Time(event === 'A03' ? 5 : 1);
  return [
    `MSH|^~\\&|ADT|GENERAL|WARDLINE|GENERAL|${time}||ADT^${event}|${control}|P|2.5.1`,
    `EVN|${event}|${time}`,
    `PID|1||${mrn}^^^^MR||${name}||${birth}|${sex}`,
    `PV1|1|I|${location}||||2^Patel^Nina^^^Dr.||||||||||||V-${mrn}`,
  ].join('\r') + '\r';
}

beforeAll(async () => {
  hl7Port = await freePort();
  server = await startServer({ extraArgs: ['--hl7-port', String(hl7Port)] });
  browser = await launchBrowser(server);
  const admissions = [
    adt('A01', 'pick-1', '700101', 'Pickerton^Wren', '19900215', 'F', '7 North^14'),
    adt('A01', 'pick-2', '700202', 'Pickerton^Ada', '19601130', 'F', '7 North^15'),
    adt('A01', 'pick-3', '700303', 'Quillon^Otis', '20240601', 'M', 'Oncology^^2'),
  ];
  for (const message of admissions) expect(await sendAdt(hl7Port, message)).toBe('AA');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

function combobox(page: Page) {
  return page.getByRole('combobox', { name: 'Patient' });
}

// The names the picker offers for `query`, once it has answered.
async function offered(page: Page, query: string): Promise<string[]> {
  await combobox(page).fill(query);
  // The status names the query its answer is for.
  await page.locator(`.picker-status[data-state="done"][data-query="${query}"]`).waitFor({ timeout: 10_000 });
  return page.getByRole('listbox', { name: 'Current inpatients' }).locator('.pick-name').allTextContents();
}

async function openPatientTab(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.getByRole('tab', { name: 'Patient' }).click();
}

describe('patient picker', () => {
  test('finds inpatients from the feed by name, MRN and location and starts the conversation', { timeout: 120_000 }, async () => {
    const client = await newClient(browser, server);
    const { page } = client;
    try {
      await signIn(page, 'rn.harper');
      await waitLive(page);
      await openPatientTab(page);

      // Focus lists current inpatients at once, the feed's among them.
      await combobox(page).focus();
      await expect.poll(() => page.getByRole('option').allTextContents(), { timeout: 10_000 }).toContainEqual(expect.stringContaining('Pickerton, Wren'));
      expect(await combobox(page).getAttribute('aria-expanded')).toBe('true');

      // By name, with what tells two patients apart: MRN, age, sex, location.
      expect(await offered(page, 'pickert')).toEqual(['Pickerton, Wren', 'Pickerton, Ada']);
      const wren = page.getByRole('option', { name: /^Pickerton, Wren/ });
      expect(await wren.textContent()).toMatch(/MRN 700101 · \d+ y · Female · 7 North, room 14/);
      // By MRN and by location.
      expect(await offered(page, '700303')).toEqual(['Quillon, Otis']);
      expect(await page.getByRole('option', { name: /^Quillon, Otis/ }).textContent()).toMatch(/MRN 700303 · \d+ (y|mo) · Male · Oncology, bed 2/);
      expect(await offered(page, 'oncol')).toEqual(['Quillon, Otis']);
      expect(await offered(page, '7 nor')).toEqual(['Pickerton, Wren', 'Pickerton, Ada']);
      expect(await seriousViolations(page)).toEqual([]);

      // Nothing matches: said so, and no empty list.
      expect(await offered(page, 'zzyzx')).toEqual([]);
      expect(await page.locator('.picker-status').textContent()).toBe('No current inpatient matches “zzyzx”.');
      expect(await page.getByRole('listbox', { name: 'Current inpatients' }).isHidden()).toBe(true);

      // The keyboard: arrows move the active option, Enter chooses, Change goes back.
      expect(await offered(page, 'pickerton')).toEqual(['Pickerton, Wren', 'Pickerton, Ada']);
      await combobox(page).press('ArrowDown');
      await combobox(page).press('ArrowDown');
      const activeId = await combobox(page).getAttribute('aria-activedescendant');
      expect(await page.locator(`[id="${activeId}"]`).locator('.pick-name').textContent()).toBe('Pickerton, Ada');
      expect(await page.locator(`[id="${activeId}"]`).getAttribute('aria-selected')).toBe('true');
      await combobox(page).press('Enter');
      const change = page.getByRole('button', { name: /^Change patient/ });
      await change.waitFor();
      expect(await change.getAttribute('aria-label')).toBe('Change patient (Pickerton, Ada chosen)');
      expect(await page.getByRole('dialog').isVisible()).toBe(true); // Enter did not submit.
      await change.press('Enter');
      await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('combobox');
      expect(await offered(page, 'wren')).toEqual(['Pickerton, Wren']);
      await combobox(page).press('ArrowDown');
      await combobox(page).press('Enter');
      await page.getByRole('button', { name: 'Change patient (Pickerton, Wren chosen)' }).waitFor();

      await page.locator('input[type="checkbox"][data-username="dr.patel"]').check();
      await page.getByRole('button', { name: 'Start patient conversation' }).click();
      const banner = page.getByRole('region', { name: 'Patient', exact: true });
      await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toContain('Pickerton, Wren');
      expect(await banner.textContent()).toContain('MRN 700101');
      expect(await banner.textContent()).toContain('7 North, room 14');
      expect(await banner.textContent()).toContain('Female');

      // Discharged (A03): no longer offered.
      expect(await sendAdt(hl7Port, adt('A03', 'pick-4', '700202', 'Pickerton^Ada', '19601130', 'F', '7 North^15'))).toBe('AA');
      await openPatientTab(page);
      expect(await offered(page, 'pickerton')).toEqual(['Pickerton, Wren']);
      expect(await offered(page, '700202')).toEqual([]);
    } finally {
      await client.context.close();
    }
  });

  test('a group opens the conversation about a patient with the same members from its info', { timeout: 120_000 }, async () => {
    const client = await newClient(browser, server);
    const { page } = client;
    try {
      await signIn(page, 'rn.harper');
      await waitLive(page);
      await page.getByRole('button', { name: 'New', exact: true }).click();
      await page.getByRole('tab', { name: 'New group' }).click();
      await page.getByLabel('Group name').fill('7 North rounds');
      await page.locator('input[type="checkbox"][data-username="dr.patel"]').check();
      await page.locator('input[type="checkbox"][data-username="dr.okafor"]').check();
      await page.getByRole('button', { name: 'Create group' }).click();
      await page.getByRole('heading', { name: '7 North rounds' }).waitFor();

      await page.getByRole('button', { name: 'Group info' }).click();
      const dialog = page.getByRole('dialog', { name: 'Group info' });
      // Escape in the open list closes the list, not the dialog.
      await dialog.getByRole('combobox', { name: 'Patient' }).fill('quillon');
      await dialog.locator('.picker-status[data-state="done"][data-query="quillon"]').waitFor({ timeout: 10_000 });
      await dialog.getByRole('combobox', { name: 'Patient' }).press('Escape');
      expect(await dialog.getByRole('combobox', { name: 'Patient' }).getAttribute('aria-expanded')).toBe('false');
      expect(await dialog.isVisible()).toBe(true);
      await dialog.getByRole('combobox', { name: 'Patient' }).press('ArrowDown');
      await dialog.getByRole('combobox', { name: 'Patient' }).press('Enter');
      await dialog.getByRole('button', { name: 'Change patient (Quillon, Otis chosen)' }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Open patient conversation' }).click();

      const banner = page.getByRole('region', { name: 'Patient', exact: true });
      await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toContain('Quillon, Otis');
      expect(await banner.textContent()).toContain('Oncology, bed 2');
      const item = page.locator('.thread-item', { has: page.locator('.thread-title', { hasText: 'Quillon, Otis' }) });
      const people = await item.locator('.thread-people').textContent();
      expect(people).toContain('Dr. Emeka Okafor');
      expect(people).toContain('Dr. Nina Patel');
    } finally {
      await client.context.close();
    }
  });
});
