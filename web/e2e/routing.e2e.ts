import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localIn, mondayOf } from '../src/lib/routing';
import {
  callAs, describeClients, launchBrowser, newClient, sendText, signIn, startServer, violationsEverywhere, waitLive, type Client, type Server,
} from './harness';

// Messages to roles reach whoever holds them now (docs/routing.md): the composer says
// where a message would go before it is written, the thread says whom it reached, and
// shift sign-in and the on-call week change who that is.
// `npm run screenshots` refreshes docs/screenshots (as views.e2e.ts does); a plain test
// run writes them to a temporary folder.
const shots = process.env.WARDLINE_SCREENSHOTS_DIR
  ? resolve(process.env.WARDLINE_SCREENSHOTS_DIR)
  : mkdtempSync(join(tmpdir(), 'wardline-shots-'));
let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface RoleAnswer {
  id: number;
  name: string;
  holders: { user_id: number; via: string; shift_id: number | null }[];
}
interface UserAnswer {
  id: number;
  username: string;
  display_name: string;
}

async function roleNamed(page: Page, name: string): Promise<RoleAnswer> {
  const { roles } = (await callAs(page, 'admin', 'GET', '/api/v1/roles')).json as { roles: RoleAnswer[] };
  const role = roles.find((r) => r.name === name);
  if (!role) throw new Error(`no role ${name}`);
  return role;
}

async function directory(page: Page): Promise<Map<number, UserAnswer>> {
  const { users } = (await callAs(page, 'admin', 'GET', '/api/v1/users')).json as { users: UserAnswer[] };
  return new Map(users.map((u) => [u.id, u]));
}

// Opens the user's thread with a role from New conversation, searching for it.
async function openRole(page: Page, search: string, roleId: number): Promise<void> {
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.getByLabel('Search the directory').fill(search);
  await page.locator(`button.pick[data-role-id="${roleId}"]`).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}

function preview(page: Page) {
  return page.locator('#route-preview');
}

