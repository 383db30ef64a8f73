import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callAs, describeClients, launchBrowser, newClient, openThreadByTitle, signIn, startServer, violationsEverywhere, waitLive, type Client, type Server,
  userIdOf,
} from './harness';

// Hand-off notes (docs/routing.md, "Hand-off notes"): rn.harper, signed in to the demo's
// "4 West Charge Nurse", hands it over to rn.santos with a note in the Shift sign-in
// dialog; he gets a banner, opens the note in its thread and accepts it; her open thread
// shows when, live and after a reload. The unit is handed back to her at the end.
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

const kUnit = '4 West Charge Nurse';

async function signedIn(username: string): Promise<Client> {
  const client = await newClient(browser, server, undefined, { context: { timezoneId: 'America/New_York' } });
  await signIn(client.page, username);
  await waitLive(client.page);
  return client;
}

async function unitId(page: Page): Promise<number> {
  const { roles } = (await callAs(page, 'admin', 'GET', '/api/v1/roles')).json as { roles: { id: number; name: string }[] };
  return roles.find((r) => r.name === kUnit)!.id;
}

function note(page: Page, text: string) {
  return page.locator('.message', { hasText: text });
}

describe('hand-off notes', () => {
  test('rn.harper hands the unit over with a note; rn.santos opens and accepts it; she sees when, live and after a reload', { timeout: 150_000 }, async () => {
    const harper = await signedIn('rn.harper');
    const santos = await signedIn('rn.santos');
    const roleId = await unitId(harper.page);
    const santosId = await userIdOf(harper.page, 'rn.santos');
    const harperId = await userIdOf(harper.page, 'rn.harper');
    const text = 'Bed 7 on heparin, APTT due 02:00. Bed 12 family meeting at 09:00.';
    try {
      // The dialog: her sign-in with the optional note, and the note without handing over.
      await harper.page.getByRole('button', { name: 'Shift sign-in' }).click();
      const dialog = harper.page.getByRole('dialog', { name: 'Shift sign-in' });
      const row = dialog.locator(`.sign-in[data-role-id="${roleId}"]`);
      await row.waitFor();
      await row.getByRole('button', { name: `Write hand-off note for ${kUnit}` }).click();
      const noteForm = row.locator('.handoff-note-form');
      await noteForm.getByLabel('Hand-off note', { exact: true }).waitFor();
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      // Herself is not offered; a note the server refuses (too long) shows its reason, and
      // nothing is written.
      expect(await noteForm.getByRole('option', { name: 'Olivia Harper, RN' }).count()).toBe(0);
      await noteForm.getByLabel(`Hand-off note for ${kUnit} to`).selectOption(String(santosId));
      await noteForm.getByLabel('Hand-off note', { exact: true }).fill('x'.repeat(4100));
      await noteForm.getByRole('button', { name: 'Send note' }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/\S/);
      expect(((await callAs(harper.page, 'rn.santos', 'GET', '/api/v1/handoffs')).json as { handoffs: unknown[] }).handoffs).toEqual([]);
      await noteForm.getByRole('button', { name: 'Cancel' }).click();

      await row.getByLabel(`Hand ${kUnit} over to`).selectOption(String(santosId));
      await row.getByLabel('Hand-off note (optional)').fill(text);
      expect(await violationsEverywhere(harper.page)).toEqual([]);
      await row.getByRole('button', { name: 'Hand over', exact: true }).click();
      await dialog.getByText(`${kUnit} is handed over to Mateo Santos, RN, with your hand-off note.`).waitFor();
      await dialog.getByText('No role or unit.').waitFor();
      const signIns = (await callAs(harper.page, 'admin', 'GET', `/api/v1/sign-ins?role_id=${roleId}`)).json as { sign_ins: { user_id: number }[] };
      expect(signIns.sign_ins.map((s) => s.user_id)).toEqual([santosId]);
      await dialog.getByRole('button', { name: 'Close' }).click();

      // Her thread with the unit has the note, "to Mateo Santos", no Accept for her.
      await openThreadByTitle(harper.page, kUnit);
      const hers = note(harper.page, text);
      await hers.locator('.routed-to[data-reason="hand_off"]', { hasText: 'Hand-off note to Mateo Santos, RN' }).waitFor({ timeout: 15_000 });
      expect(await hers.locator('.handoff-ask').count()).toBe(0);

      // His banner (live: the routed event), axe on it at both widths.
      const banner = santos.page.locator('.attention-handoff');
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.locator('.attention-text').textContent()).toBe(`Hand-off note from Olivia Harper, RN for ${kUnit}`);
      expect(await banner.getAttribute('role')).toBe('alert');
      expect(await violationsEverywhere(santos.page)).toEqual([]);
      await santos.page.setViewportSize({ width: 390, height: 844 });
      for (const name of ['Open', 'Accept']) {
        const box = (await banner.getByRole('button', { name, exact: true }).boundingBox())!;
        expect(box.height).toBeGreaterThanOrEqual(44);
        expect(box.width).toBeGreaterThanOrEqual(44);
      }
      await santos.page.setViewportSize({ width: 1280, height: 800 });

      // Open: the thread at the note, which asks him to accept it.
      await banner.getByRole('button', { name: 'Open', exact: true }).click();
      await santos.page.locator('.thread-view h2', { hasText: kUnit }).waitFor();
      const his = note(santos.page, text);
      await his.waitFor({ timeout: 15_000 });
      await expect.poll(() => his.locator('.handoff-ask').textContent()).toBe('Hand-off note for you — Accept');
      await expect.poll(() => his.isVisible()).toBe(true);
      expect(await his.locator('.routed-to[data-reason="hand_off"]').textContent()).toBe('Hand-off note to Mateo Santos, RN');
      expect(await violationsEverywhere(santos.page)).toEqual([]);

      // Accept in the thread: the ask and the banner go; the line says when, on both sides.
      await his.getByRole('button', { name: 'Accept', exact: true }).click();
      await his.locator('.handoff-ask').waitFor({ state: 'detached' });
      await banner.waitFor({ state: 'detached' });
      const accepted = /^Accepted by Mateo Santos, RN at \d{1,2}:\d{2}/;
      await expect.poll(() => his.locator('.routed-to[data-reason="accepted"]').textContent()).toMatch(accepted);
      const line = hers.locator('.routed-to[data-reason="accepted"]');
      await line.waitFor({ timeout: 15_000 });
      expect(await line.textContent()).toMatch(accepted);
      const shown = await line.textContent();
      const listed = (await callAs(santos.page, 'rn.santos', 'GET', '/api/v1/handoffs')).json as { handoffs: unknown[] };
      expect(listed.handoffs).toEqual([]);

      // After a reload: from the history page's routed events, the same line.
      await harper.page.reload();
      await waitLive(harper.page);
      await hers.locator('.routed-to[data-reason="accepted"]').waitFor({ timeout: 15_000 });
      expect(await hers.locator('.routed-to[data-reason="accepted"]').textContent()).toBe(shown);
      await santos.page.reload();
      await waitLive(santos.page);
      await his.locator('.routed-to[data-reason="accepted"]').waitFor({ timeout: 15_000 });
      expect(await his.locator('.handoff-ask').count()).toBe(0);
      expect(await santos.page.locator('.attention-handoff').count()).toBe(0);

      // Now holding the unit, he writes her a note without handing it over; she accepts it
      // from her banner.
      await santos.page.getByRole('button', { name: 'Shift sign-in' }).click();
      const hisDialog = santos.page.getByRole('dialog', { name: 'Shift sign-in' });
      const hisRow = hisDialog.locator(`.sign-in[data-role-id="${roleId}"]`);
      await hisRow.getByRole('button', { name: `Write hand-off note for ${kUnit}` }).click();
      const reply = 'Thanks, APTT sent. Call me if bed 12 family arrives early.';
      await hisRow.getByLabel(`Hand-off note for ${kUnit} to`).selectOption(String(harperId));
      await hisRow.getByLabel('Hand-off note', { exact: true }).fill(reply);
      await hisRow.getByRole('button', { name: 'Send note' }).click();
      await hisDialog.getByText(`Hand-off note for ${kUnit} sent to Olivia Harper, RN.`).waitFor();
      await hisDialog.getByRole('button', { name: 'Close' }).click();
      const herBanner = harper.page.locator('.attention-handoff');
      await herBanner.waitFor({ timeout: 15_000 });
      expect(await herBanner.locator('.attention-text').textContent()).toBe(`Hand-off note from Mateo Santos, RN for ${kUnit}`);
      await herBanner.getByRole('button', { name: 'Accept', exact: true }).click();
      await herBanner.waitFor({ state: 'detached' });
      // His own thread with the unit (two are titled by it: his and hers): the note, then
      // her acceptance.
      const own = (await callAs(santos.page, 'rn.santos', 'POST', `/api/v1/roles/${roleId}/thread`, {})).json as { id: number };
      await santos.page.locator(`.thread-item[data-thread-id="${own.id}"]`).click();
      const mine = note(santos.page, reply);
      await mine.locator('.routed-to[data-reason="accepted"]').waitFor({ timeout: 15_000 });
      expect(await mine.locator('.routed-to[data-reason="accepted"]').textContent()).toMatch(/^Accepted by Olivia Harper, RN at /);

      // No note text in either console or URL.
      for (const client of [harper, santos]) {
        expect(client.consoleLines.join('\n')).not.toContain('heparin');
        expect(client.page.url()).not.toContain('heparin');
      }
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper, santos })}`);
    } finally {
      // The demo's state back: rn.santos hands the unit back to rn.harper.
      const back = await callAs(santos.page, 'rn.santos', 'POST', `/api/v1/roles/${roleId}/hand-over`, { user_id: harperId });
      if (back.status !== 204) await callAs(santos.page, 'rn.harper', 'POST', `/api/v1/roles/${roleId}/sign-in`, {});
      await harper.context.close();
      await santos.context.close();
    }
  });
});
