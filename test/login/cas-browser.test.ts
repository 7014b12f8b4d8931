import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, startStandInJitsi, type StandInJitsi } from '../support/browser.js';
import { casPolicy, casProviders } from '../support/cas-gateway.js';
import { ensureLemonldap, type LemonldapInstance } from '../support/lemonldap.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { freePort, gatewaySettings, startGateway, verifyWithGatewayKeys, type RunningGateway } from './harness.js';

/**
 * CAS end to end in a real Chromium (Debian's, driven by playwright-core), against a REAL
 * LemonLDAP::NG and redis-server: a stand-in Jitsi page with the gateway served under its own
 * origin at /sso/ (the sidecar deployment) builds the tokenAuthUrl like jitsi-meet does →
 * gateway's provider chooser → LemonLDAP's login form → gateway callback → back in the room with
 * `#jwt`. Then single logout at LemonLDAP (its back-channel POST reaches the gateway through the
 * Jitsi origin) and the tokenLogoutUrl round trip through `<cas>/logout`.
 */

/** Own LemonLDAP instance, apart from test/idp/cas (18931) and cas-flow (18941). */
const IDP_PORT = Number(process.env.JSG_TEST_CAS_BROWSER_IDP_PORT ?? 18942);
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let browser: Browser;
let redis: RedisServer;
let idp: LemonldapInstance;
let jitsi: StandInJitsi;
let gw: RunningGateway;
let sso: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const [redisServer, lemonldap, gwPort] = await Promise.all([startRedis(), ensureLemonldap({ port: IDP_PORT, casSingleLogout: true }), freePort()]);
  redis = redisServer;
  idp = lemonldap;
  jitsi = await startStandInJitsi({ gateway: `http://127.0.0.1:${gwPort}` });
  sso = `${jitsi.url}/sso`;
  const providers = casProviders(idp.casUrl);
  const settings = gatewaySettings(gwPort, redis.url, providers, { policy: casPolicy(providers) });
  settings.publicUrl = sso;
  (settings.targets as { meet: { url: string } }).meet.url = jitsi.url;
  gw = await startGateway(settings, gwPort);
  jitsi.configure({ tokenAuthUrl: `${sso}/login?room={room}&state={state}`, tokenLogoutUrl: `${sso}/logout` });
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await jitsi?.stop();
  await redis?.destroy();
  if (idp && process.env.JSG_TEST_KEEP_IDP !== '1') await idp.stop();
}, 120_000);

/** Opens a room of the stand-in Jitsi and signs in through the chooser and LemonLDAP's form. */
async function signIn(page: Page, roomPath: string, user: string): Promise<void> {
  await page.goto(`${jitsi.url}${roomPath}`);
  // No token: the stand-in went to tokenAuthUrl; three providers: the gateway's chooser.
  await page.waitForURL((url) => url.href.startsWith(`${sso}/login?`));
  await page.locator('a[href*="provider=cas3"]').click();
  await page.waitForURL((url) => url.href.startsWith(`${idp.casUrl}/login?`));
  await page.locator('input[name="user"]').fill(user);
  await page.locator('input[name="password"]').fill(user);
  await page.locator('#lform button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(`${jitsi.url}/acme/`) && url.hash.includes('jwt='));
  await expect.poll(() => page.locator('#status').textContent()).toBe('joined');
}

async function sessionCookie(context: BrowserContext) {
  return (await context.cookies(`${sso}/login`)).find((cookie) => cookie.name === 'jsg_session');
}

describe('CAS login in Chromium', () => {
  it('tokenAuthUrl → chooser → LemonLDAP login form → the stand-in Jitsi page reads #jwt for exactly that room; a second room needs no form', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, '/acme/Gallifrey%20Council', 'dwho');

    expect(await page.locator('#room').textContent()).toBe('gallifrey%20council');
    expect(await page.locator('#sub').textContent()).toBe('acme');
    expect(await page.locator('#name').textContent()).toBe('Doctor Who');
    expect(await page.locator('#moderator').textContent()).toBe('true');
    expect(await page.locator('#overrides').textContent()).toBe('config.startWithAudioMuted=true');
    expect(new URL(page.url()).search).toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'cas-login-chromium.png'), fullPage: true });

    const token = (await page.evaluate(() => (window as unknown as { jitsiToken: string }).jitsiToken)) as string;
    const claims = await verifyWithGatewayKeys(sso, token);
    expect(claims).toMatchObject({ room: 'gallifrey%20council', sub: 'acme' });
    expect((claims.context as { user: unknown }).user).toEqual({ id: 'dwho', name: 'Doctor Who', email: 'dwho@badwolf.org', moderator: true });

    // LemonLDAP's SSO cookie (domain .127.0.0.1) and the gateway session (Path=/sso) are both set.
    expect((await context.cookies(idp.baseUrl)).some((cookie) => cookie.name === 'lemonldap')).toBe(true);
    expect(await sessionCookie(context)).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/sso' });

    // A second room: straight back with a token, neither the chooser nor CAS in between.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(frame.url());
    });
    await page.goto(`${jitsi.url}/acme/Second%20Room`);
    await page.waitForURL((url) => url.pathname === '/acme/second%20room' && url.hash.includes('jwt='));
    await expect.poll(() => page.locator('#room').textContent()).toBe('second%20room');
    expect(visited.some((url) => url.startsWith(idp.baseUrl))).toBe(false);
    await context.close();
  });

  it('logging out at LemonLDAP: its back-channel POST reaches the gateway through the Jitsi origin and ends the session', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, '/acme/Powell%20Estate', 'rtyler');
    expect(await page.locator('#name').textContent()).toBe('Rose Tyler');
    expect(await page.locator('#moderator').textContent()).toBe('false');

    await page.goto(`${idp.casUrl}/logout`);

    // The gateway cookie is still in the browser, but its session is gone: the next room asks again.
    expect(await sessionCookie(context)).toBeDefined();
    await page.goto(`${jitsi.url}/acme/Next%20Room`);
    await page.waitForURL((url) => url.href.startsWith(`${sso}/login?`));
    expect(page.url()).not.toContain('jwt=');
    await page.locator('a[href*="provider=cas3"]').click();
    await page.waitForURL((url) => url.href.startsWith(`${idp.casUrl}/login?`));
    await expect.poll(() => page.locator('input[name="password"]').isVisible()).toBe(true);
    await context.close();
  });

  it('tokenLogoutUrl: the gateway ends its session and sends the browser through <cas>/logout back to its signed-out page', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, '/acme/Bye', 'msmith');

    await page.goto(`${sso}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click(); // the gateway asks first: a GET signs nobody out
    await page.waitForURL((url) => url.href.startsWith(`${sso}/logout/done`));
    expect(await sessionCookie(context)).toBeUndefined();
    expect((await context.cookies(idp.baseUrl)).some((cookie) => cookie.name === 'lemonldap')).toBe(false);
    await context.close();
  });
});
