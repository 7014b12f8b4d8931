import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, startStandInJitsi, type StandInJitsi } from '../support/browser.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { freePort, gatewaySettings, startGateway, verifyWithGatewayKeys, type RunningGateway } from './harness.js';

/**
 * End to end in a real Chromium: a stand-in Jitsi page (127.0.0.1) with the gateway served under
 * its origin at /sso/ (the sidecar deployment), tokenAuthUrl → gateway → oidc-provider's login form
 * → back in the room with `#jwt`; then the tokenAuthInline popup and the silent logout iframe,
 * answered with postMessage to the Jitsi origin.
 */

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
let browser: Browser;
let redis: RedisServer;
let idp: TestOidcProvider;
let jitsi: StandInJitsi;
let gw: RunningGateway;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  redis = await startRedis();
  const gwPort = await freePort();
  jitsi = await startStandInJitsi({ gateway: `http://127.0.0.1:${gwPort}` });
  idp = await startOidcProvider({
    clients: [
      {
        client_id: 'gateway',
        client_secret: 'gateway-secret-0123456789',
        redirect_uris: [`${jitsi.url}/sso/auth/corp/callback`],
        post_logout_redirect_uris: [`${jitsi.url}/sso/logout/done`],
      },
    ],
  });
  const settings = gatewaySettings(gwPort, redis.url, {
    corp: { kind: 'oidc', displayName: 'Corp SSO', issuer: idp.issuer, clientId: 'gateway', clientSecret: 'gateway-secret-0123456789' },
  });
  settings.publicUrl = `${jitsi.url}/sso`;
  (settings.targets as { meet: { url: string } }).meet.url = jitsi.url;
  gw = await startGateway(settings, gwPort);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await jitsi?.stop();
  await idp?.stop();
  await redis?.destroy();
});

describe('OIDC login in Chromium', () => {
  it('tokenAuthUrl → IdP login form → the stand-in Jitsi page reads #jwt for exactly that room', async () => {
    jitsi.configure({ tokenAuthUrl: `${jitsi.url}/sso/login?room={room}&state={state}`, tokenLogoutUrl: `${jitsi.url}/sso/logout` });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${jitsi.url}/acme/Team%20Sync`);
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    await page.locator('#login').fill('alice');
    await page.locator('#password').fill('alice-password');
    await page.locator('#submit').click();
    await page.waitForURL((url) => url.href.startsWith(`${jitsi.url}/acme/`) && url.hash.includes('jwt='));
    await expect.poll(() => page.locator('#status').textContent()).toBe('joined');
    expect(await page.locator('#room').textContent()).toBe('team%20sync');
    expect(await page.locator('#sub').textContent()).toBe('acme');
    expect(await page.locator('#name').textContent()).toBe('Alice Example');
    expect(await page.locator('#overrides').textContent()).toBe('config.startWithAudioMuted=true');
    expect(new URL(page.url()).search).toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'oidc-login-chromium.png'), fullPage: true });

    const token = (await page.evaluate(() => (window as unknown as { jitsiToken: string }).jitsiToken)) as string;
    const claims = await verifyWithGatewayKeys(`${jitsi.url}/sso`, token);
    expect(claims).toMatchObject({ room: 'team%20sync', sub: 'acme' });

    // A second room: the gateway session answers, no login form.
    await page.goto(`${jitsi.url}/acme/Second%20Room`);
    await page.waitForURL((url) => url.hash.includes('jwt='));
    await expect.poll(() => page.locator('#room').textContent()).toBe('second%20room');
    const cookies = await context.cookies(`${jitsi.url}/sso/login`);
    expect(cookies.find((cookie) => cookie.name === 'jsg_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/sso' });
    await context.close();
  });

  it('tokenAuthInline: the popup posts oauth-success to the opener; the logout iframe posts logout-success', async () => {
    jitsi.configure({ tokenAuthUrl: `${jitsi.url}/sso/login?room={room}&state={state}`, tokenLogoutUrl: `${jitsi.url}/sso/logout?inline=1`, inline: true });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${jitsi.url}/acme/Popup%20Room`);
    await expect.poll(() => page.locator('#status').textContent()).toBe('waiting for popup sign-in');
    const [popup] = await Promise.all([context.waitForEvent('page'), page.locator('#popup-login').click()]);
    await popup.waitForURL((url) => url.href.startsWith(idp.issuer));
    await popup.locator('#login').fill('bob');
    await popup.locator('#password').fill('bob-password');
    await popup.locator('#submit').click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('joined');
    expect(await page.locator('#room').textContent()).toBe('popup%20room');
    expect(await page.locator('#name').textContent()).toBe('Bob Example');
    expect(await page.locator('#refresh').textContent()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.screenshot({ path: join(ARTIFACTS, 'oidc-inline-popup-chromium.png'), fullPage: true });

    await page.locator('#iframe-logout').click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('logged out');
    const cookies = await context.cookies(`${jitsi.url}/sso/login`);
    expect(cookies.find((cookie) => cookie.name === 'jsg_session')).toBeUndefined();
    await context.close();
  });
});
