import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { freePort, gatewaySettings, groupPolicy, jitsiState, ScriptedBrowser, startGateway, TARGET_URL, type RunningGateway } from '../login/harness.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/**
 * Finding 14 of issue 16 (the logout part): a GET of /logout without any token performed the
 * logout, so any page could sign a person out (a link, an image, a redirect). Now a GET shows a
 * confirmation page whose form POSTs with a CSRF token (in the form and in a cookie only the
 * gateway sets); the one GET that still signs out by itself is Jitsi's hidden logout iframe on the
 * same site (Sec-Fetch-Dest: iframe, Sec-Fetch-Site: same-origin or same-site).
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: RunningGateway;

beforeAll(async () => {
  const port = await freePort();
  [redis, idp] = await Promise.all([
    startRedis(),
    startOidcProvider({
      clients: [
        {
          client_id: 'gateway',
          client_secret: 'gateway-secret-0123456789',
          redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`],
          post_logout_redirect_uris: [`http://127.0.0.1:${port}/logout/done`],
        },
      ],
    }),
  ]);
  const providers = { corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'gateway', clientSecret: 'gateway-secret-0123456789', scopes: ['openid', 'profile', 'email'] } };
  gw = await startGateway(gatewaySettings(port, redis.url, providers), port, { policy: groupPolicy });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const loginUrl = (room: string) => `${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}`;

async function signedIn(): Promise<ScriptedBrowser> {
  const browser = new ScriptedBrowser();
  const { final } = await browser.login(loginUrl('before'));
  expect(final.location?.startsWith(`${TARGET_URL}/acme/before#jwt=`)).toBe(true);
  return browser;
}

/** Whether the gateway session still mints without the IdP. */
async function stillSignedIn(browser: ScriptedBrowser): Promise<boolean> {
  const step = await browser.request(loginUrl('probe'));
  return step.status === 303 && (step.location ?? '').startsWith(`${TARGET_URL}/acme/probe#jwt=`);
}

const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

describe('logout by GET', () => {
  it.each([
    ['a plain link or redirect (no fetch metadata)', {}],
    ['a cross-site navigation', { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate' }],
    ['a cross-site image', { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors' }],
  ])('from %s shows a confirmation page and signs nobody out', async (_what, headers: Record<string, string>) => {
    const browser = await signedIn();
    const answer = await browser.request(`${gw.url}/logout`, { headers });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/<form method="post" action="\/logout"/);
    expect(csrfOf(answer.body)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await stillSignedIn(browser)).toBe(true);
  });

  it('?inline=1 from a cross-site frame is a confirmation too; from a same-site frame (Jitsi) it signs out', async () => {
    const browser = await signedIn();
    const foreign = await browser.request(`${gw.url}/logout?inline=1`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'iframe' } });
    expect(foreign.body).toMatch(/name="csrf"/);
    expect(await stillSignedIn(browser)).toBe(true);
    const jitsi = await browser.request(`${gw.url}/logout?inline=1`, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'iframe' } });
    expect(jitsi.body).toMatch(/logout-success/);
    expect(await stillSignedIn(browser)).toBe(false);
  });
});

describe('the confirmed logout (POST)', () => {
  it('without the token, or with another one, is refused (403) and signs nobody out', async () => {
    const browser = await signedIn();
    const missing = await browser.request(`${gw.url}/logout`, { form: new URLSearchParams({}) });
    expect(missing.status).toBe(403);
    const page = await browser.request(`${gw.url}/logout`);
    // Another token of the same shape: its last character changed (a 256-bit token's last base64url
    // character is one of 16, so always writing 'A' forged the real token one run in sixteen).
    const real = csrfOf(page.body);
    const forged = await browser.request(`${gw.url}/logout`, { form: new URLSearchParams({ csrf: `${real.slice(0, -1)}${real.endsWith('A') ? 'Q' : 'A'}` }) });
    expect(forged.status).toBe(403);
    expect(await stillSignedIn(browser)).toBe(true);
  });

  it('with the page token ends the session and continues to the IdP logout', async () => {
    const browser = await signedIn();
    const page = await browser.request(`${gw.url}/logout`);
    const done = await browser.request(`${gw.url}/logout`, { form: new URLSearchParams({ csrf: csrfOf(page.body) }) });
    expect(done.status).toBe(303);
    expect(done.location?.startsWith(`${idp.issuer}/session/end`)).toBe(true);
    expect(await stillSignedIn(browser)).toBe(false);
    // The token was for one use: the cookie is gone.
    expect((await browser.request(`${gw.url}/logout`, { form: new URLSearchParams({ csrf: csrfOf(page.body) }) })).status).toBe(403);
  });
});
