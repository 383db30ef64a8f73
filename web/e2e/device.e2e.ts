// The device side of the app: alert sounds, the 12-hour sign-out on the browser's own
// clock, and what Chromium needs to install it as an app. The idle lock is in
// lock.e2e.ts.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchBrowser, launchProfile, newClient, openThreadByTitle, sendText, signIn, startServer, waitLive, type Server } from './harness';

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

interface Tone {
  type: string;
  frequency: number;
  at: number;
  state: string;
}

// In the page before the app: every audio context is kept and every oscillator
// started is recorded (waveform, pitch, start time, context state).
function recordedTones(): void {
  const w = window as unknown as { __wlAudio: AudioContext[]; __wlTones: Tone[] };
  w.__wlAudio = [];
  w.__wlTones = [];
  const Original = window.AudioContext;
  class Kept extends Original {
    constructor(options?: AudioContextOptions) {
      super(options);
      w.__wlAudio.push(this);
    }
  }
  Object.defineProperty(window, 'AudioContext', { configurable: true, writable: true, value: Kept });
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
    w.__wlTones.push({ type: this.type, frequency: this.frequency.value, at: when ?? this.context.currentTime, state: this.context.state });
    start.call(this, when);
  };
}

const tones = (page: Page) => page.evaluate(() => (window as unknown as { __wlTones: Tone[] }).__wlTones);
const audioState = (page: Page) =>
  page.evaluate(() => (window as unknown as { __wlAudio: AudioContext[] }).__wlAudio.map((a) => a.state).join(','));

// Waveform, pitch and start relative to the first tone, in hundredths of a second.
const pattern = (played: Tone[]) => played.map((t) => `${t.type} ${t.frequency} +${Math.round((t.at - played[0].at) * 100)}`);

// A new client whose page clock is fake from its next load on, signed in. The
// server's clock stays real, so its own 30-minute idle limit is never reached.
async function signedInOnFakeClock(username: string) {
  const client = await newClient(browser, server);
  await client.context.clock.install();
  await client.page.reload();
  await signIn(client.page, username);
  await waitLive(client.page);
  return client;
}

// The session the app keeps in sessionStorage.
function storedSession(page: Page): Promise<{ token: string; expiresAt: string }> {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('wardline.session') ?? '{}'));
}

describe('sound, session expiry and installing the app', () => {
  test('an urgent message sounds different from a normal one; no sound for an open thread or one\'s own message', async () => {
    const patel = await newClient(browser, server, undefined, { initScript: recordedTones });
    await signIn(patel.page, 'dr.patel');
    await waitLive(patel.page);
    // Audio starts only after a gesture; no thread is open.
    await patel.page.locator('.thread-pane .placeholder').click();
    await expect.poll(() => audioState(patel.page)).toBe('running');

    const harper = await newClient(browser, server, undefined, { initScript: recordedTones });
    await signIn(harper.page, 'rn.harper');
    await waitLive(harper.page);
    await openThreadByTitle(harper.page, 'Dr. Nina Patel');
    await sendText(harper.page, 'Potassium is 3.1 in bed 7.');
    await expect.poll(async () => (await tones(patel.page)).length, { timeout: 10_000 }).toBe(2);
    await sendText(harper.page, 'Bed 9 is desaturating, come now.', true);
    await expect.poll(async () => (await tones(patel.page)).length, { timeout: 10_000 }).toBe(8);

    const played = await tones(patel.page);
    expect(played.every((t) => t.state === 'running')).toBe(true);
    // Normal: a soft two-note chime.
    expect(pattern(played.slice(0, 2))).toEqual(['sine 880 +0', 'sine 1174 +14']);
    // Urgent: three square beeps, a pause, three more.
    expect(pattern(played.slice(2))).toEqual([
      'square 1046 +0', 'square 1046 +16', 'square 1320 +32', 'square 1046 +73', 'square 1046 +89', 'square 1320 +105',
    ]);

    // With the sender's thread open and the tab visible, a new message makes no sound.
    await openThreadByTitle(patel.page, 'Olivia Harper, RN');
    await sendText(harper.page, 'Never mind, resolved.');
    await patel.page.locator('.message', { hasText: 'Never mind, resolved.' }).waitFor({ timeout: 10_000 });
    expect((await tones(patel.page)).length).toBe(8);
    // The sender's audio is unlocked (typing is a gesture) and stayed silent.
    expect(await audioState(harper.page)).toBe('running');
    expect(await tones(harper.page)).toEqual([]);
    await harper.context.close();
    await patel.context.close();
  });

  test('a session past its 12-hour expiry ends with its own notice, not the idle one', async () => {
    const { page, context } = await signedInOnFakeClock('dr.okafor');
    const { expiresAt } = await storedSession(page);
    const left = Date.parse(expiresAt) - (await page.evaluate(() => Date.now()));
    expect(left).toBeGreaterThan(11 * 3600_000);
    // Past the expiry in one jump: the check sees the expiry before the idle lock.
    await context.clock.fastForward(left + 60_000);
    await page.getByLabel('Username').waitFor({ timeout: 10_000 });
    expect(await page.locator('.login .notice').textContent()).toBe('Your session expired. Sign in again.');
    await context.close();
  });

  test('the app is installable: manifest without errors, no installability errors, service worker serves the shell offline', async () => {
    // An on-disk profile: Chromium reports "in-incognito" for every context of launchBrowser.
    const profile = await launchProfile(server);
    const { page, context } = profile;
    try {
      expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
      await expect
        .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state ?? null), { timeout: 20_000 })
        .toBe('activated');
      const cdp = await context.newCDPSession(page);
      const manifest = await cdp.send('Page.getAppManifest');
      expect(manifest.url).toBe(`${server.origin}/manifest.webmanifest`);
      expect(manifest.errors).toEqual([]);
      const data = JSON.parse(manifest.data ?? '{}') as { name: string; start_url: string; display: string; icons: { src: string; sizes: string; type: string }[] };
      expect(data.name).toBe('Wardline');
      expect(data.start_url).toBe('/');
      expect(data.display).toBe('standalone');
      for (const size of ['192x192', '512x512']) {
        const icon = data.icons.find((i) => i.sizes === size && i.type === 'image/png');
        expect(icon, size).toBeDefined();
        // The icon is there and has the size it claims.
        const natural = await page.evaluate(async (src) => {
          const image = new Image();
          image.src = src;
          await image.decode();
          return `${image.naturalWidth}x${image.naturalHeight}`;
        }, icon!.src);
        expect(natural).toBe(size);
      }
      expect((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);

      // After a reload the worker controls the page, and the shell comes from it offline.
      await page.reload();
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      await context.setOffline(true);
      await page.reload();
      await page.getByLabel('Username').waitFor({ timeout: 10_000 });
      // Really offline (navigator.onLine stays true in a persistent context): the server is out of reach.
      expect(await page.evaluate(() => fetch('/healthz').then((r) => `status ${r.status}`, (e: unknown) => String(e)))).toMatch(/^TypeError/);

      // Online and signed in, the worker's caches still hold the shell only, no API answer.
      await context.setOffline(false);
      await page.reload();
      await signIn(page, 'dr.nguyen');
      await waitLive(page);
      const cached = await page.evaluate(async () => {
        const urls: string[] = [];
        for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
        return urls;
      });
      expect(cached).toContain('/index.html');
      expect(cached.filter((u) => u.startsWith('/api/'))).toEqual([]);
    } finally {
      await profile.close();
    }
  });
});
