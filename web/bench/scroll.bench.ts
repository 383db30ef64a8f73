// Scrolling a 10,000-message thread from the newest message back to the first, with
// wheel input, in the app (windowed list, history paged in) and in a naive page that
// renders every row at once (the baseline, same browser, viewport and steps). Prints
// frame intervals and long tasks for both; fails only if the app stops working.
// WARDLINE_BENCH_OUT=file.json also writes the figures. WARDLINE_BENCH_TRACE=dir and
// WARDLINE_BENCH_PROFILE=dir record a Chromium trace or a CPU profile of each scroll
// (see instrumented); both slow the page, so that run's figures are not comparable.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kPassword, launchBrowser, newClient, startServer, type Client, type Server } from '../e2e/harness';
import { seed, seededThread } from '../e2e/seed';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const kCount = 10_000;
const kStep = 600; // px of wheel delta per step
const kViewport = { width: 1280, height: 800 };
// Bounds: the whole scroll, and how long the list may sit still short of the first message.
const kScrollDeadlineMs = 180_000;
const kStallMs = 20_000;
const kLog = '[role="log"][aria-label="Messages"]';
// Tasks on every thread, the main thread's timeline, GC, and the compositor and display
// threads; the sampling profiler and the `cc` category slow the page too much.
const kTraceCategories = ['-*', 'toplevel', 'devtools.timeline', 'v8', 'viz', 'gpu'];

interface LongFrame {
  start: number; // ms since the recording started
  duration: number;
  blocking: number; // blockingDuration: the part of its tasks beyond 50 ms each
  scripts: number; // time in scripts (event handlers, callbacks, promise jobs)
  forcedLayout: number; // style and layout forced by those scripts
  styleAndLayout: number; // the frame's own style and layout
  other: number; // the rest: other tasks, or the main thread waiting for the frame
  page: boolean; // a history page arrived during it
  top: string; // the longest script: invoker and function
}

interface Recording {
  origin: number; // performance.now() when recording started
  frames: number[]; // rAF intervals, ms
  longTasks: number[]; // durations, ms
  loafs: Loaf[]; // long animation frames (over 50 ms)
  pages: number[]; // when history pages arrived (responseEnd)
}

interface Stats {
  framesRecorded: number;
  frameP50: number;
  frameP95: number;
  frameP99: number;
  frameMax: number;
  framesOver20: number; // at 60 Hz: at least one frame missed
  framesOver50: number;
  longTaskCount: number;
  longTaskTotal: number;
  longTaskMax: number;
  longFrames: LongFrame[];
  scrollMs: number; // first wheel step until the first message shows
  steps: number;
  maxRows: number; // rows in the list's DOM, at most
  maxElements: number; // elements in the document, at most
  historyPages?: number; // older pages fetched while scrolling (app)
  waitAtTopMs?: number; // time spent at scrollTop 0 waiting for the next page (app)
  openMs?: number; // click on the thread until the newest message shows (app)
  initialRenderMs?: number; // setContent + first frame (baseline)
  // The renderer's main thread over the scroll (CDP Performance metrics), ms.
  busyMs: number; // every task
  scriptMs: number;
  layoutMs: number; // layout and style recalculation
}

interface LoafScript {
  duration: number;
  forcedStyleAndLayoutDuration: number;
  invoker: string;
  sourceFunctionName: string;
}
interface Loaf {
  duration: number;
  blockingDuration: number;
  startTime: number;
  styleAndLayoutStart: number;
  scripts: LoafScript[];
}

declare global {
  interface Window {
    wardlineBench?: { origin: number; frames: number[]; longTasks: number[]; loafs: Loaf[]; pages: number[]; running: boolean; observers: PerformanceObserver[] };
  }
}

