import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  callAs, describeClients, launchBrowser, newClient, openDirect, sendText, signIn, startServer, waitLive, type Client, type Server,
} from './harness';

// Escalation (docs/routing.md): an urgent message nobody reads moves on to the next step
// of the addressee's backup chain, and the sender's thread shows it, also after a
// reload; an urgent message still unread alerts its recipient again. In the demo
// dr.okafor's backups are dr.haddad, then Rapid Response RN. Each test sets short delays
// and puts the demo's policy back, so the other tests of the file see the demo.
let server: Server;
let browser: Browser;

const kDemoPolicy = { normal_after_seconds: 900, urgent_after_seconds: 120, realert_every_seconds: 120 };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser(server);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function setPolicy(page: Page, policy: typeof kDemoPolicy): Promise<void> {
  const answer = await callAs(page, 'admin', 'PUT', '/api/v1/escalation-policy', policy);
  expect(answer.status).toBe(200);
}

function escalationLine(page: Page, text: string, name: string) {
  return page.locator('.message.own', { hasText: text }).locator('.routed-to[data-reason="escalated"]', { hasText: `Not read in time: escalated to ${name}` });
}

describe('escalation', () => {
  test('an urgent message nobody reads shows its escalation to the backup in the sender\'s thread, also after a reload', async () => {
    const harper = await newClient(browser, server);
    try {
      await setPolicy(harper.page, { normal_after_seconds: 0, urgent_after_seconds: 3, realert_every_seconds: 0 });
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);
      await openDirect(harper.page, 'Okafor', 'dr.okafor');

      // dr.okafor never reads it: after 3 seconds it moves on to dr.haddad.
      const text = 'Bed 7 BP 78/40 after the second bolus, please come now.';
      await sendText(harper.page, text, true);
      await harper.page.locator('.message.own.urgent', { hasText: text }).waitFor();
      await escalationLine(harper.page, text, 'Dr. Yasmin Haddad').waitFor({ timeout: 15_000 });
      // Then Rapid Response RN's holder; with no step left, rn.harper is told.
      const unanswered = harper.page.getByRole('alert').filter({ hasText: 'Nobody read your urgent message, and no one is left to escalate it to' });
      await unanswered.waitFor({ timeout: 20_000 });
      await unanswered.getByRole('button', { name: 'Dismiss' }).click();
      await expect.poll(() => unanswered.count()).toBe(0);

      // After a reload (and the cache's once-a-second write) the step is still shown. The
      // app takes steps from history pages' `routed` too; the server fills it for role
      // threads only, so for this direct thread the app's sealed cache keeps it.
      await harper.page.waitForTimeout(1500);
      await harper.page.reload();
      await waitLive(harper.page);
      await escalationLine(harper.page, text, 'Dr. Yasmin Haddad').waitFor({ timeout: 10_000 });
      expect(await escalationLine(harper.page, text, 'Dr. Yasmin Haddad').count()).toBe(1);
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients({ harper })}`);
    } finally {
      await setPolicy(harper.page, kDemoPolicy).catch(() => undefined);
      await harper.context.close();
    }
  });

  test('an unread urgent message alerts its recipient again: a banner that opens its thread', async () => {
    const harper = await newClient(browser, server);
    let okafor: Client | null = null;
    try {
      await setPolicy(harper.page, { normal_after_seconds: 0, urgent_after_seconds: 0, realert_every_seconds: 2 });
      okafor = await newClient(browser, server);
      await signIn(okafor.page, 'dr.okafor');
      await waitLive(okafor.page);
      await signIn(harper.page, 'rn.harper');
      await waitLive(harper.page);
      await openDirect(harper.page, 'Okafor', 'dr.okafor');
      const text = 'Bed 3 is bleeding through the dressing again, please review.';
      await sendText(harper.page, text, true);

      // dr.okafor has the list open, not the thread: the message stays unread.
      const banner = okafor.page.getByRole('alert').filter({ hasText: 'Urgent message waiting to be read' });
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.count()).toBe(1);
      // Repeated alerts for the same message keep one banner.
      await okafor.page.waitForTimeout(2500);
      expect(await banner.count()).toBe(1);

      await banner.getByRole('button', { name: 'Open conversation' }).click();
      await okafor.page.locator('.message.theirs.urgent', { hasText: text }).waitFor();
      await expect.poll(() => banner.count()).toBe(0);
      expect(await okafor.page.locator('.thread-view h2').textContent()).toContain('Olivia Harper, RN');

      // Read now: no further alert comes.
      await okafor.page.waitForTimeout(3000);
      expect(await banner.count()).toBe(0);
      expect(okafor.consoleLines.join('\n')).not.toContain('bleeding');
    } catch (error) {
      throw new Error(`${String(error)}\n${await describeClients(okafor ? { harper, okafor } : { harper })}`);
    } finally {
      await setPolicy(harper.page, kDemoPolicy).catch(() => undefined);
      await okafor?.context.close();
      await harper.context.close();
    }
  });
});
