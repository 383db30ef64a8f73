import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callAs, describeClients, launchBrowser, newClient, openDirect, signIn, startServer, violationsEverywhere, waitLive, type Server,
  userIdOf,
} from './harness';

// Availability (docs/routing.md): a person sets how they are in the app, and the open
// composer of a colleague writing to them says so at once, before the first keystroke;
// in a role thread, for whoever holds the role. Each test puts everyone it changed back
// to available.
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


async function roleId(page: Page, name: string): Promise<number> {
  const { roles } = (await callAs(page, 'admin', 'GET', '/api/v1/roles')).json as { roles: { id: number; name: string }[] };
  return roles.find((r) => r.name === name)!.id;
}

async function resetAvailability(page: Page, username: string): Promise<void> {
  const id = await userIdOf(page, username);
  const answer = await callAs(page, username, 'POST', `/api/v1/users/${id}/availability`, { status: 'available' });
  expect(answer.status).toBe(200);
}

function warnings(page: Page) {
  return page.locator('#availability-preview');
}

// Sets the user's own availability through the header's dialog and closes it.
async function setOwnAvailability(page: Page, label: string, until = ''): Promise<void> {
  await page.getByRole('button', { name: 'Availability', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Your availability' });
  await dialog.locator('.current-availability[data-status]').waitFor();
  await dialog.getByLabel(label, { exact: true }).check();
  if (until) await dialog.getByLabel('Until (optional)').fill(until);
  await dialog.getByRole('button', { name: 'Set availability' }).click();
  await dialog.getByText(`You are ${label.toLowerCase()}`).first().waitFor();
}

async function backToAvailable(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Availability', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Your availability' });
  await dialog.getByRole('button', { name: 'Back to available' }).click();
  await dialog.locator('.current-availability[data-status="available"]').waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
}

describe('availability', () => {
  test('a colleague going off duty shows live in an open direct conversation, and clears when he is back', async () => {
    const harper = await newClient(browser, server);
    const okafor = await newClient(browser, server);
    try {
      await signIn(okafor.page, 'dr.okafor');
      await waitLive(okafor.page);
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);
      const previewed = harper.page.waitForResponse((r) => /\/api\/v1\/threads\/\d+\/preview$/.test(r.url()) && r.ok());
      await openDirect(harper.page, 'Okafor', 'dr.okafor');
      await previewed;
      expect(await warnings(harper.page).textContent()).toBe('');
      expect(await harper.page.locator('#route-preview').count()).toBe(0);

      // He goes off duty in his app; her composer says so without a reload.
      await setOwnAvailability(okafor.page, 'Off duty');
      expect(await violationsEverywhere(okafor.page)).toEqual([]);
      await okafor.page.getByRole('dialog', { name: 'Your availability' }).getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => warnings(harper.page).textContent(), { timeout: 15_000 }).toBe('Dr. Emeka Okafor is off duty');
      expect(await harper.page.getByLabel('Message', { exact: true }).getAttribute('aria-describedby')).toContain('availability-preview');
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      // Back to available: the warning goes.
      await backToAvailable(okafor.page);
      await expect.poll(() => warnings(harper.page).textContent(), { timeout: 15_000 }).toBe('');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper, okafor })}`);
    } finally {
      await resetAvailability(harper.page, 'dr.okafor');
      await okafor.context.close();
      await harper.context.close();
    }
  });

  test("a role thread's preview shows how its holder is, with the end of the period", async () => {
    const okafor = await newClient(browser, server);
    const harper = await newClient(browser, server);
    try {
      const unit = await roleId(okafor.page, '4 West Charge Nurse');
      await signIn(okafor.page, 'dr.okafor');
      await waitLive(okafor.page);
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);

      await okafor.page.getByRole('button', { name: 'New', exact: true }).click();
      await okafor.page.getByLabel('Search the directory').fill('4 west charge');
      await okafor.page.locator(`button.pick[data-role-id="${unit}"]`).click();
      await okafor.page.getByLabel('Message', { exact: true }).waitFor();
      await expect.poll(() => okafor.page.locator('#route-preview').textContent()).toBe('Goes to Olivia Harper, RN (signed in)');
      expect(await warnings(okafor.page).textContent()).toBe('');

      // The charge nurse is in a procedure until 23:59: the preview says so, with the time.
      await setOwnAvailability(harper.page, 'In procedure', '23:59');
      await expect.poll(() => warnings(okafor.page).textContent(), { timeout: 15_000 }).toMatch(/^Olivia Harper, RN · in procedure until (23:59|11:59\sPM)$/);
      expect(await okafor.page.locator('#route-preview').textContent()).toBe('Goes to Olivia Harper, RN (signed in)');
      const { periods } = (await callAs(harper.page, 'rn.harper', 'GET', `/api/v1/users/${await userIdOf(harper.page, 'rn.harper')}/availability`)).json as { periods: { status: string; ends_at: string | null }[] };
      expect(periods.map((p) => p.status)).toEqual(['in_procedure']);
      expect(periods[0].ends_at).not.toBeNull();
      await harper.page.getByRole('dialog', { name: 'Your availability' }).getByRole('button', { name: 'Close' }).click();

      await backToAvailable(harper.page);
      await expect.poll(() => warnings(okafor.page).textContent(), { timeout: 15_000 }).toBe('');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ okafor, harper })}`);
    } finally {
      await resetAvailability(okafor.page, 'rn.harper');
      await harper.context.close();
      await okafor.context.close();
    }
  });
});
