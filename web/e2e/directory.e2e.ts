// The directory in the browser: results as one types (people with title, department
// and presence, roles with who is on call, one's groups), opening a conversation from a
// result, the org screen, and its admin editor with a conflicting save.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { callAs, launchBrowser, newClient, seriousViolations, signIn, startServer, waitLive, type Client, type Server } from './harness';

let server: Server;
let browser: Browser;
let harper: Client;
let admin: Client;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  harper = await newClient(browser, server);
  admin = await newClient(browser, server);
  await signIn(harper.page, 'rn.harper');
  await signIn(admin.page, 'admin');
  await Promise.all([waitLive(harper.page), waitLive(admin.page)]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function openDirectory(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Directory', exact: true }).click();
  await page.getByLabel('Find people, roles and groups').waitFor();
}

// The names the directory lists for a query, in order, once the answer is in.
async function resultsFor(page: Page, query: string, first: string): Promise<string[]> {
  await page.getByLabel('Find people, roles and groups').fill(query);
  const list = page.getByRole('list', { name: 'Directory results' });
  await list.locator('.pick-name', { hasText: first }).first().waitFor();
  return (await list.locator('.pick-name').allTextContents()).map((name) => name.replace(/ \((person|role|group)\)$/, ''));
}

async function closeDialog(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Close' }).click();
}

describe('directory search', () => {
  test('finds people, roles and groups as one types, without case or accents', async () => {
    const page = harper.page;
    await openDirectory(page);
    expect(await resultsFor(page, 'MULL', 'Jonas Müller, RN')).toEqual(['Jonas Müller, RN']);
    expect(await resultsFor(page, 'garcía', 'Dr. Lucía García')).toEqual(['Dr. Lucía García']);
    // Title and department under the name.
    const garcia = page.locator('button.pick[data-kind="person"]').first();
    expect(await garcia.locator('.muted').textContent()).toBe('Pediatrics · Pediatrics');
    // The role first (its first word), with who is on call now; then the cardiologists.
    const cardio = await resultsFor(page, 'cardio', 'Cardiology On Call');
    expect(cardio[0]).toBe('Cardiology On Call');
    expect(cardio.slice(1).sort()).toEqual(['Dr. Nina Patel', 'Jordan Brooks, NP']);
    const role = page.locator('button.pick[data-kind="role"]').first();
    expect(await role.locator('.muted').textContent()).toMatch(/^(Dr\. Nina Patel|Jordan Brooks, NP) \(on call\)$/);
    // Her group, by its title.
    expect(await resultsFor(page, 'hudd', '4 West huddle')).toEqual(['4 West huddle']);
    await page.getByLabel('Find people, roles and groups').fill('zzzz');
    await page.getByRole('list', { name: 'Directory results' }).getByText('Nothing matches.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await closeDialog(page);
  });

  test('a result opens the conversation with the person, the role or the group', async () => {
    const page = harper.page;
    await openDirectory(page);
    await resultsFor(page, 'rossi', 'Marco Rossi, PharmD');
    await page.locator('button.pick[data-kind="person"]', { hasText: 'Marco Rossi' }).click();
    await page.locator('.thread-pane h2', { hasText: 'Marco Rossi' }).waitFor();
    await page.getByLabel('Message', { exact: true }).waitFor();

    await openDirectory(page);
    await resultsFor(page, 'pharmacy on call', 'Pharmacy On Call');
    await page.locator('button.pick[data-kind="role"]').first().click();
    await page.locator('.thread-pane h2', { hasText: 'Pharmacy On Call' }).waitFor();
    await page.getByLabel('Message', { exact: true }).waitFor();

    await openDirectory(page);
    await resultsFor(page, 'huddle', '4 West huddle');
    await page.locator('button.pick[data-kind="group"]').first().click();
    await page.locator('.thread-pane h2', { hasText: '4 West huddle' }).waitFor();
    await page.getByLabel('Message', { exact: true }).waitFor();
  });
});

describe('the org screen', () => {
  test('shows phone numbers, links, staff by department and who is on call', async () => {
    const page = harper.page;
    await openDirectory(page);
    const screen = page.getByRole('region', { name: 'Org screen' });
    await screen.getByText('Phone numbers').waitFor();
    expect(await screen.getByRole('link', { name: '555-0100' }).getAttribute('href')).toBe('tel:5550100');
    expect(await screen.getByRole('link', { name: 'Sepsis pathway' }).getAttribute('href')).toBe('https://example.org/pathways/sepsis');
    const cardiology = screen.getByRole('list', { name: 'Cardiology staff' });
    expect(await cardiology.getByRole('button').allTextContents()).toEqual(['Dr. Nina Patel', 'Jordan Brooks, NP']);
    expect(await screen.getByRole('list', { name: 'On call now' }).textContent()).toContain('Cardiology On Call');
    // Not an admin: no editor.
    expect(await screen.getByRole('button', { name: 'Edit this page' }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    // A name opens a conversation with them.
    await cardiology.getByRole('button', { name: 'Dr. Nina Patel' }).click();
    await page.locator('.thread-pane h2', { hasText: 'Dr. Nina Patel' }).waitFor();
  });

  test('an admin edits it, and a save over someone else’s is refused, not lost', async () => {
    const page = admin.page;
    await openDirectory(page);
    await page.getByRole('button', { name: 'Edit this page' }).click();
    const editor = page.getByRole('form', { name: 'Edit the org screen' });
    await editor.getByRole('button', { name: 'Add a section' }).click();
    const section = editor.locator('fieldset').last();
    await section.getByLabel('Title', { exact: true }).fill('Night desk');
    await section.getByLabel('Add an item').selectOption('phone');
    await section.getByLabel('Label', { exact: true }).fill('Night supervisor');
    await section.getByLabel('Number', { exact: true }).fill('555-0199');
    await section.getByLabel('Add an item').selectOption('staff');
    await section.getByLabel('Department', { exact: true }).fill('icu');
    // A bad link is named before anything is sent.
    await section.getByLabel('Add an item').selectOption('link');
    await section.getByLabel('Address', { exact: true }).fill('http://example.org');
    await section.getByLabel('Label', { exact: true }).last().fill('Intranet');
    await editor.getByRole('button', { name: 'Save page' }).click();
    await editor.getByRole('alert').getByText(/https:\/\/ address/).waitFor();
    await section.getByRole('button', { name: 'Remove item' }).last().click();

    // Meanwhile another admin saves (over the version this editor loaded).
    const current = (await callAs(page, 'admin', 'GET', '/api/v1/org-screen')).json as { version: number; sections: unknown[] };
    const other = await callAs(page, 'admin', 'PUT', '/api/v1/org-screen', {
      version: current.version,
      sections: [{ title: 'Saved elsewhere', items: [{ type: 'phone', label: 'Operator', number: '555-0100' }] }],
    });
    expect(other.status).toBe(200);
    await editor.getByRole('button', { name: 'Save page' }).click();
    await editor.getByRole('alert').getByText(/Someone else saved this page/).waitFor();
    // The other save stays and is what the editor shows now; edit again and save.
    await editor.locator('fieldset').first().getByLabel('Title', { exact: true }).waitFor();
    expect(await editor.locator('fieldset').first().getByLabel('Title', { exact: true }).inputValue()).toBe('Saved elsewhere');
    await editor.getByRole('button', { name: 'Add a section' }).click();
    const again = editor.locator('fieldset').last();
    await again.getByLabel('Title', { exact: true }).fill('Night desk');
    await again.getByLabel('Add an item').selectOption('staff');
    await again.getByLabel('Department', { exact: true }).fill('icu');
    await editor.getByRole('button', { name: 'Save page' }).click();
    const screen = page.getByRole('region', { name: 'Org screen' });
    await screen.getByText('Night desk').waitFor();
    expect(await screen.getByText('Saved elsewhere').count()).toBe(1);
    // The department is matched without case.
    expect(await screen.getByRole('list', { name: 'icu staff' }).getByRole('button').allTextContents()).toEqual(['Grace Chen, RN']);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
