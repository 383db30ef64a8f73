// Starts a real Wardline server (demo data, fresh data dir, free loopback port) and a
// headless Chromium that trusts its certificate, for the browser tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const kPassword = 'wardline-demo-password';

export interface Server {
  origin: string;
  dataDir: string;
  spki: string;
  stop(): Promise<void>;
}

// A free TCP port on 127.0.0.1 (for a server, or its `--hl7-port`).
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function healthy(origin: string, ca: string): Promise<boolean> {
  return new Promise((resolveHealth) => {
    const req = request(`${origin}/healthz`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolveHealth(res.statusCode === 200);
    });
    req.on('error', () => resolveHealth(false));
    req.on('timeout', () => {
      req.destroy();
      resolveHealth(false);
    });
    req.end();
  });
}

export interface ServerOptions {
  // Extra `wardline serve` flags, e.g. `--bench-limits` for a file that logs in or
  // sends more than the normal rate limits allow.
  extraArgs?: string[];
}

export async function startServer(options: ServerOptions = {}): Promise<Server> {
  const binary = process.env.WARDLINE_BIN ?? resolve(webDir, '../build/src/cli/wardline');
  const staticDir = resolve(webDir, 'dist');
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error('web/dist is missing: run npm run build first');
  // The binary can be missing for a moment while it is relinked.
  for (let i = 0; i < 120 && !existsSync(binary); i++) await sleep(1000);
  const dataDir = mkdtempSync(join(tmpdir(), 'wardline-e2e-'));
  const port = await freePort();
  const origin = `https://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    ['serve', '--demo', '--data-dir', dataDir, '--address', '127.0.0.1', '--port', String(port), '--static-dir', staticDir,
      '--log-level', 'warn', '--fast-password-hashing', ...(options.extraArgs ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  let exited = false;
  child.once('exit', () => (exited = true));
  const caPath = join(dataDir, 'tls', 'ca.pem');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`wardline serve exited: ${stderr.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`wardline serve did not become healthy: ${stderr.slice(-2000)}`);
    }
    if (existsSync(caPath) && (await healthy(origin, readFileSync(caPath, 'utf8')))) break;
    await sleep(200);
  }
  const certificate = new X509Certificate(readFileSync(join(dataDir, 'tls', 'server.pem')));
  const der = certificate.publicKey.export({ type: 'spki', format: 'der' });
  const spki = createHash('sha256').update(der).digest('base64');
  return {
    origin,
    dataDir,
    spki,
    async stop() {
      if (!exited) {
        const done = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timeout = sleep(10_000).then(() => {
          if (!exited) child.kill('SIGKILL');
        });
        await Promise.race([done, timeout]);
        if (!exited) await done;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function launchOptions(server: Server) {
  return {
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${server.spki}`,
    ],
  };
}

export async function launchBrowser(server: Server): Promise<Browser> {
  return chromium.launch(launchOptions(server));
}

export interface Client {
  context: BrowserContext;
  page: Page;
  consoleLines: string[];
}

export interface ClientOptions {
  // More context options (colorScheme, permissions, ...).
  context?: BrowserContextOptions;
  // Runs in the page before the app's scripts, on every load.
  initScript?: () => void;
}

// The page's console lines and uncaught errors, collected as they come.
function watchConsole(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (message) => lines.push(message.text()));
  page.on('pageerror', (error) => lines.push(`pageerror: ${error.message}`));
  return lines;
}

export async function newClient(
  browser: Browser, server: Server, viewport = { width: 1280, height: 800 }, options: ClientOptions = {},
): Promise<Client> {
  const context = await browser.newContext({ ...options.context, viewport, baseURL: server.origin });
  if (options.initScript) await context.addInitScript(options.initScript);
  const page = await context.newPage();
  const consoleLines = watchConsole(page);
  await page.goto('/');
  return { context, page, consoleLines };
}

export interface Profile extends Client {
  close(): Promise<void>;
}

// A browser with its own on-disk profile, on the app's start page. The contexts of
// launchBrowser are incognito, where Chromium never offers to install an app.
export async function launchProfile(server: Server, viewport = { width: 1280, height: 800 }): Promise<Profile> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'wardline-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, { ...launchOptions(server), viewport, baseURL: server.origin });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines = watchConsole(page);
  await page.goto('/');
  return {
    context,
    page,
    consoleLines,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// What each client shows, for the log of a failed test: the open thread, the list, the
// last messages, the connection, and the end of the console. Test data only.
export async function describeClients(clients: Record<string, Client>): Promise<string> {
  const parts: string[] = [];
  for (const [name, client] of Object.entries(clients)) {
    const shown = await client.page
      .evaluate(() => ({
        connection: document.querySelector('[data-connection]')?.getAttribute('data-connection') ?? '-',
        thread: document.querySelector('.thread-view h2')?.textContent ?? '(none open)',
        dialog: document.querySelector('[role="dialog"] h2')?.textContent ?? null,
        list: [...document.querySelectorAll('.thread-item')].map((e) => e.textContent?.replace(/\s+/g, ' ').trim()),
        messages: [...document.querySelectorAll('.message')].slice(-4).map((e) => `${e.className}: ${e.textContent?.replace(/\s+/g, ' ').trim()}`),
      }))
      .catch((error: unknown) => ({ error: String(error) }));
    parts.push(`${name}: ${JSON.stringify(shown, null, 1)}\nconsole: ${client.consoleLines.slice(-10).join(' | ')}`);
  }
  return parts.join('\n');
}

export async function signIn(page: Page, username: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(kPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
}

export async function waitLive(page: Page): Promise<void> {
  await page.locator('[data-connection="live"]').waitFor({ state: 'attached' });
}

// A new client of `server`, signed in as `username` and live.
export async function signedInClient(browser: Browser, server: Server, username: string): Promise<Client> {
  const client = await newClient(browser, server);
  await signIn(client.page, username);
  await waitLive(client.page);
  return client;
}

// Opens a direct thread with a colleague through the directory search.
export async function openDirect(page: Page, name: string, username: string): Promise<void> {
  await page.getByRole('button', { name: 'New', exact: true }).click();
  await page.getByLabel('Search the directory').fill(name);
  await page.locator(`button.pick[data-username="${username}"]`).click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}

// The title alone, not a patient thread whose colleagues (beside its title) have it.
// Chooses a patient in the New conversation dialog's patient picker: types `query`, then
// clicks the option whose name starts with `name`.
export async function pickPatient(page: Page, query: string, name: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Patient' }).fill(query);
  await page.getByRole('option', { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }).click();
  await page.getByRole('button', { name: /^Change patient/ }).waitFor();
}

export async function openThreadByTitle(page: Page, title: string): Promise<void> {
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const named = page.locator('.thread-title', { hasText: new RegExp(`^\\s*${escaped}`) });
  await page.locator('.thread-item', { has: named }).first().click();
  await page.getByLabel('Message', { exact: true }).waitFor();
}

export async function sendText(page: Page, text: string, urgent = false): Promise<void> {
  if (urgent) await page.getByLabel('Urgent').check();
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

// The status label of one's own message with this text.
export function ownStatus(page: Page, text: string) {
  return page.locator('.message.own', { hasText: text }).locator('[data-status]');
}

// Calls the API as `username` from `page` (a page on the server's origin, online): signs
// in as a separate device, makes the call, signs out. Answers the status and the JSON body.
export function callAs(
  page: Page, username: string, method: string, path: string, body?: unknown,
): Promise<{ status: number; json: unknown }> {
  return page.evaluate(
    async ({ username, password, method, path, body }) => {
      const login = await fetch('/api/v1/login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password, device_name: 'test script' }),
      });
      const { token } = (await login.json()) as { token: string };
      const auth = { Authorization: `Bearer ${token}` };
      const answer = await fetch(path, {
        method,
        headers: body === undefined ? auth : { ...auth, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await answer.text();
      await fetch('/api/v1/logout', { method: 'POST', headers: auth });
      return { status: answer.status, json: text ? JSON.parse(text) : null };
    },
    { username, password: kPassword, method, path, body },
  );
}

// The names of the IndexedDB databases of the page's origin.
// A demo user's id, looked up as the admin.
export async function userIdOf(page: Page, username: string): Promise<number> {
  const { users } = (await callAs(page, 'admin', 'GET', '/api/v1/users')).json as { users: { id: number; username: string }[] };
  return users.find((u) => u.username === username)!.id;
}

export function databases(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
}

// The users' local databases: one per user who signed in on this browser and whose
// data is still kept (src/lib/db.ts).
export async function userDatabases(page: Page): Promise<string[]> {
  return (await databases(page)).filter((name) => name.startsWith('wardline-user-'));
}

// Accessibility violations axe rates serious or critical on what the page shows now.
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

// Runs axe at phone and desktop widths, light and dark, on what the page shows; answers
// the violations, each prefixed with where it was found.
export async function violationsEverywhere(page: Page): Promise<string[]> {
  const found: string[] = [];
  const original = page.viewportSize();
  for (const viewport of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme });
      for (const v of await seriousViolations(page)) found.push(`${viewport.width}px ${colorScheme}: ${v}`);
    }
  }
  await page.emulateMedia({ colorScheme: null });
  if (original) await page.setViewportSize(original);
  return found;
}