// In the page: a long-task observer, a long-animation-frame observer (what a long
// frame spent its time on; the long-task observer misses V8's GC callback tasks, which
// a long frame shows as time outside scripts and layout) and a rAF loop that keeps
// every frame interval. One callback per frame: little added to what it measures.
function startRecording(): void {
  const state = {
    origin: performance.now(), frames: [] as number[], longTasks: [] as number[], loafs: [] as Loaf[], pages: [] as number[], running: true,
    observers: [] as PerformanceObserver[],
  };
  const tasks = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.longTasks.push(entry.duration);
  });
  tasks.observe({ type: 'longtask' });
  const frames = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.loafs.push(entry.toJSON() as Loaf);
  });
  frames.observe({ type: 'long-animation-frame' });
  const pages = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
      if (entry.name.includes('/messages?before_seq=')) state.pages.push(entry.responseEnd);
    }
  });
  pages.observe({ type: 'resource' });
  state.observers = [tasks, frames, pages];
  let last = 0;
  const tick = (now: number) => {
    if (!state.running) return;
    if (last > 0) state.frames.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.wardlineBench = state;
}

function stopRecording(): Recording {
  const state = window.wardlineBench!;
  state.running = false;
  const [tasks, frames, pages] = state.observers;
  for (const entry of tasks.takeRecords()) state.longTasks.push(entry.duration);
  for (const entry of frames.takeRecords()) state.loafs.push(entry.toJSON() as Loaf);
  for (const entry of pages.takeRecords() as PerformanceResourceTiming[]) {
    if (entry.name.includes('/messages?before_seq=')) state.pages.push(entry.responseEnd);
  }
  for (const observer of state.observers) observer.disconnect();
  return { origin: state.origin, frames: state.frames, longTasks: state.longTasks, loafs: state.loafs, pages: state.pages };
}

function longFrames({ loafs, origin, pages }: Recording): LongFrame[] {
  return loafs.map((f) => {
    const scripts = f.scripts.reduce((a, s) => a + s.duration, 0);
    const styleAndLayout = f.styleAndLayoutStart > 0 ? f.startTime + f.duration - f.styleAndLayoutStart : 0;
    const longest = [...f.scripts].sort((a, b) => b.duration - a.duration)[0];
    return {
      start: f.startTime - origin,
      duration: f.duration,
      blocking: f.blockingDuration,
      scripts,
      forcedLayout: f.scripts.reduce((a, s) => a + s.forcedStyleAndLayoutDuration, 0),
      styleAndLayout,
      other: Math.max(0, f.duration - scripts - styleAndLayout),
      page: pages.some((t) => t >= f.startTime && t <= f.startTime + f.duration),
      top: longest ? `${longest.invoker} ${longest.sourceFunctionName} ${longest.duration.toFixed(0)} ms`.replace(/ +/g, ' ') : '',
    };
  });
}

interface Step {
  top: number;
  rows: number;
  edge: string;
  first: boolean;
  elements: number;
}

