import Koa from 'koa';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { uiSchema } from '../../src/config/ui.js';
import { createGateway } from '../../src/gateway.js';
import { SecurityHeaders, securityHeaders } from '../../src/http/middleware/headers.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createPages, ERROR_CODES } from '../../src/pages/pages.js';
import { PAGE_SCRIPT_HASHES } from '../../src/pages/scripts.js';
import { checkPage } from '../support/axe.js';
import { launchChromium, newContext, watchProblems } from '../support/chromium.js';
import { hsSettings } from '../support/config.js';
import { freePort, signInAtDevIdp, startDemo, type RunningDemo } from '../demo/harness.js';

/**
 * Every page in a real Chromium: each error code (in a gallery served with the real security
 * headers, so codes that are hard to provoke are checked too), the errors the demo produces for
 * real, the provider chooser, an unreachable IdP, French and German, a phone screen. axe-core in
 * each page; a screenshot of each in test-artifacts/pages/.
 */

let browser: Browser;
let demo: RunningDemo;
let gallery: { url: string; close(): Promise<void> };

const STATUS: Record<string, number> = {
  invalid_request: 400, invalid_room: 400, unknown_tenant: 400, unknown_target: 404, unknown_provider: 404, login_expired: 400,
  login_mismatch: 400, idp_error: 502, idp_unavailable: 504, access_denied: 403, unauthorized: 401, forbidden: 403, not_found: 404,
  method_not_allowed: 405, client_closed_request: 499, gone: 410, payload_too_large: 413, unsupported_media_type: 415, rate_limited: 429, store_unavailable: 503, store_not_replicated: 503,
  not_ready: 503, internal_error: 500,
};