describe('routing: roles, sign-in and the schedule', () => {
  test('a message to a role shows where it goes, then whom it reached; the holder receives it', async () => {
    // In the hospital's zone, as its staff see it (times in the screenshots too).
    const harper = await newClient(browser, server, undefined, { context: { timezoneId: 'America/New_York' } });
    let holder: Client | null = null;
    try {
      // Who holds Cardiology On Call depends on the time of day in New York.
      const role = await roleNamed(harper.page, 'Cardiology On Call');
      const users = await directory(harper.page);
      expect(role.holders.length).toBeGreaterThan(0);
      const held = users.get(role.holders[0].user_id)!;

      holder = await newClient(browser, server);
      await signIn(holder.page, held.username);
      await waitLive(holder.page);
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);

      // The role is in the directory with its holder, found by searching.
      await harper.page.getByRole('button', { name: 'New', exact: true }).click();
      await harper.page.getByLabel('Search the directory').fill('cardio on call');
      const pick = harper.page.locator(`button.pick[data-role-id="${role.id}"]`);
      await expect.poll(() => pick.textContent()).toContain(`${held.display_name} · on call until`);
      await pick.click();
      await harper.page.getByLabel('Message', { exact: true }).waitFor();
      expect(await harper.page.getByRole('heading', { name: 'Cardiology On Call' }).count()).toBe(1);

      // Before the first keystroke: where it would go.
      await expect.poll(() => preview(harper.page).textContent()).toBe(`Goes to ${held.display_name} (on call)`);
      expect(await violationsEverywhere(harper.page)).toEqual([]);

      const text = 'Bed 12 troponin rising, ECG attached to the chart, please review.';
      await sendText(harper.page, text);
      const mine = harper.page.locator('.message.own', { hasText: text });
      await mine.locator('.routed-to').filter({ hasText: `Reached ${held.display_name} · on call` }).waitFor({ timeout: 15_000 });
      expect(await mine.locator('.routed-to').count()).toBe(1);
      await harper.page.screenshot({ path: `${shots}/role-desktop.png` });
      await harper.page.setViewportSize({ width: 390, height: 844 });
      await harper.page.screenshot({ path: `${shots}/role-phone.png` });
      await harper.page.setViewportSize({ width: 1280, height: 800 });

      // The holder gets the thread with the message, and sees whom it reached too.
      const item = holder.page.locator('.thread-item', { hasText: 'Cardiology On Call' });
      await item.waitFor({ timeout: 15_000 });
      await item.click();
      const theirs = holder.page.locator('.message.theirs', { hasText: text });
      await theirs.waitFor();
      await theirs.locator('.routed-to', { hasText: `Reached ${held.display_name}` }).waitFor();
      expect(await theirs.locator('.sender').textContent()).toBe('Olivia Harper, RN');

      // A reload (after the cache's once-a-second write) still says whom it reached, from
      // the history page's `routed` and the sealed cache.
      await harper.page.waitForTimeout(1500);
      await harper.page.reload();
      await waitLive(harper.page);
      await harper.page.locator('.message.own', { hasText: text }).locator('.routed-to', { hasText: `Reached ${held.display_name} · on call` }).waitFor();
      expect(harper.consoleLines.join('\n')).not.toContain('troponin');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients(holder ? { harper, holder } : { harper })}`);
    } finally {
      await holder?.context.close();
      await harper.context.close();
    }
  });

  test('signing out of a unit changes an open preview live; a send nobody can receive fails visibly and is retried; hand-over', async () => {
    const patel = await newClient(browser, server);
    const harper = await newClient(browser, server, undefined, { context: { timezoneId: 'America/New_York' } });
    try {
      const unit = await roleNamed(patel.page, '4 West Charge Nurse');
      await signIn(patel.page, 'dr.patel');
      await waitLive(patel.page);
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);

      await openRole(patel.page, '4 west charge', unit.id);
      await expect.poll(() => preview(patel.page).textContent()).toBe('Goes to Olivia Harper, RN (signed in)');

      // Dr. Patel writes while offline; meanwhile the charge nurse signs out in the app.
      await patel.context.setOffline(true);
      await patel.page.locator('[data-connection="offline"]').waitFor();
      const text = 'Can 4 West take the step-down patient from CCU at 15:00?';
      await sendText(patel.page, text);
      await patel.page.locator('.message.own.pending', { hasText: text }).waitFor();

      await harper.page.getByRole('button', { name: 'Shift sign-in' }).click();
      const dialog = harper.page.getByRole('dialog', { name: 'Shift sign-in' });
      await dialog.locator(`.sign-in[data-role-id="${unit.id}"]`).waitFor();
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Sign out of 4 West Charge Nurse' }).click();
      await dialog.getByText('You are signed out of 4 West Charge Nurse.').waitFor();
      await dialog.getByText('No role or unit.').waitFor();
      await harper.page.screenshot({ path: `${shots}/sign-in-desktop.png` });

      // Back online: the preview says nobody, Send is off, and the queued message is
      // refused (failed_precondition) and shown failed with the server's reason.
      await patel.context.setOffline(false);
      await waitLive(patel.page);
      await expect.poll(() => preview(patel.page).textContent(), { timeout: 15_000 }).toBe('Nobody holds this role now; a message cannot be sent.');
      const failed = patel.page.locator('.message.own.failed', { hasText: text });
      await failed.waitFor({ timeout: 15_000 });
      expect(await failed.locator('.failure').textContent()).toMatch(/^Not sent: nobody holds 4 West Charge Nurse now/);
      await patel.page.getByLabel('Message', { exact: true }).fill('Another one');
      expect(await patel.page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
      await patel.page.getByLabel('Message', { exact: true }).fill('');
      expect(await violationsEverywhere(patel.page)).toEqual([]);

      // She signs in again: the preview follows, and Retry sends the message to her.
      await dialog.getByRole('button', { name: 'Sign in to 4 West Charge Nurse' }).click();
      await dialog.locator(`.sign-in[data-role-id="${unit.id}"]`).waitFor();
      await expect.poll(() => preview(patel.page).textContent(), { timeout: 15_000 }).toBe('Goes to Olivia Harper, RN (signed in)');
      await failed.getByRole('button', { name: 'Retry' }).click();
      const sent = patel.page.locator('.message.own:not(.pending)', { hasText: text });
      await sent.locator('.routed-to', { hasText: 'Reached Olivia Harper, RN · signed in' }).waitFor({ timeout: 15_000 });
      expect(await patel.page.locator('.message', { hasText: text }).count()).toBe(1);

      // At the end of her shift she hands the unit to Mateo Santos.
      const users = await directory(harper.page);
      const santos = [...users.values()].find((u) => u.username === 'rn.santos')!;
      await dialog.getByLabel('Hand 4 West Charge Nurse over to').selectOption(String(santos.id));
      await dialog.getByRole('button', { name: 'Hand over' }).click();
      await dialog.getByText('4 West Charge Nurse is handed over to Mateo Santos, RN.').waitFor();
      await dialog.getByText('No role or unit.').waitFor();
      await expect.poll(() => preview(patel.page).textContent(), { timeout: 15_000 }).toBe('Goes to Mateo Santos, RN (signed in)');
      const signIns = (await callAs(harper.page, 'admin', 'GET', `/api/v1/sign-ins?role_id=${unit.id}`)).json as { sign_ins: { user_id: number }[] };
      expect(signIns.sign_ins.map((s) => s.user_id)).toEqual([santos.id]);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ patel, harper })}`);
    } finally {
      await harper.context.close();
      await patel.context.close();
    }
  });

  test('a scheduler moves the current shift in the week view: an open preview follows, and the change persists', async () => {
    const ito = await newClient(browser, server, { width: 1280, height: 800 }, { context: { timezoneId: 'America/New_York' } });
    const harper = await newClient(browser, server);
    try {
      const role = await roleNamed(ito.page, 'Cardiology On Call');
      const current = role.holders.find((h) => h.via === 'shift')!;
      const shiftId = current.shift_id!;
      const users = await directory(ito.page);
      const okafor = [...users.values()].find((u) => u.username === 'dr.okafor')!;
      const before = users.get(current.user_id)!;
      expect(before.id).not.toBe(okafor.id);

      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);
      await openRole(harper.page, 'cardiology', role.id);
      await expect.poll(() => preview(harper.page).textContent()).toBe(`Goes to ${before.display_name} (on call)`);

      await signIn(ito.page, 'sched.ito');
      await waitLive(ito.page);
      const openWeek = async () => {
        await ito.page.getByRole('button', { name: 'Schedule' }).click();
        await ito.page.getByRole('dialog', { name: 'On-call schedule' }).locator('.week-grid').waitFor();
        // The shift's week: it started yesterday evening, which may be last week.
        const { shifts } = (await callAs(ito.page, 'admin', 'GET', `/api/v1/shifts?from=${new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 19)}Z&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 19)}Z&role_id=${role.id}`)).json as { shifts: { id: number; starts_at: string }[] };
        const start = shifts.find((s) => s.id === shiftId)!.starts_at;
        const shiftWeek = mondayOf(localIn(start, 'America/New_York').date);
        const thisWeek = mondayOf(localIn(Date.now(), 'America/New_York').date);
        if (shiftWeek < thisWeek) await ito.page.getByRole('button', { name: 'Previous week' }).click();
        return ito.page.locator(`.week-grid button.shift[data-shift-id="${shiftId}"]`);
      };
      let cell = await openWeek();
      await expect.poll(() => cell.textContent()).toContain(before.display_name);
      expect(await cell.textContent()).toMatch(/(07:00–19:00|19:00–07:00)/);
      expect(await violationsEverywhere(ito.page)).toEqual([]);
      await ito.page.screenshot({ path: `${shots}/schedule-desktop.png` });

      await cell.click();
      const editor = ito.page.getByRole('form', { name: 'Edit shift' });
      await editor.getByLabel('Person').selectOption(String(okafor.id));
      expect(await violationsEverywhere(ito.page)).toEqual([]);
      await editor.getByRole('button', { name: 'Save shift' }).click();
      await ito.page.getByText('Shift saved.').waitFor();
      await expect.poll(() => cell.textContent()).toContain('Dr. Emeka Okafor');

      // Rn. Harper's composer follows at once (on_call_changed).
      await expect.poll(() => preview(harper.page).textContent(), { timeout: 15_000 }).toBe('Goes to Dr. Emeka Okafor (on call)');

      // After a reload the week still shows it.
      await ito.page.reload();
      await waitLive(ito.page);
      cell = await openWeek();
      await expect.poll(() => cell.textContent()).toContain('Dr. Emeka Okafor');

      // Someone without the permission sees the server's refusal.
      await harper.page.getByRole('button', { name: 'Schedule' }).click();
      const week = harper.page.getByRole('dialog', { name: 'On-call schedule' });
      await week.locator('.week-grid').waitFor();
      await week.getByRole('button', { name: 'Add a shift' }).click();
      await week.getByLabel('Person').selectOption(String(okafor.id));
      await week.getByRole('button', { name: 'Add shift' }).click();
      await week.getByRole('alert').filter({ hasText: 'only administrators and schedulers edit schedules' }).waitFor();

      // The phone width: the grid scrolls sideways inside its region, the page does not.
      await ito.page.setViewportSize({ width: 390, height: 844 });
      const overflow = await ito.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      // There the week is a list of days, with the same shift in it.
      await ito.page.locator(`.week-days button.shift[data-shift-id="${shiftId}"]`, { hasText: 'Dr. Emeka Okafor' }).waitFor();
      expect(await violationsEverywhere(ito.page)).toEqual([]);
      await ito.page.setViewportSize({ width: 390, height: 844 });
      await ito.page.screenshot({ path: `${shots}/schedule-phone.png` });
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ ito, harper })}`);
    } finally {
      await harper.context.close();
      await ito.context.close();
    }
  });
});