// In the page, in the next frame: where the list is and what it shows.
function readStep({ log, countRows }: { log: string; countRows: boolean }): Promise<Step> {
  return new Promise((resolveStep) =>
    requestAnimationFrame(() => {
      const el = document.querySelector<HTMLElement>(log)!;
      resolveStep({
        top: el.scrollTop,
        rows: countRows ? el.querySelectorAll('.row').length : -1,
        edge: el.querySelector('.history-edge')?.textContent ?? '',
        first: el.querySelector('.message[data-seq="1"]') !== null,
        elements: countRows ? document.getElementsByTagName('*').length : -1,
      });
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarize(recording: Recording): Pick<Stats, 'framesRecorded' | 'frameP50' | 'frameP95' | 'frameP99' | 'frameMax' | 'framesOver20' | 'framesOver50' | 'longTaskCount' | 'longTaskTotal' | 'longTaskMax' | 'longFrames'> {
  const frames = [...recording.frames].sort((a, b) => a - b);
  return {
    framesRecorded: frames.length,
    frameP50: percentile(frames, 50),
    frameP95: percentile(frames, 95),
    frameP99: percentile(frames, 99),
    frameMax: frames[frames.length - 1] ?? NaN,
    framesOver20: frames.filter((f) => f > 20).length,
    framesOver50: frames.filter((f) => f > 50).length,
    longTaskCount: recording.longTasks.length,
    longTaskTotal: recording.longTasks.reduce((a, b) => a + b, 0),
    longTaskMax: Math.max(0, ...recording.longTasks),
    longFrames: longFrames(recording),
  };
}

// Wheel steps over the list until its first message and the "Beginning of the
// conversation" marker show at the top. Throws if the list stops moving short of it.
async function scrollToFirst(page: Page, countRows: boolean, onStep: (step: Step) => void = () => {}) {
  const box = (await page.locator(kLog).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const started = Date.now();
  let steps = 0;
  let lastMove = started;
  let previous = await page.evaluate(readStep, { log: kLog, countRows });
  let waitAtTopMs = 0;
  for (;;) {
    const before = Date.now();
    await page.mouse.wheel(0, -kStep);
    const step = await page.evaluate(readStep, { log: kLog, countRows });
    steps++;
    onStep(step);
    if (previous.top === 0 && step.top === 0) waitAtTopMs += Date.now() - before;
    if (step.top < 1 && step.first && step.edge === 'Beginning of the conversation') break;
    if (step.top !== previous.top) lastMove = Date.now();
    const now = Date.now();
    if (now - lastMove > kStallMs) throw new Error(`the list stopped at scrollTop ${step.top} (marker "${step.edge}") after ${steps} steps`);
    if (now - started > kScrollDeadlineMs) throw new Error(`the first message did not show within ${kScrollDeadlineMs} ms (${steps} steps, scrollTop ${step.top})`);
    previous = step;
  }
  return { scrollMs: Date.now() - started, steps, waitAtTopMs };
}

type Busy = Pick<Stats, 'busyMs' | 'scriptMs' | 'layoutMs'>;

// What `run` costs the page's main thread: the change of Chromium's cumulative task,
// script, layout and style times (CDP Performance.getMetrics) across it.
async function mainThread<T>(page: Page, run: () => Promise<T>): Promise<T & Busy> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const value = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
    return { busy: value('TaskDuration'), script: value('ScriptDuration'), layout: value('LayoutDuration') + value('RecalcStyleDuration') };
  };
  const before = await read();
  const result = await run();
  const after = await read();
  await cdp.detach();
  return { ...result, busyMs: after.busy - before.busy, scriptMs: after.script - before.script, layoutMs: after.layout - before.layout };
}

// WARDLINE_BENCH_TRACE=dir: a Chromium trace of the scroll (every thread's tasks, GC,
// layout; `name`.json, for chrome://tracing or Perfetto). WARDLINE_BENCH_PROFILE=dir: a
// CPU profile of the page's main thread over CDP (`name`.cpuprofile, for DevTools).
async function instrumented<T>(browser: Browser, page: Page, name: string, run: () => Promise<T>): Promise<T> {
  const traceDir = process.env.WARDLINE_BENCH_TRACE;
  const profileDir = process.env.WARDLINE_BENCH_PROFILE;
  if (traceDir) {
    mkdirSync(traceDir, { recursive: true });
    await browser.startTracing(page, { path: join(traceDir, `${name}.json`), categories: kTraceCategories, screenshots: false });
  }
  const cdp = profileDir ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  try {
    return await run();
  } finally {
    if (cdp && profileDir) {
      const { profile } = await cdp.send('Profiler.stop');
      mkdirSync(profileDir, { recursive: true });
      writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
      await cdp.detach();
    }
    if (traceDir) await browser.stopTracing();
  }
}

// The same rows the app shows for rn.harper's messages, with the app's stylesheet, all
// in the document in normal flow: no framework, no windowing. The list has the size of
// the app's message list.
function baselineHtml(size: { width: number; height: number }): string {
  const assets = join(webDir, 'dist', 'assets');
  const css = readdirSync(assets).filter((f) => f.endsWith('.css')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
  const rows: string[] = [];
  for (let i = 1; i <= kCount; i++) {
    rows.push(
      `<div class="flow-row"><div class="message theirs" data-message-id="${i}" data-seq="${i}"><div class="bubble">` +
        `<span class="body">Load line ${i}</span><span class="meta">14:05</span></div></div></div>`,
    );
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>${css}
.flow-row { padding: 0.2rem 0.9rem; }
.naive { width: ${size.width}px; height: ${size.height}px; overflow-y: auto; }
</style></head><body><div class="naive" role="log" aria-label="Messages">
<p class="history-edge muted small">Beginning of the conversation</p>${rows.join('')}</div></body></html>`;
}

let server: Server;
let browser: Browser;
let patel: Client;
const results: { app?: Stats; baseline?: Stats } = {};

beforeAll(async () => {
  server = await startServer({ extraArgs: ['--bench-limits'] });
  browser = await launchBrowser(server);
  patel = await newClient(browser, server, kViewport);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const sum = <T,>(items: T[], value: (item: T) => number) => items.reduce((a, item) => a + value(item), 0);
const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));

function report(app: Stats, baseline: Stats): void {
  const rows: [string, (s: Stats) => string][] = [
    ['frame p50 (ms)', (s) => fmt(s.frameP50)],
    ['frame p95 (ms)', (s) => fmt(s.frameP95)],
    ['frame p99 (ms)', (s) => fmt(s.frameP99)],
    ['frame max (ms)', (s) => fmt(s.frameMax)],
    ['frames > 20 ms', (s) => `${s.framesOver20} of ${s.framesRecorded}`],
    ['frames > 50 ms', (s) => String(s.framesOver50)],
    ['long tasks', (s) => String(s.longTaskCount)],
    ['long task total (ms)', (s) => fmt(s.longTaskTotal, 0)],
    ['long task max (ms)', (s) => fmt(s.longTaskMax, 0)],
    ['long animation frames', (s) => String(s.longFrames.length)],
    ['  their total (ms)', (s) => fmt(sum(s.longFrames, (f) => f.duration), 0)],
    ['  in scripts (ms)', (s) => fmt(sum(s.longFrames, (f) => f.scripts), 0)],
    ['  in style and layout (ms)', (s) => fmt(sum(s.longFrames, (f) => f.styleAndLayout + f.forcedLayout), 0)],
    ['scroll to first (ms)', (s) => String(s.scrollMs)],
    ['main thread busy (ms)', (s) => fmt(s.busyMs, 0)],
    ['  in scripts (ms)', (s) => fmt(s.scriptMs, 0)],
    ['  in layout and style (ms)', (s) => fmt(s.layoutMs, 0)],
    ['wheel steps', (s) => String(s.steps)],
    ['rows in DOM (max)', (s) => String(s.maxRows)],
    ['elements in DOM (max)', (s) => String(s.maxElements)],
    ['history pages loaded', (s) => (s.historyPages === undefined ? '-' : String(s.historyPages))],
    ['time at top waiting (ms)', (s) => (s.waitAtTopMs === undefined ? '-' : String(s.waitAtTopMs))],
    ['open / initial render (ms)', (s) => String(s.openMs ?? s.initialRenderMs ?? '-')],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [`${''.padEnd(width)}  ${'app'.padStart(14)}  ${'baseline'.padStart(14)}`];
  for (const [label, value] of rows) lines.push(`${label.padEnd(width)}  ${value(app).padStart(14)}  ${value(baseline).padStart(14)}`);
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : a > 0 ? 'inf' : '-');
  lines.push(
    `app/baseline: p95 frame ${ratio(app.frameP95, baseline.frameP95)}, p99 ${ratio(app.frameP99, baseline.frameP99)}, ` +
      `max ${ratio(app.frameMax, baseline.frameMax)}; long task total ${ratio(app.longTaskTotal, baseline.longTaskTotal)}; ` +
      `main thread busy ${ratio(app.busyMs, baseline.busyMs)}`,
  );
  for (const [name, s] of [['app', app], ['baseline', baseline]] as const) {
    for (const f of [...s.longFrames].sort((a, b) => b.duration - a.duration).slice(0, 5)) {
      lines.push(
        `${name} long frame at ${fmt(f.start / 1000)} s, ${fmt(f.duration, 0)} ms: scripts ${fmt(f.scripts, 0)} (forced layout ${fmt(f.forcedLayout, 0)}), ` +
          `style and layout ${fmt(f.styleAndLayout, 0)}, other ${fmt(f.other, 0)}${f.page ? ', a page arrived' : ''}${f.top ? `; longest script: ${f.top}` : ''}`,
      );
    }
  }
  console.log(lines.join('\n'));
}

describe('scrolling a long thread', () => {
  test(`the app scrolls ${kCount} messages back to the first`, { timeout: 300_000 }, async () => {
    const page = patel.page;
    // Opened once every message is counted, like the history test: all are on the server.
    const item = await seededThread(page, kCount, await seed(page, kCount, kPassword));
    const opening = Date.now();
    await item.click();
    await page.locator('.message', { hasText: `Load line ${kCount}` }).waitFor();
    const openMs = Date.now() - opening;
    // Let the read receipt and first layout passes settle before measuring.
    await page.waitForTimeout(1000);

    let historyPages = 0;
    const countPage = (request: { url(): string }) => {
      if (/\/api\/v1\/threads\/1\/messages\?before_seq=[1-9]/.test(request.url())) historyPages++;
    };
    page.on('request', countPage);
    let maxRows = 0;
    let maxElements = 0;
    const { scrollMs, steps, waitAtTopMs, recording, ...busy } = await instrumented(browser, page, 'app', () =>
      mainThread(page, async () => {
        await page.evaluate(startRecording);
        const scrolled = await scrollToFirst(page, true, (step) => {
          maxRows = Math.max(maxRows, step.rows);
          maxElements = Math.max(maxElements, step.elements);
        });
        return { ...scrolled, recording: await page.evaluate(stopRecording) };
      }),
    );
    page.off('request', countPage);
    expect(await page.locator('.message', { hasText: 'Dr. Patel, are you on the unit this afternoon?' }).count()).toBe(1);
    results.app = { ...summarize(recording), ...busy, scrollMs, steps, maxRows, maxElements, historyPages, waitAtTopMs, openMs };
    // The list's size, for the baseline.
    const size = await page.locator(kLog).evaluate((el) => ({ width: el.clientWidth, height: el.clientHeight }));

    // The baseline: its own context (no app, no service worker), same browser and viewport.
    const context = await browser.newContext({ viewport: kViewport });
    try {
      const naive = await context.newPage();
      const html = baselineHtml(size);
      const rendering = Date.now();
      await naive.setContent(html);
      await naive.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
      const initialRenderMs = Date.now() - rendering;
      const rows = await naive.locator(kLog).evaluate((el) => el.querySelectorAll('.message').length);
      expect(rows).toBe(kCount);
      const elements = await naive.evaluate(() => document.getElementsByTagName('*').length);
      // From the newest row, as the app starts.
      await naive.locator(kLog).evaluate((el) => (el.scrollTop = el.scrollHeight));
      await naive.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const base = await instrumented(browser, naive, 'baseline', () =>
        mainThread(naive, async () => {
          await naive.evaluate(startRecording);
          const scrolled = await scrollToFirst(naive, false);
          return { ...scrolled, recording: await naive.evaluate(stopRecording) };
        }),
      );
      results.baseline = {
        ...summarize(base.recording), busyMs: base.busyMs, scriptMs: base.scriptMs, layoutMs: base.layoutMs,
        scrollMs: base.scrollMs, steps: base.steps, maxRows: rows, maxElements: elements, initialRenderMs,
      };
    } finally {
      await context.close();
    }

    report(results.app, results.baseline);
    const out = process.env.WARDLINE_BENCH_OUT;
    if (out) {
      const { app, baseline } = results;
      const ratios = {
        frameP95: app.frameP95 / baseline.frameP95,
        frameP99: app.frameP99 / baseline.frameP99,
        frameMax: app.frameMax / baseline.frameMax,
        // null when the baseline had no long task.
        longTaskTotal: baseline.longTaskTotal > 0 ? app.longTaskTotal / baseline.longTaskTotal : null,
        busy: app.busyMs / baseline.busyMs,
      };
      writeFileSync(out, JSON.stringify({ count: kCount, step: kStep, viewport: kViewport, listSize: size, ...results, ratios }, null, 2) + '\n');
    }
  });
});