/** The themed error page of any code, with the gateway's real security headers. */
async function startGallery(): Promise<{ url: string; close(): Promise<void> }> {
  const pages = createPages(uiSchema.parse({ organisation: 'Université Exemple', supportUrl: 'mailto:help@example.org' }));
  const app = new Koa();
  app.use(securityHeaders(new SecurityHeaders(PAGE_SCRIPT_HASHES)));
  app.use(async (ctx) => {
    if (ctx.path === pages.theme.path) {
      ctx.type = 'text/css';
      ctx.body = pages.theme.css;
      return;
    }
    const code = ctx.path.slice(1);
    ctx.status = STATUS[code] ?? 404;
    ctx.type = 'text/html';
    ctx.body = pages.errorPage({
      status: ctx.status,
      code,
      message: code === 'access_denied' ? 'Only members of the staff group may join staff meetings.' : 'The gateway’s own explanation, in English.',
      acceptLanguage: ctx.get('accept-language'),
      context: {
        retryUrl: '/login?room=Weekly%20Sync',
        meetingUrl: 'https://meet.example.com/acme/Weekly%20Sync',
        room: 'acme/Weekly Sync',
        ...(code === 'access_denied' ? { reason: 'policy' } : {}),
      },
    });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

beforeAll(async () => {
  [browser, demo, gallery] = await Promise.all([launchChromium(), startDemo(), startGallery()]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([demo?.close(), gallery?.close()]);
});

/** Error pages share one template; axe runs on each variant of it (policy message, details, no actions). */
const AXE_CODES = new Set(['login_expired', 'access_denied', 'not_found', 'internal_error', 'gone']);

describe('error pages', { timeout: 60_000 }, () => {
  it('every error code: translated title, start again where it applies, accessible', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    for (const code of ERROR_CODES) {
      const response = await page.goto(`${gallery.url}/${code}`);
      expect(response?.status()).toBe(STATUS[code]);
      expect(await page.locator('[data-error]').getAttribute('data-error')).toBe(code);
      const startAgain = await page.getByRole('link', { name: 'Start again' }).count();
      // No "start again" where the link itself is wrong, or where the policy has answered.
      const final = ['invalid_room', 'unknown_tenant', 'unknown_target', 'unauthorized', 'forbidden', 'not_found', 'method_not_allowed', 'client_closed_request', 'gone', 'payload_too_large', 'unsupported_media_type', 'access_denied'];
      expect(startAgain, code).toBe(final.includes(code) ? 0 : 1);
      expect(await page.getByRole('link', { name: 'Back to the meeting' }).count()).toBe(1);
      await checkPage(page, `error-${code}`, problems, { axe: AXE_CODES.has(code) });
    }
    await context.close();
  }, 90_000);

  it.each([
    ['fr-FR', 'login_expired', 'Votre connexion a pris trop de temps', 'Recommencer'],
    ['de-DE', 'idp_unavailable', 'Der Anmeldedienst ist nicht erreichbar', 'Neu beginnen'],
    ['de-CH', 'login_mismatch', 'Diese Anmeldung wurde in einem anderen Browser begonnen', 'Neu beginnen'],
  ])('in %s: %s', async (locale, code, title, again) => {
    const context = await newContext(browser, { locale });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${gallery.url}/${code}`);
    expect(await page.locator('html').getAttribute('lang')).toBe(locale.slice(0, 2));
    expect(await page.locator('h1').textContent()).toBe(title);
    expect(await page.getByRole('link', { name: again }).getAttribute('href')).toBe('/login?room=Weekly%20Sync');
    await checkPage(page, `error-${code}-${locale.slice(0, 2)}`, problems);
    await context.close();
  });

  it('on a phone: no sideways scrolling, buttons full width', async () => {
    const context = await newContext(browser, { locale: 'fr-FR', phone: true });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${gallery.url}/login_mismatch`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    const button = await page.getByRole('link', { name: 'Recommencer' }).boundingBox();
    expect(button?.width).toBeGreaterThan(0.8 * 360);
    await checkPage(page, 'error-login_mismatch-phone-fr', problems);
    await context.close();
  });

  it('the ones the demo produces for real', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const state = (value: unknown) => encodeURIComponent(JSON.stringify(value));
    const cases: Array<[string, string, number, string]> = [
      [`/login?room=${encodeURIComponent('team/../admin')}`, 'invalid_room', 400, 'demo-invalid_room'],
      [`/login?room=x&state=${state({ room: 'x', tenant: 'elsewhere' })}`, 'unknown_tenant', 400, 'demo-unknown_tenant'],
      ['/login?room=x&state=%7Bnot%20json', 'invalid_request', 400, 'demo-invalid_request'],
      ['/login?room=x&provider=nobody', 'unknown_provider', 404, 'demo-unknown_provider'],
      ['/auth/demo/callback?state=c3RhbGUtdHJhbnNhY3Rpb24&code=x', 'login_expired', 400, 'demo-login_expired'],
      ['/nothing/here', 'not_found', 404, 'demo-not_found'],
    ];
    for (const [path, code, status, name] of cases) {
      const response = await page.goto(`${demo.url}${path}`);
      expect(response?.status(), path).toBe(status);
      expect(await page.locator('[data-error]').getAttribute('data-error'), path).toBe(code);
      expect(page.url()).not.toContain('jwt');
      await checkPage(page, name, problems, { axe: false }); // the same pages as in the gallery
    }
    await context.close();
  });

  it('a sign-in started in one browser and finished in another: login_mismatch, no token', async () => {
    const [first, second] = await Promise.all([newContext(browser), newContext(browser)]);
    const starter = await first.newPage();
    let authorize = '';
    starter.on('request', (request) => {
      if (request.url().startsWith(`${demo.idpIssuer()}/auth?`)) authorize = request.url();
    });
    await starter.goto(`${demo.url}/demo-jitsi/acme/Weekly%20Sync`);
    await starter.locator('#sign-in').click();
    await starter.waitForURL((url) => url.href.startsWith(`${demo.idpIssuer()}/interaction/`));
    expect(authorize).toContain('state=');
    // The IdP request of the first browser (its state names the first browser's transaction)
    // is completed in a second browser, which lacks the first one's binding cookie.
    const page = await second.newPage();
    const problems = watchProblems(page);
    await page.goto(authorize);
    await signInAtDevIdp(page, 'bob');
    await page.waitForURL((url) => url.href.startsWith(`${demo.url}/auth/demo/callback`));
    expect(await page.locator('[data-error]').getAttribute('data-error')).toBe('login_mismatch');
    expect(page.url()).not.toContain('jwt');
    await checkPage(page, 'demo-login_mismatch', problems);
    await first.close();
    await second.close();
  });
});

describe('the provider chooser and an unreachable IdP', { timeout: 60_000 }, () => {
  let two: RunningDemo;
  let down: RunningServer;
  beforeAll(async () => {
    const closedPort = await freePort();
    const downPort = await freePort();
    const settings = hsSettings({
      publicUrl: `http://127.0.0.1:${downPort}`,
      ui: { organisation: 'Example University' },
      providers: { corp: { kind: 'oidc', displayName: 'Example University SSO', issuer: `http://127.0.0.1:${closedPort}`, clientId: 'gw', clientSecret: 'gw-secret', timeoutMs: 500 } },
    });
    [two, down] = await Promise.all([
      startDemo((defaults) => ({
        ...defaults,
        providers: { demo: { kind: 'dev' }, partner: { kind: 'dev', displayName: 'Partner University' } },
        // The demo's group rules name no provider: with two, they must say whose groups they mean.
        policy: { ...(defaults.policy as Record<string, unknown>), defaultProviders: 'demo' },
      })),
      createGateway(parseConfig(settings)).then((gateway) => listen(gateway, downPort, '127.0.0.1')),
    ]);
  });
  afterAll(async () => {
    await Promise.all([two?.close(), down?.shutdown('test done')]);
  });

  it('several providers: the chooser lists them and continues with the one chosen', async () => {
    const context = await newContext(browser, { locale: 'de-DE' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${two.url}/demo-jitsi/acme/Weekly%20Sync`);
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.pathname === '/login');
    expect(await page.locator('h1').textContent()).toBe('Wählen Sie, wie Sie sich anmelden');
    const choices = page.locator('.choices a');
    expect(await choices.allTextContents()).toEqual(['Weiter mit Demo sign-in (development IdP)', 'Weiter mit Partner University']);
    await checkPage(page, 'chooser-de', problems);
    await page.getByRole('link', { name: 'Weiter mit Partner University' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${two.idpIssuer('partner')}/interaction/`));
    await context.close();
  });

  it('the IdP cannot be reached: a clear page, not a token', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const response = await page.goto(`${down.url}/login?room=Weekly%20Sync`);
    expect(response?.status()).toBeGreaterThanOrEqual(502);
    expect(await page.locator('[data-error]').getAttribute('data-error')).toBe('idp_unavailable');
    expect(await page.locator('.org').textContent()).toBe('Example University');
    await checkPage(page, 'demo-idp_unavailable', problems);
    await context.close();
  });
});

describe('landing page', { timeout: 60_000 }, () => {
  it.each([
    ['fr-FR', 'Connexion aux réunions – Demo Organisation', 'Essayer : mode démonstration'],
    ['de-DE', 'Anmeldung zu Besprechungen – Demo Organisation', 'Ausprobieren: Demo-Modus'],
  ])('in %s', async (locale, title, demoTitle) => {
    const context = await newContext(browser, { locale });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${demo.url}/`);
    expect(await page.locator('h1').textContent()).toBe(title);
    expect(await page.locator('#demo-title').textContent()).toBe(demoTitle);
    await checkPage(page, `landing-${locale.slice(0, 2)}`, problems);
    await context.close();
  });

  it('on a phone', async () => {
    const context = await newContext(browser, { phone: true });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${demo.url}/`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await checkPage(page, 'landing-phone', problems);
    await page.locator('[data-demo="meeting"]').click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await checkPage(page, 'jitsi-no-token-phone', problems);
    await context.close();
  });

  it('the policy is enforced: an injected inline script does not run', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${demo.url}/`);
    const result = await page.evaluate(
      () =>
        new Promise<{ ran: boolean; violated: string }>((resolve) => {
          const state = { ran: false, violated: '' };
          (window as unknown as { ran: () => void }).ran = () => {
            state.ran = true;
          };
          document.addEventListener('securitypolicyviolation', (event) => {
            state.violated = event.violatedDirective;
            resolve(state);
          });
          const script = document.createElement('script');
          script.textContent = 'window.ran()';
          document.body.appendChild(script);
          setTimeout(() => resolve(state), 500);
        }),
    );
    expect(result).toEqual({ ran: false, violated: 'script-src-elem' });
    await context.close();
  });
});

