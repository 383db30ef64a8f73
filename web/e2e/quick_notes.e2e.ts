import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { callAs, describeClients, launchBrowser, signedInClient, startServer, violationsEverywhere, type Client, type Server } from './harness';

// Quick notes (docs/quick_notes.md): the admin adds an org note; rn.harper adds her own
// (an unknown placeholder is caught before it is saved), picks it in Testpatient, Alma's
// conversation, where the composer fills in the patient's name and room, and sends it;
// then edits and deletes it. Another user sees the org note, never hers.
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

const signedIn = (username: string): Promise<Client> => signedInClient(browser, server, username);

describe('quick notes', () => {
  test('an org note and a personal one, filled in from the patient and sent', { timeout: 150_000 }, async () => {
    const admin = await signedIn('admin');
    const harper = await signedIn('rn.harper');
    try {
      // The org's note, kept by the admin.
      await admin.page.getByRole('button', { name: 'Call back & notes' }).click();
      const adminDialog = admin.page.getByRole('dialog', { name: 'Call back & quick notes' });
      const orgSection = adminDialog.locator('section[data-scope="org"]');
      await orgSection.getByLabel('New note title').fill('Rapid response');
      await orgSection.getByLabel('Text').fill('Rapid response to {patient.location} now');
      await orgSection.getByRole('button', { name: 'Add org note' }).click();
      await orgSection.locator('.quick-note-list li', { hasText: 'Rapid response' }).waitFor();
      await adminDialog.getByRole('button', { name: 'Close' }).click();

      // Hers: no org section for a user who is not an admin.
      await harper.page.getByRole('button', { name: 'Call back & notes' }).click();
      const dialog = harper.page.getByRole('dialog', { name: 'Call back & quick notes' });
      const mine = dialog.locator('section[data-scope="personal"]');
      await mine.getByText('None yet.').waitFor();
      expect(await dialog.locator('section[data-scope="org"]').count()).toBe(0);
      await mine.getByLabel('New note title').fill('Pain check');
      await mine.getByLabel('Text').fill('Pain reassessed for {patient.name} in {patient.bed}');
      await mine.getByRole('button', { name: 'Add note' }).click();
      await expect.poll(() => mine.getByRole('alert').textContent()).toContain('Unknown placeholder {patient.bed}');
      await mine.getByLabel('Text').fill('Pain reassessed for {patient.name} in {patient.room}: 3/10 after PRN');
      await mine.getByRole('button', { name: 'Add note' }).click();
      await mine.locator('.quick-note-list li', { hasText: 'Pain check' }).waitFor();
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Close' }).click();

      // In the patient's conversation: picked, filled in, still editable, sent.
      await harper.page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
      const box = harper.page.getByLabel('Message', { exact: true });
      await box.waitFor();
      await harper.page.getByRole('button', { name: 'Quick notes' }).click();
      const menu = harper.page.getByRole('group', { name: 'Quick notes' });
      await menu.getByRole('menuitem').first().waitFor();
      expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['Rapid responseOrg', 'Pain checkMine']);
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      await menu.getByRole('menuitem', { name: /Pain check/ }).click();
      await expect.poll(() => box.inputValue()).toBe('Pain reassessed for Testpatient, Alma in 4 West, room 12: 3/10 after PRN');
      await box.press('Enter');
      await harper.page.locator('.message.own', { hasText: 'Pain reassessed for Testpatient, Alma in 4 West, room 12' }).waitFor();

      // Another user sees the org's note, not hers.
      const listed = (await callAs(harper.page, 'rn.santos', 'GET', '/api/v1/quick-notes')).json as { notes: { title: string }[] };
      expect(listed.notes.map((n) => n.title)).toEqual(['Rapid response']);

      // Edited, then deleted.
      await harper.page.getByRole('button', { name: 'Call back & notes' }).click();
      await mine.getByRole('button', { name: 'Edit Pain check' }).click();
      await mine.getByLabel('Title').fill('Pain recheck');
      await mine.getByRole('button', { name: 'Save note' }).click();
      await mine.locator('.quick-note-list li', { hasText: 'Pain recheck' }).waitFor();
      await mine.getByRole('button', { name: 'Delete Pain recheck' }).click();
      await mine.getByText('None yet.').waitFor();
      const after = (await callAs(harper.page, 'rn.harper', 'GET', '/api/v1/quick-notes')).json as { notes: { title: string }[] };
      expect(after.notes.map((n) => n.title)).toEqual(['Rapid response']);
    } catch (failure) {
      throw new Error(`${(failure as Error).message}\n${await describeClients({ admin, harper })}`);
    } finally {
      await admin.context.close();
      await harper.context.close();
    }
  });
});
