import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { callAs, describeClients, launchBrowser, newClient, openThreadByTitle, signIn, startServer, violationsEverywhere, waitLive, type Client, type Server } from './harness';

// The provider directory (docs/npi.md): rn.harper searches the US provider directory
// (the demo holds a few real NPPES records), then invites one of them from the 4 West
// huddle; rn.santos, a member with the huddle open, sees the invitation line live, and
// both see it after a reload.
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

async function signedIn(username: string): Promise<Client> {
  const client = await newClient(browser, server);
  await signIn(client.page, username);
  await waitLive(client.page);
  return client;
}

const kLine = 'Olivia Harper, RN invited WIEBE, DAVID A, M.D. (NPI 1679576722) · pending';

describe('provider directory', () => {
  test('rn.harper searches by name, specialty and place, and invites a provider to the huddle, which rn.santos sees live', { timeout: 150_000 }, async () => {
    const harper = await signedIn('rn.harper');
    const santos = await signedIn('rn.santos');
    try {
      // Search from the navigation.
      await harper.page.getByRole('button', { name: 'Providers' }).click();
      const directory = harper.page.getByRole('dialog', { name: 'Provider directory' });
      await directory.getByLabel('Name').fill('wiebe');
      await directory.getByRole('button', { name: 'Search' }).click();
      const wiebe = directory.locator('.provider[data-npi="1679576722"]');
      await wiebe.waitFor();
      expect(await wiebe.textContent()).toContain('WIEBE, DAVID A, M.D.');
      expect(await wiebe.textContent()).toContain('Orthopaedic Surgery Physician · KEARNEY, NE · 308-865-2512');
      expect(await directory.getByRole('button', { name: /^Invite/ }).count()).toBe(0);
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      // By specialty words and state; a city without its state is refused in the form.
      await directory.getByLabel('Name').fill('');
      await directory.getByLabel('Specialty').fill('cardio');
      await directory.getByLabel('City').fill('Toledo');
      await directory.getByRole('button', { name: 'Search' }).click();
      await expect.poll(() => directory.getByRole('alert').textContent()).toBe('Add the state to search by city.');
      await directory.getByLabel('State').fill('oh');
      await directory.getByRole('button', { name: 'Search' }).click();
      await directory.locator('.provider[data-npi="1932102084"]').waitFor();
      expect(await directory.locator('.provider').count()).toBe(1);
      expect(await directory.locator('.provider').textContent()).toContain('ADUSUMILLI, RAVI K, MD');
      await directory.getByRole('button', { name: 'Close' }).click();

      // Invite from the huddle; rn.santos has it open.
      await openThreadByTitle(santos.page, '4 West huddle');
      await openThreadByTitle(harper.page, '4 West huddle');
      await harper.page.getByRole('button', { name: 'Invite to this conversation' }).click();
      const invite = harper.page.getByRole('dialog', { name: 'Invite a provider' });
      await invite.getByLabel('NPI').fill('1679576722');
      await invite.getByRole('button', { name: 'Search' }).click();
      await invite.getByRole('button', { name: 'Invite WIEBE, DAVID A, M.D.' }).click();
      await invite.getByText('WIEBE, DAVID A, M.D. is invited to this conversation.').waitFor();
      await invite.locator('.provider[data-npi="1679576722"] .invited').waitFor();
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      await invite.getByRole('button', { name: 'Close' }).click();

      const harperLine = harper.page.getByRole('list', { name: 'Invited providers' }).getByText(kLine);
      await harperLine.waitFor();
      await santos.page.getByRole('list', { name: 'Invited providers' }).getByText(kLine).waitFor({ timeout: 10_000 });

      // Invited once: the server refuses a second invitation of the same provider.
      const threads = (await callAs(harper.page, 'rn.harper', 'GET', '/api/v1/threads')).json as { threads: { id: number; title: string }[] };
      const huddle = threads.threads.find((t) => t.title === '4 West huddle')!;
      const again = await callAs(harper.page, 'rn.harper', 'POST', `/api/v1/threads/${huddle.id}/invitations`, { npi: '1679576722' });
      expect(again.status).toBe(409);

      // After a reload the line is still there.
      await santos.page.reload();
      await waitLive(santos.page);
      await openThreadByTitle(santos.page, '4 West huddle');
      await santos.page.getByRole('list', { name: 'Invited providers' }).getByText(kLine).waitFor();
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await describeClients({ harper, santos })}`);
    } finally {
      await harper.context.close();
      await santos.context.close();
    }
  });
});
