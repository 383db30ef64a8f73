import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hl7Time, sendAdt } from './hl7';
import { freePort, launchBrowser, newClient, signIn, startServer, violationsEverywhere, waitLive, type Server } from './harness';

// The live patient banner (docs/patients.md): rn.harper has the conversation about
// Testpatient, Alma open when the hospital's ADT feed moves her to the ICU and then
// discharges her; the banner follows each message without a reload.
let server: Server;
let browser: Browser;
let hl7Port = 0;

// An ADT message about the demo's Testpatient, Alma (MRN 100234, visit DEMO-V100234).
function adt(event: string, control: string, time: string, location: string): string {
  return [
    `MSH|^~\\&|ADT|GENERAL|WARDLINE|GENERAL|${time}||ADT^${event}|${control}|P|2.5.1`,
    `EVN|${event}|${time}`,
    'PID|1||100234^^^^MR||Testpatient^Alma||19480312|F',
    `PV1|1|I|${location}||||2^Patel^Nina^^^Dr.||||||||||||DEMO-V100234`,
  ].join('\r') + '\r';
}

beforeAll(async () => {
  hl7Port = await freePort();
  server = await startServer({ extraArgs: ['--hl7-port', String(hl7Port)] });
  browser = await launchBrowser(server);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('patient banner', () => {
  test('follows the ADT feed live: a transfer, then the discharge', { timeout: 120_000 }, async () => {
    const client = await newClient(browser, server);
    const { page } = client;
    try {
      await signIn(page, 'rn.harper');
      await waitLive(page);
      await page.locator('.thread-item', { hasText: 'Testpatient, Alma' }).click();
      const banner = page.getByRole('region', { name: 'Patient', exact: true });
      await expect.poll(() => banner.textContent()).toContain('4 West, room 12');
      expect(await banner.textContent()).toMatch(/DOB 1948-03-12 \(\d+ y\)/);
      expect(await banner.textContent()).toContain('Female');
      expect(await banner.textContent()).toMatch(/Admitted \d{4}-\d{2}-\d{2}/);

      expect(await sendAdt(hl7Port, adt('A02', 'e2e-move', hl7Time(1), 'ICU^^9'))).toBe('AA');
      await expect.poll(() => banner.textContent(), { timeout: 10_000 }).toContain('ICU, bed 9');

      expect(await sendAdt(hl7Port, adt('A03', 'e2e-discharge', hl7Time(2), 'ICU^^9'))).toBe('AA');
      await expect.poll(() => banner.textContent(), { timeout: 10_000 }).toMatch(/Discharged \d{4}-\d{2}-\d{2}/);
      expect(await banner.textContent()).not.toContain('ICU, bed 9');
      expect(await violationsEverywhere(page)).toEqual([]);
    } finally {
      await client.context.close();
    }
  });
});
