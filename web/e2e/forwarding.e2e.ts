import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callAs, describeClients, launchBrowser, newClient, openDirect, sendText, signIn, startServer, violationsEverywhere, waitLive, type Server,
  userIdOf,
} from './harness';

// Forwarding (docs/routing.md, "Forwarding"): dr.okafor forwards his messages to
// dr.haddad in the app; rn.harper's composer in her conversation with him says where a
// message will also go, her message reaches dr.haddad, and the thread says so; when he
// stops forwarding the line goes, live. A forwarding loop is not followed and the
// sender is told. Availability ahead: a period is set and deleted in the dialog. Each
// test clears what it set.
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

async function clearForwarding(page: Page, username: string): Promise<void> {
  const answer = await callAs(page, username, 'DELETE', `/api/v1/users/${await userIdOf(page, username)}/forwarding`);
  expect([204, 404]).toContain(answer.status);
}

async function openAvailability(page: Page) {
  await page.getByRole('button', { name: 'Availability', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Your availability' });
  await dialog.locator('.current-availability[data-status]').waitFor();
  return dialog;
}

function preview(page: Page) {
  return page.locator('#availability-preview');
}

describe('forwarding', () => {
  test("a colleague's forwarding shows in the composer, the message reaches whom he forwards to, and stopping it shows live", { timeout: 120_000 }, async () => {
    const okafor = await newClient(browser, server);
    const harper = await newClient(browser, server);
    const haddad = await newClient(browser, server);
    try {
      await signIn(okafor.page, 'dr.okafor');
      await waitLive(okafor.page);
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);
      await signIn(haddad.page, 'dr.haddad');
      await waitLive(haddad.page);

      // He forwards to Dr. Haddad, from now until he stops it.
      const dialog = await openAvailability(okafor.page);
      await dialog.locator('.current-forwarding').getByText('Your messages are not forwarded.').waitFor();
      // Forwarding to himself is not offered.
      expect(await dialog.locator('#forward-to option', { hasText: 'Dr. Emeka Okafor' }).count()).toBe(0);
      await dialog.getByLabel('Forward my messages to').selectOption({ label: 'Dr. Yasmin Haddad' });
      await dialog.getByRole('button', { name: 'Forward messages' }).click();
      await dialog.locator('.current-forwarding', { hasText: 'Forwarding to Dr. Yasmin Haddad until you stop it' }).waitFor();
      expect(await dialog.getByRole('button', { name: 'Stop forwarding' }).count()).toBe(1);
      expect(await violationsEverywhere(okafor.page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Close' }).click();
      const set = (await callAs(harper.page, 'dr.okafor', 'GET', `/api/v1/users/${await userIdOf(harper.page, 'dr.okafor')}/forwarding`)).json as {
        forwarding: { to_user_id: number; ends_at: string | null };
      };
      expect(set.forwarding.to_user_id).toBe(await userIdOf(harper.page, 'dr.haddad'));
      expect(set.forwarding.ends_at).toBeNull();

      // The directory shows it beside his name.
      await harper.page.getByRole('button', { name: 'New', exact: true }).click();
      await harper.page.getByLabel('Search the directory').fill('Okafor');
      const row = harper.page.locator('button.pick[data-username="dr.okafor"]');
      await expect.poll(() => row.locator('.forwards-tag').textContent(), { timeout: 10_000 }).toBe('forwards to → Dr. Yasmin Haddad');
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      await row.click();
      await harper.page.getByLabel('Message', { exact: true }).waitFor();

      const line = 'Dr. Emeka Okafor forwards to Dr. Yasmin Haddad — your message will also reach Dr. Yasmin Haddad';
      await expect.poll(() => preview(harper.page).locator('.forwarding-line').textContent(), { timeout: 15_000 }).toBe(line);
      expect(await harper.page.getByLabel('Message', { exact: true }).getAttribute('aria-describedby')).toContain('availability-preview');
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      const text = 'Bed 4 needs a repeat lactate, can you order it?';
      await sendText(harper.page, text);
      const forwarded = "Forwarded to Dr. Yasmin Haddad (Dr. Emeka Okafor's forwarding)";
      await harper.page.locator('.message.own', { hasText: text }).locator('.routed-to[data-reason="forwarded"]', { hasText: forwarded }).waitFor({ timeout: 10_000 });
      // He keeps it; she whom he forwards to gets it in her list, and sees why.
      await okafor.page.locator('.thread-item', { hasText: 'Olivia Harper' }).first().waitFor({ timeout: 10_000 });
      await haddad.page.locator('.thread-item', { hasText: text }).waitFor({ timeout: 15_000 });
      await haddad.page.locator('.thread-item', { hasText: text }).click();
      await haddad.page.locator('.message.theirs', { hasText: text }).locator('.routed-to[data-reason="forwarded"]', { hasText: forwarded }).waitFor({ timeout: 10_000 });
      expect(await violationsEverywhere(haddad.page)).toEqual([]);

      // After a reload, from the history's routed entries.
      await harper.page.reload();
      await waitLive(harper.page);
      await harper.page.locator('.message.own', { hasText: text }).locator('.routed-to[data-reason="forwarded"]', { hasText: forwarded }).waitFor({ timeout: 10_000 });

      // He stops forwarding: her composer's line goes without a reload.
      await expect.poll(() => preview(harper.page).locator('.forwarding-line').count(), { timeout: 15_000 }).toBe(1);
      const again = await openAvailability(okafor.page);
      await again.getByRole('button', { name: 'Stop forwarding' }).click();
      await again.locator('.current-forwarding', { hasText: 'Your messages are not forwarded.' }).waitFor();
      await again.getByText('Forwarding stopped.').waitFor();
      await again.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => preview(harper.page).locator('.forwarding-line').count(), { timeout: 15_000 }).toBe(0);
      expect((await callAs(harper.page, 'dr.okafor', 'GET', `/api/v1/users/${await userIdOf(harper.page, 'dr.okafor')}/forwarding`)).json).toEqual({ forwarding: null });
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ okafor, harper, haddad })}`);
    } finally {
      await clearForwarding(harper.page, 'dr.okafor').catch(() => undefined);
      await haddad.context.close();
      await harper.context.close();
      await okafor.context.close();
    }
  });

  test('a forwarding loop is not followed, and the sender is told', async () => {
    const chen = await newClient(browser, server);
    try {
      await signIn(chen.page, 'rn.chen');
      await waitLive(chen.page);
      const okaforId = await userIdOf(chen.page, 'dr.okafor');
      const haddadId = await userIdOf(chen.page, 'dr.haddad');
      // A loop may be set: each forwards to the other.
      expect((await callAs(chen.page, 'dr.okafor', 'PUT', `/api/v1/users/${okaforId}/forwarding`, { to_user_id: haddadId })).status).toBe(200);
      expect((await callAs(chen.page, 'dr.haddad', 'PUT', `/api/v1/users/${haddadId}/forwarding`, { to_user_id: okaforId })).status).toBe(200);
      // Nobody forwards to themselves.
      const self = await callAs(chen.page, 'dr.haddad', 'PUT', `/api/v1/users/${haddadId}/forwarding`, { to_user_id: haddadId });
      expect(self.status).toBe(400);
      expect((self.json as { error: { message: string } }).error.message).toBe('a person cannot forward to themselves');

      await openDirect(chen.page, 'Okafor', 'dr.okafor');
      const text = 'Is bed 2 cleared for transfer?';
      const notice = chen.page.locator('.thread-notice');
      await sendText(chen.page, text);
      await chen.page.locator('.message.own:not(.pending)', { hasText: text }).waitFor({ timeout: 10_000 });
      await expect.poll(() => notice.textContent(), { timeout: 5000 })
        .toBe("Dr. Emeka Okafor's forwarding loops back, so it was not followed: the message went to Dr. Emeka Okafor.");
      expect(await notice.getAttribute('role')).toBe('status');
      expect(await chen.page.locator('.message.own', { hasText: text }).locator('.routed-to').count()).toBe(0);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ chen })}`);
    } finally {
      await clearForwarding(chen.page, 'dr.okafor').catch(() => undefined);
      await clearForwarding(chen.page, 'dr.haddad').catch(() => undefined);
      await chen.context.close();
    }
  });

  test("the people picker shows a colleague's availability, and follows its change live", async () => {
    const harper = await newClient(browser, server);
    try {
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);
      const id = await userIdOf(harper.page, 'dr.okafor');
      expect((await callAs(harper.page, 'dr.okafor', 'POST', `/api/v1/users/${id}/availability`, { status: 'busy' })).status).toBe(200);

      await harper.page.getByRole('button', { name: 'New', exact: true }).click();
      await harper.page.getByRole('tab', { name: 'New group' }).click();
      await harper.page.getByLabel('Search members').fill('okafor');
      const row = harper.page.locator('.member-picker li', { has: harper.page.locator('input[data-username="dr.okafor"]') });
      await expect.poll(() => row.locator('.status-tag').textContent(), { timeout: 10_000 }).toBe('Busy');
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      // Back to available (availability_changed): the label goes without a reload.
      expect((await callAs(harper.page, 'dr.okafor', 'POST', `/api/v1/users/${id}/availability`, { status: 'available' })).status).toBe(200);
      await expect.poll(() => row.locator('.status-tag').count(), { timeout: 10_000 }).toBe(0);
      expect(await row.locator('.person-tags').getAttribute('data-status')).toBe('available');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper })}`);
    } finally {
      await callAs(harper.page, 'dr.okafor', 'POST', `/api/v1/users/${await userIdOf(harper.page, 'dr.okafor')}/availability`, { status: 'available' }).catch(() => undefined);
      await harper.context.close();
    }
  });

  test('a period ahead is set in the dialog, listed, and deleted', async () => {
    const okafor = await newClient(browser, server);
    try {
      await signIn(okafor.page, 'dr.okafor');
      await waitLive(okafor.page);
      const id = await userIdOf(okafor.page, 'dr.okafor');
      // Tomorrow 10:00 to 12:00 on the browser's clock, as a datetime-local value.
      const [starts, ends] = await okafor.page.evaluate(() => {
        const local = (hour: number) => {
          const at = new Date();
          at.setDate(at.getDate() + 1);
          at.setHours(hour, 0, 0, 0);
          const pad = (n: number) => String(n).padStart(2, '0');
          return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(hour)}:00`;
        };
        return [local(10), local(12)];
      });

      // An earlier "available" may be listed (it is a period too): the test looks for its own.
      const dialog = await openAvailability(okafor.page);
      await dialog.getByLabel('Set a period ahead').selectOption({ label: 'Off duty' });
      await dialog.getByLabel('Starts').fill(starts);
      await dialog.getByLabel('Ends (optional)').fill(ends);
      await dialog.getByRole('button', { name: 'Add period' }).click();
      const item = dialog.locator('.period-list li', { hasText: /^Off duty · Tomorrow/ });
      await item.first().waitFor({ timeout: 10_000 });
      expect(await item.count()).toBe(1);
      expect(await item.locator('span').textContent()).toMatch(/^Off duty · Tomorrow .+ – Tomorrow .+$/);
      // Still available now.
      expect(await dialog.locator('.current-availability').getAttribute('data-status')).toBe('available');
      expect(await violationsEverywhere(okafor.page)).toEqual([]);

      const { periods: all } = (await callAs(okafor.page, 'dr.okafor', 'GET', `/api/v1/users/${id}/availability`)).json as {
        periods: { status: string; starts_at: string; ends_at: string }[];
      };
      const periods = all.filter((p) => p.status !== 'available');
      expect(periods.map((p) => p.status)).toEqual(['off_duty']);
      const startUtc = await okafor.page.evaluate((value) => new Date(value).getTime(), starts);
      expect(Date.parse(periods[0].starts_at)).toBe(startUtc);
      expect(Date.parse(periods[0].ends_at) - Date.parse(periods[0].starts_at)).toBe(2 * 3600_000);

      await item.getByRole('button', { name: /^Delete Off duty/ }).click();
      await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(0);
      await dialog.getByText(/^Deleted: Off duty · Tomorrow/).waitFor();
      const after = (await callAs(okafor.page, 'dr.okafor', 'GET', `/api/v1/users/${id}/availability`)).json as { periods: { status: string }[] };
      expect(after.periods.filter((p) => p.status !== 'available')).toEqual([]);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ okafor })}`);
    } finally {
      await callAs(okafor.page, 'dr.okafor', 'POST', `/api/v1/users/${await userIdOf(okafor.page, 'dr.okafor')}/availability`, { status: 'available' }).catch(() => undefined);
      await okafor.context.close();
    }
  });
});
