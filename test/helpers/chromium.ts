// Debian's Chromium driven by playwright-core, for the suites in test/browser: one place for the
// binary, its flags, the test server around it, the CSP watch and the partner app's callback page.
// A suite is pending where /usr/bin/chromium is not installed (.ci/run installs it).
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { WebApp } from './flows.ts';
import { discover } from './oauth.ts';
import { freePort, startServer, type TestServer } from './server.ts';

const CHROMIUM = '/usr/bin/chromium';
// Headless with no sandbox (CI runs as root in a container) and nothing that calls out to Google.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
/** Screenshots kept for a reviewer. */
export const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

export interface ChromiumSuite {
  server: TestServer;
  browser: Browser;
}

/**
 * describe() for a suite that drives Chromium. Without Chromium the suite holds one pending test.
 * Otherwise it gets a 60 s timeout and `chrome`: the test server and Chromium, started before its
 * tests and stopped after them (the suite's own before and after hooks run after these).
 */
export function describeInChromium(title: string, body: (chrome: ChromiumSuite) => void): void {
  describe(title, function () {
    if (!existsSync(CHROMIUM)) {
      it(`runs when ${CHROMIUM} is installed (apt-get install chromium; .ci/run does)`);
      return;
    }
    this.timeout(60_000);
    const live = {} as ChromiumSuite;
    before(async () => {
      live.server = await startServer();
      live.browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    });
    after(async () => {
      await live.browser?.close();
      await live.server?.stop({ removeData: true });
    });
    body(live);
  });
}

/** Whether Debian's Chromium is installed here (.ci/run installs it). */
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** Chromium alone, for a suite that runs its own servers. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** Console messages about a Content-Security-Policy refusal, as the page logs them. */
export function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy|Refused/i.test(message.text())) violations.push(message.text()); });
  return violations;
}

/** A fresh context with one page, and the CSP violations that page logs. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  return { context, page, violations: watchCsp(page) };
}

/** Writes the whole page to test/artifacts/`name`. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

export interface CallbackApp {
  redirectUri: string;
  /** A page of the partner's site (another site than the issuer's) whose link #connect leads to `to`. */
  linkTo(to: string): string;
  /** Every form body POSTed to the callback (response_mode=form_post), in order. */
  posted: string[];
  close(): void;
}

/** The partner app's callback page on a free port of 127.0.0.1: it just says it got a code. */
async function startCallbackApp(): Promise<CallbackApp> {
  const port = await freePort();
  const posted: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      if (req.method === 'POST') posted.push(body);
      // /start?to=URL: the partner's own page with a link to the authorization server (a cross-site navigation).
      const start = new URL(req.url ?? '/', 'http://x');
      const to = start.pathname === '/start' ? start.searchParams.get('to') : null;
      if (to?.startsWith('http://localhost:')) {
        res.end(`<!DOCTYPE html><title>partner</title><a id="connect" href="${to.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">Connect</a>`);
        return;
      }
      res.end('<!DOCTYPE html><title>callback</title><p>got it</p>');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${port}`;
  return {
    redirectUri: `${origin}/callback`, posted, close: () => { server.close(); },
    linkTo: (to) => `${origin}/start?${new URLSearchParams({ to }).toString()}`,
  };
}

/**
 * A partner's web app: its callback page (close it after the suite) and a client registered with
 * that page as its only redirect URI.
 */
export async function startWebApp(server: TestServer, input: Omit<Parameters<TestServer['createClient']>[0], 'type' | 'redirectUris'>): Promise<{ app: WebApp; callback: CallbackApp }> {
  const callback = await startCallbackApp();
  const { redirectUri } = callback;
  try {
    const created = await server.createClient({ ...input, type: 'web', redirectUris: [redirectUri] });
    const app = { as: await discover(server.issuer), clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
    return { app, callback };
  } catch (error) {
    callback.close();
    throw error;
  }
}

/** Accessibility violations axe-core finds on the page (serious and critical ones, by rule id). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(axe.source);
  const ids = await page.evaluate(async () => {
    const found = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } }).axe.run();
    return found.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
  });
  return ids;
}
