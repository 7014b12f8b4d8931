import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPage } from '../support/axe.js';
import { launchChromium, newContext, watchProblems } from '../support/chromium.js';
import { signInAtDevIdp, startDemo, type RunningDemo } from './harness.js';

/**
 * The demo in a real Chromium, as a newcomer uses it: landing page → stand-in Jitsi page → the
 * gateway → the development IdP's login form → back in the room with a token Prosody would
 * accept; a second room without a new sign-in; refusal by policy; sign-out. Every page gets an
 * axe-core check and a screenshot in test-artifacts/pages/.
 */

let browser: Browser;
let demo: RunningDemo;

beforeAll(async () => {
  [browser, demo] = await Promise.all([launchChromium(), startDemo()]);
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

describe('the demo, end to end in Chromium', { timeout: 60_000 }, () => {
  it('landing page → meeting → IdP → back in the room with a token for exactly that room', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    const idpRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(demo.idpIssuer())) idpRequests.push(request.url());
    });

    const landing = await page.goto(`${demo.url}/`);
    expect(landing?.headers()['content-security-policy']).toMatch(/script-src 'sha256-[^']+'; style-src 'self'/);
    expect(landing?.headers()['referrer-policy']).toBe('no-referrer');
    expect(await page.locator('h1').textContent()).toBe('Sign in to Demo Organisation meetings');
    expect(await page.locator('table').textContent()).toContain('alice');
    expect(await page.locator('[data-ready]').getAttribute('data-ready')).toBe('true');
    await checkPage(page, 'landing-en', problems);

    await page.locator('[data-demo="meeting"]').click();
    await page.waitForURL(`${demo.url}/demo-jitsi/acme/Weekly%20Sync`);
    expect(await page.locator('#no-token').isVisible()).toBe(true);
    await checkPage(page, 'jitsi-no-token', problems);

    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.href.startsWith(`${demo.idpIssuer()}/interaction/`));
    await checkPage(page, 'idp-login', problems);

    await signInAtDevIdp(page, 'alice', 'wrong');
    expect(await page.locator('#login-error').textContent()).toContain('Wrong username or password');
    await checkPage(page, 'idp-login-failed', problems);
    await page.getByLabel('Password').fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL((url) => url.pathname === '/demo-jitsi/acme/weekly%20sync' && url.hash.startsWith('#jwt='));
    await page.locator('[data-verdict]').waitFor();
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ACCEPT');
    const payload = JSON.parse((await page.locator('#token-payload').textContent()) ?? '{}');
    expect(payload).toMatchObject({ aud: 'jitsi', iss: 'jitsi-sso-demo', sub: 'acme', room: 'weekly%20sync', context: { user: { id: 'alice', name: 'Alice Moreau', moderator: true, affiliation: 'owner' } } });
    expect(payload.exp - payload.iat).toBe(300);
    await checkPage(page, 'jitsi-with-token', problems);

    // A second room: the gateway session answers, no new trip to the IdP.
    const before = idpRequests.length;
    await page.getByRole('link', { name: 'acme/Retro' }).click();
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.pathname === '/demo-jitsi/acme/retro' && url.hash.startsWith('#jwt='));
    await page.locator('[data-verdict]').waitFor();
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ACCEPT');
    expect(JSON.parse((await page.locator('#token-payload').textContent()) ?? '{}').room).toBe('retro');
    expect(idpRequests.length).toBe(before);

    // Cookies: HttpOnly, SameSite; none of them readable by scripts.
    const cookies = await context.cookies(demo.url);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies.filter((c) => c.name.startsWith('jsg'))) expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // Sign out: the gateway asks to confirm and ends its session, the IdP asks to confirm, the signed-out page.
    await page.goto(`${demo.url}/logout`);
    await checkPage(page, 'logout-confirm', problems);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.href.startsWith(demo.idpIssuer()));
    await checkPage(page, 'idp-logout-confirm', problems);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${demo.url}/logout/done`);
    expect(await page.locator('h1').textContent()).toBe('You are signed out');
    await checkPage(page, 'logged-out', problems);

    // Signed out for real: the next room needs the IdP again.
    await page.goto(`${demo.url}/demo-jitsi/acme/Retro`);
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.href.startsWith(`${demo.idpIssuer()}/interaction/`));
    await context.close();
  });

  it('a person the policy turns away sees its message', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${demo.url}/demo-jitsi/acme/Board`);
    await page.locator('#sign-in').click();
    await signInAtDevIdp(page, 'eve');
    await page.waitForURL((url) => url.href.startsWith(`${demo.url}/auth/demo/callback`));
    expect(await page.locator('[data-error]').getAttribute('data-error')).toBe('access_denied');
    expect(await page.locator('.policy').textContent()).toContain('Demo meetings are for Demo Organisation staff.');
    expect(page.url()).not.toContain('jwt');
    await checkPage(page, 'error-access-denied', problems);
    await context.close();
  });

  it('cancelling at the IdP ends on a clear page, not a token', async () => {
    const context = await newContext(browser, { locale: 'de-DE' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${demo.url}/demo-jitsi/acme/Board`);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await page.locator('#sign-in').click();
    expect(await page.locator('h1').textContent()).toBe('Entwicklungs-Anmeldung');
    await checkPage(page, 'idp-login-de', problems);
    await page.getByRole('button', { name: 'Abbrechen' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${demo.url}/auth/demo/callback`));
    const code = await page.locator('[data-error]').getAttribute('data-error');
    expect(['access_denied', 'idp_error']).toContain(code);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await checkPage(page, 'error-idp-cancelled-de', problems);
    await context.close();
  });
});
