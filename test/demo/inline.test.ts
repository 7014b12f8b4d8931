import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from '../support/axe.js';
import { launchChromium, newContext, screenshot, watchProblems } from '../support/chromium.js';
import { signInAtDevIdp, startDemo, type RunningDemo } from './harness.js';

/**
 * Jitsi's tokenAuthInline: the login runs in a popup whose last page posts
 * `{type: 'oauth-success', accessToken, refreshToken}` to its opener, with the exact Jitsi origin as
 * target. Two identical test opener pages (they record every message they get), one on the Jitsi
 * origin and one on a foreign origin: only the first may receive anything. Plus Jitsi's silent
 * logout (tokenLogoutUrl in a hidden iframe answering `logout-success`).
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

const FOREIGN = 'http://foreign-opener.test';

/** Opens `url` in a popup when the button is pressed and records every message it receives. */
const OPENER_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>test opener</title></head><body><main>
<button id="open">open</button><script>
window.messages = [];
window.addEventListener('message', function (event) { window.messages.push({ origin: event.origin, data: event.data }); });
document.getElementById('open').addEventListener('click', function () { window.open(new URLSearchParams(location.search).get('url'), 'login', 'width=500,height=640'); });
</script></main></body></html>`;

/** Serves the opener page at <origin>/test-opener in this browser context (Playwright answers it). */
async function serveOpener(context: BrowserContext, origin: string): Promise<void> {
  await context.route(`${origin}/test-opener**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: OPENER_PAGE }));
}

async function openPopup(opener: Page, loginUrl: string): Promise<Page> {
  await opener.goto(`${new URL(opener.url()).origin}/test-opener?url=${encodeURIComponent(loginUrl)}`);
  const [popup] = await Promise.all([opener.waitForEvent('popup'), opener.locator('#open').click()]);
  return popup;
}

const messages = (page: Page) => page.evaluate(() => (window as unknown as { messages: Array<{ origin: string; data: Record<string, unknown> }> }).messages);

describe('inline login (tokenAuthInline)', { timeout: 60_000 }, () => {
  it('the stand-in Jitsi page signs in through a popup and gets a token and a refresh handle', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${demo.url}/demo-jitsi/acme/Weekly%20Sync`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('#sign-in-popup').click()]);
    await popup.waitForURL((url) => url.href.startsWith(`${demo.idpIssuer()}/interaction/`));
    const closed = popup.waitForEvent('close');
    await signInAtDevIdp(popup, 'alice');
    await closed; // the opener closes it on oauth-success, as Jitsi does
    await page.locator('[data-verdict]').waitFor();
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ACCEPT');
    expect(await page.locator('#popup-result').textContent()).toContain('refresh handle');
    expect(new URL(page.url()).hash).toMatch(/^#jwt=/);
    expect(problems).toEqual([]);

    // Silent logout: Jitsi loads tokenLogoutUrl in a hidden iframe and waits for logout-success.
    await page.locator('#sign-out-silent').click();
    await expect.poll(() => page.locator('#logout-result').textContent()).toContain('Signed out');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the message goes to an opener on the Jitsi origin, and never to one on another origin', async () => {
    const context = await newContext(browser);
    await serveOpener(context, demo.url);
    await serveOpener(context, FOREIGN);
    const loginUrl = `${demo.url}/login?room=Retro&state=${encodeURIComponent(JSON.stringify({ room: 'Retro', tenant: 'acme' }))}&nonce=0123456789abcdef`;

    // On the Jitsi origin: sign in in the popup; the opener receives oauth-success.
    const jitsi = await context.newPage();
    await jitsi.goto(`${demo.url}/test-opener`);
    const popup = await openPopup(jitsi, loginUrl);
    await popup.waitForURL((url) => url.href.startsWith(`${demo.idpIssuer()}/interaction/`));
    await signInAtDevIdp(popup, 'bob');
    await expect.poll(async () => (await messages(jitsi)).length).toBe(1);
    const [received] = await messages(jitsi);
    expect(received?.origin).toBe(new URL(demo.url).origin);
    expect(received?.data).toMatchObject({ type: 'oauth-success', accessToken: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/), refreshToken: expect.any(String) });
    expect(Object.keys(received?.data ?? {}).sort()).toEqual(['accessToken', 'refreshToken', 'type']);
    const problems = watchProblems(popup);
    expect(await popup.locator('[data-inline]').getAttribute('data-inline')).toBe('oauth-success');
    expect(await seriousViolations(popup)).toEqual([]);
    await screenshot(popup, 'inline-success');
    expect(problems).toEqual([]);

    // On a foreign origin: the same popup page (the session answers at once) posts to the Jitsi
    // origin only, so the browser drops the message.
    const foreign = await context.newPage();
    await foreign.goto(`${FOREIGN}/test-opener`);
    const foreignPopup = await openPopup(foreign, loginUrl);
    await foreignPopup.locator('[data-inline="oauth-success"]').waitFor();
    await foreignPopup.waitForTimeout(750);
    expect(await messages(foreign)).toEqual([]);
    await context.close();
  });

  it('a refusal in the popup posts oauth-error to the opener', async () => {
    const context = await newContext(browser, { locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${demo.url}/demo-jitsi/acme/Weekly%20Sync`);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('#sign-in-popup').click()]);
    const problems = watchProblems(popup);
    await popup.waitForURL((url) => url.href.startsWith(`${demo.idpIssuer()}/interaction/`));
    await popup.getByLabel('Identifiant').fill('eve');
    await popup.getByLabel('Mot de passe').fill('eve');
    const closed = popup.waitForEvent('close');
    await popup.getByRole('button', { name: 'Se connecter' }).click();
    await closed;
    expect(await page.locator('#popup-result').textContent()).toContain('access_denied');
    expect(new URL(page.url()).hash).toBe('');
    expect(problems).toEqual([]);
    await context.close();
  });
});
