/**
 * Browser tests' rig: the dashboard built once per test file (vite, into a temp dir), the
 * real service (API + live push, as server/main.ts wires them) on a fixed local port so it
 * can be restarted mid-test, Debian's Chromium driven by playwright-core, and helpers to
 * sign in, scan with axe-core and write screenshots. Tests find things by accessible name.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { build } from 'vite';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../server/app.js';
import { attachRealtime } from '../../server/realtime/attach.js';
import type { Realtime } from '../../server/realtime/index.js';
import type { StaffRole } from '../../server/db/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createStaff, type StaffFixture } from '../support/staff.js';
import { TEST_MASTER_KEY, TEST_PASSWORD, testPasswordHash } from '../support/server.js';

export { TEST_PASSWORD };
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('docs/screenshots');
const SESSION_SECRET = 'browser-test-session-secret-0123456789abcdef';

/** Build the dashboard into a fresh temp dir (never dist/, which another process may be serving). */
export async function buildClient(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicpulse-client-'));
  await build({ configFile: path.resolve('vite.config.ts'), logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface BrowserApp {
  url: string;
  db: TestDatabase;
  createUser(role: StaffRole, opts?: { providerId?: number }): Promise<StaffFixture>;
  /** Stop the server process's HTTP + live push (as a crash or deploy would), leaving the database. */
  stop(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The real service against a fresh test database, serving a freshly built dashboard. */
export async function startBrowserApp(opts: { sessionIdleMs?: number } = {}): Promise<BrowserApp> {
  const db = await createTestDatabase();
  const client = await buildClient();
  let port = 0;
  let running: { server: http.Server; realtime: Realtime; close(): void } | undefined;

  /** Idempotent: a test that failed while the server was stopped leaves it running for the next. */
  const start = async () => {
    if (running) return;
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    port = (server.address() as AddressInfo).port;
    const origin = `http://127.0.0.1:${port}`;
    const clinic = createApp({
      appKnex: db.appKnex,
      databaseKind: 'test',
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      sessionSecret: SESSION_SECRET,
      sessionIdleMs: opts.sessionIdleMs ?? 15 * 60_000,
      sessionAbsoluteMs: 12 * 3_600_000,
      secureCookie: false,
      trustProxy: false,
      allowedOrigins: [origin],
      loginRateLimit: { max: 1000, windowMs: 60_000 },
      masterKeyHex: TEST_MASTER_KEY,
      sessionPruneIntervalMs: 0,
      clientDir: client.dir,
    });
    server.on('request', clinic.app);
    const realtime = await attachRealtime({
      httpServer: server,
      appKnex: db.appKnex,
      appUrl: db.appUrl,
      sessionSecret: SESSION_SECRET,
      allowedOrigins: [origin],
      retentionDays: 7,
      overrides: { pruneIntervalMs: 0 },
    });
    running = { server, realtime, close: () => clinic.close() };
  };

  const stop = async () => {
    const r = running;
    running = undefined;
    if (!r) return;
    await r.realtime.close();
    r.close();
    r.server.closeAllConnections();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
  };

  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    db,
    async createUser(role, o = {}) {
      return createStaff(db.knex, role, { providerId: o.providerId, passwordHash: await testPasswordHash() });
    },
    stop,
    start,
    async close() {
      await stop();
      client.remove();
      await db.drop();
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A 1280×800 front-desk monitor in `timezoneId` (default the clinic's, America/New_York). */
export function newDesk(browser: Browser, opts: { timezoneId?: string; width?: number; height?: number } = {}): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    timezoneId: opts.timezoneId ?? 'America/New_York',
    locale: 'en-US',
  });
}

/** Open the dashboard at `pathAndQuery` and sign in as `user` through the sign-in form. */
export async function signIn(page: Page, baseUrl: string, user: StaffFixture, pathAndQuery = '/'): Promise<void> {
  await page.goto(baseUrl + pathAndQuery);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** A route.fulfill() answer: the API's error body with a 500 (a read is not retried, unlike 502-504). */
export const serverError = (message: string) => ({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal', message } }) });

/**
 * Between page and server, rewrite the server's first answer to a watch the page asks for into a
 * refusal with `message` (socket.io frames: '42<id>["<event>",…]' asks, '43<id>[…]' answers).
 * `ask` matches the asking frame from its start, e.g. /^42(\d+)\["schedule:watch",/ (group 1: the id).
 */
export async function refuseFirstWatch(page: Page, ask: RegExp, message: string): Promise<void> {
  let refused = 0;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    const asked = new Set<string>();
    ws.onMessage((m) => {
      const hit = typeof m === 'string' ? ask.exec(m) : null;
      if (hit) asked.add(hit[1]!);
      server.send(m);
    });
    server.onMessage((m) => {
      const answer = typeof m === 'string' ? /^43(\d+)\[/.exec(m) : null;
      if (answer && asked.has(answer[1]!) && refused === 0) {
        refused++;
        return ws.send(`43${answer[1]}[${JSON.stringify({ ok: false, error: { code: 'unavailable', message } })}]`);
      }
      ws.send(m);
    });
  });
}

/**
 * Keep every message the page's polite live region says from now on (each replaces the last on
 * screen, so a check of its text alone can miss one said just before another); `said()` lists them.
 */
export async function recordAnnouncements(page: Page): Promise<{ said(): Promise<string[]> }> {
  await page.evaluate(() => {
    const region = document.querySelector('[data-testid="announcer"]')!;
    const said: string[] = [];
    (window as unknown as { __said: string[] }).__said = said;
    new MutationObserver(() => {
      const text = region.textContent?.trim();
      if (text) said.push(text);
    }).observe(region, { childList: true, characterData: true, subtree: true });
  });
  return { said: () => page.evaluate(() => [...(window as unknown as { __said: string[] }).__said]) };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Run axe-core inside the page (evaluated, since the CSP forbids injecting a script tag); serious and critical violations. */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Write a 1280×800 screenshot of the page to docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}
