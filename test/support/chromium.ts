import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * The Debian chromium package driven by playwright-core: never a downloaded browser. test/run.sh
 * installs it (`apt-get install chromium`) when missing.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'pages');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install the Debian package (apt-get install -y chromium) or run bash test/run.sh as root`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } as const;

/** A fresh browser profile (cookies, storage) in a language; `phone` for a narrow touch screen. */
export async function newContext(browser: Browser, options: { locale?: string; phone?: boolean } = {}): Promise<BrowserContext> {
  const locale = options.locale ?? 'en-GB';
  const context = await browser.newContext({
    locale,
    extraHTTPHeaders: { 'Accept-Language': `${locale},${locale.split('-')[0]};q=0.9` },
    ...(options.phone ? PHONE : { viewport: { width: 1100, height: 900 } }),
  });
  // Pages here answer in milliseconds: a step that waits longer has failed; say which one.
  context.setDefaultTimeout(5000);
  context.setDefaultNavigationTimeout(10000);
  return context;
}

/** Saves a full-page screenshot as test-artifacts/pages/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, scale: 'css', animations: 'disabled', caret: 'hide' });
  return path;
}

/** Collects CSP violations and script errors of a page, so a test can assert there were none. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    // A page answered 4xx is logged as a failed load; the status is asserted by the tests.
    if (message.type() === 'error' && !text.startsWith('Failed to load resource')) problems.push(`console: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('response', (response) => {
    const request = response.request();
    if (!request.isNavigationRequest() && response.status() >= 400) problems.push(`subresource ${response.status()}: ${request.url()}`);
  });
  page.on('requestfailed', (request) => {
    if (!request.isNavigationRequest()) problems.push(`subresource failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });
  return problems;
}
