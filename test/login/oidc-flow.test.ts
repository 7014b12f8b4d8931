import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import {
  carriesNoToken,
  decodeJwt,
  freePort,
  gatewaySettings,
  groupPolicy,
  jitsiState,
  ScriptedBrowser,
  startGateway,
  TARGET_URL,
  tokenFromJoinUrl,
  verifyWithGatewayKeys,
  type RunningGateway,
} from './harness.js';

/**
 * The main journey over real HTTP: Jitsi's tokenAuthUrl → gateway → oidc-provider (PKCE required,
 * claims only from userinfo, client_secret_basic) → callback → room-scoped token in the hash, with
 * the gateway session, the silent re-issue for a second room, the refresh handle, the return modes
 * and logout.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  idp = await startOidcProvider({
    clients: [
      {
        client_id: 'gateway',
        client_secret: 'gateway-secret-0123456789',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`],
        post_logout_redirect_uris: [`http://127.0.0.1:${port}/logout/done`],
      },
    ],
  });
  gw = await startGateway(
    gatewaySettings(port, redis.url, {
      corp: {
        kind: 'oidc',
        displayName: 'Corp SSO',
        issuer: idp.issuer,
        clientId: 'gateway',
        clientSecret: 'gateway-secret-0123456789',
        scopes: ['openid', 'profile', 'email', 'groups'],
      },
    }),
    port,
    { policy: groupPolicy },
  );
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const loginUrl = (state: Record<string, unknown>, extra = '') => `${gw.url}/login?room=${encodeURIComponent(String(state.room ?? ''))}&state=${jitsiState(state)}${extra}`;

describe('OIDC login from tokenAuthUrl to the room', () => {
  it('sends the browser to the IdP with PKCE S256, state and nonce, then into exactly the requested room', async () => {
    const browser = new ScriptedBrowser();
    const url = loginUrl({ room: 'Team Sync', roomSafe: 'team%20sync', tenant: 'acme', 'config.startWithAudioMuted': true });
    const { final, steps } = await browser.login(url);

    const authorize = new URL(steps[0]?.location ?? '');
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${gw.url}/auth/corp/callback`);

    expect(final.status).toBe(303);
    expect(final.location).toMatch(new RegExp(`^${TARGET_URL}/acme/team%20sync#jwt=%22[^%]+%22&config\\.startWithAudioMuted=true$`));
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect(claims).toMatchObject({ room: 'team%20sync', sub: 'acme', aud: 'jitsi', iss: 'jitsi-sso' });
    const context = claims.context as { user: Record<string, unknown>; tenant: string };
    expect(context.user).toEqual({
      id: 'alice',
      name: 'Alice Example',
      email: 'alice@example.com',
      avatar: 'https://images.example.com/alice.png',
      moderator: true,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);

    const sessionCookie = final.headers.getSetCookie().find((cookie) => cookie.startsWith('jsg_session='));
    expect(sessionCookie).toMatch(/; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax$/);
  });

  it('fetches userinfo when the ID token lacks the claims (oidc-provider puts them only in userinfo), and the ID token has no at_hash', async () => {
    const before = idp.hits.get('/me') ?? 0;
    const browser = new ScriptedBrowser();
    const { final } = await browser.login(loginUrl({ room: 'userinfo', tenant: 'acme' }), 'bob');
    expect(final.status).toBe(303);
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect((claims.context as { user: unknown }).user).toEqual({ id: 'bob', name: 'Bob Example', email: 'bob@example.com', moderator: false });
    expect(idp.hits.get('/me') ?? 0).toBe(before + 1);

    // The ID token the gateway kept for id_token_hint is the IdP's: no at_hash, and it was accepted.
    const logout = await browser.logout(`${gw.url}/logout`);
    const hint = new URL(logout.location ?? '').searchParams.get('id_token_hint') ?? '';
    const idToken = decodeJwt(hint);
    expect(idToken.sub).toBe('bob');
    expect(idToken.at_hash).toBeUndefined();
    expect(idToken.name).toBeUndefined();
  });

  it('re-issues for a second room from the gateway session, without an IdP round trip', async () => {
    const browser = new ScriptedBrowser();
    await browser.login(loginUrl({ room: 'first', tenant: 'acme' }));
    const authorizeHits = idp.hits.get('/auth') ?? 0;
    const tokenHits = idp.hits.get('/token') ?? 0;

    const second = await browser.request(loginUrl({ room: 'Ärger', tenant: 'acme' }));
    expect(second.status).toBe(303);
    expect(second.location).toMatch(new RegExp(`^${TARGET_URL}/acme/%c3%a4rger#jwt=`));
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(second.location ?? ''));
    expect(claims.room).toBe('%c3%a4rger');

    const root = await browser.request(loginUrl({ room: 'lobby' }));
    expect(root.location).toMatch(new RegExp(`^${TARGET_URL}/lobby#jwt=`));
    expect((await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(root.location ?? ''))).sub).toBe('meet.jitsi');

    expect(idp.hits.get('/auth') ?? 0).toBe(authorizeHits);
    expect(idp.hits.get('/token') ?? 0).toBe(tokenHits);
  });

  it('returns deep links for the mobile apps and the desktop app, with the token in the hash', async () => {
    const browser = new ScriptedBrowser();
    const ios = await browser.login(loginUrl({ room: 'Mobile', tenant: 'acme', ios: true, 'config.startWithVideoMuted': true }));
    expect(ios.final.location).toMatch(/^org\.jitsi\.meet:\/\/meet\.example\.com\/acme\/mobile#jwt=%22.+%22&config\.startWithVideoMuted=true$/);
    await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(ios.final.location ?? ''));
    const android = await browser.request(loginUrl({ room: 'Mobile', tenant: 'acme', android: true }));
    expect(android.location).toMatch(/^org\.jitsi\.meet:\/\/meet\.example\.com\/acme\/mobile#jwt=%22/);
    const electron = await browser.request(loginUrl({ room: 'Desk', tenant: 'acme', electron: true }));
    expect(electron.location).toMatch(/^jitsi-meet:\/\/meet\.example\.com\/acme\/desk#jwt=%22/);
  });

  it('answers the tokenAuthInline popup with a page posting oauth-success to the Jitsi origin, and honours the refresh handle', async () => {
    const browser = new ScriptedBrowser();
    const { final } = await browser.login(`${loginUrl({ room: 'Inline', tenant: 'acme' })}&nonce=0123abcd`);
    expect(final.status).toBe(200);
    const post = inlinePost(final.body);
    expect(post).toMatchObject({ to: 'opener', origin: TARGET_URL, message: { type: 'oauth-success' } });
    expect(final.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
    const first = post.message.accessToken as string;
    expect((await verifyWithGatewayKeys(gw.url, first)).room).toBe('inline');
    const handle = post.message.refreshToken as string;
    expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // CONNECTION_TOKEN_EXPIRED: Jitsi runs tokenAuthUrl again with refreshToken in {state}; no cookie needed.
    const elsewhere = new ScriptedBrowser();
    const tokenHits = idp.hits.get('/token') ?? 0;
    const renewed = await elsewhere.request(`${loginUrl({ room: 'Inline', tenant: 'acme', refreshToken: handle })}&nonce=77`);
    expect(renewed.status).toBe(200);
    const again = inlinePost(renewed.body);
    expect((await verifyWithGatewayKeys(gw.url, again.message.accessToken as string)).room).toBe('inline');
    expect(again.message.refreshToken).not.toBe(handle); // rotated
    expect(idp.hits.get('/token') ?? 0).toBe(tokenHits);

    // The used handle is gone: without a session it leads to the IdP, not to a token.
    const replay = await elsewhere.request(`${loginUrl({ room: 'Inline', tenant: 'acme', refreshToken: handle })}&inline=1`);
    expect(replay.status).toBe(303);
    expect(replay.location?.startsWith(idp.issuer)).toBe(true);

    // Logout ends the session, and with it every refresh handle bound to it.
    await browser.logout(`${gw.url}/logout`);
    const afterLogout = await elsewhere.request(`${loginUrl({ room: 'Inline', tenant: 'acme', refreshToken: again.message.refreshToken as string })}&inline=1`);
    expect(afterLogout.location?.startsWith(idp.issuer)).toBe(true);
    expect(carriesNoToken(afterLogout)).toBe(true);
  });

  it('logs out: ends the gateway session and sends the browser to the IdP with id_token_hint and post_logout_redirect_uri', async () => {
    const browser = new ScriptedBrowser();
    await browser.login(loginUrl({ room: 'bye', tenant: 'acme' }));
    const logout = await browser.logout(`${gw.url}/logout`);
    expect(logout.status).toBe(303);
    const endSession = new URL(logout.location ?? '');
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${idp.issuer}/session/end`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${gw.url}/logout/done`);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(logout.headers.getSetCookie().some((cookie) => /^jsg_session=;.*Max-Age=0/.test(cookie))).toBe(true);

    // The IdP's confirmation, then back to the gateway's signed-out page.
    const confirm = await browser.request(logout.location ?? '');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    const action = /action="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    const done = await browser.follow(new URL(action, idp.issuer).href, { form: new URLSearchParams({ xsrf, logout: 'yes' }) });
    expect(done.at(-1)?.url).toBe(`${gw.url}/logout/done`);
    expect(done.at(-1)?.status).toBe(200);

    // No session any more: the next room needs the IdP again.
    const next = await browser.request(loginUrl({ room: 'bye', tenant: 'acme' }));
    expect(next.location?.startsWith(`${idp.issuer}/auth?`)).toBe(true);
  });

  it('answers the silent logout iframe with logout-success for the Jitsi origin, frameable by Jitsi only', async () => {
    const browser = new ScriptedBrowser();
    await browser.login(loginUrl({ room: 'frame', tenant: 'acme' }));
    // What Chromium sends for Jitsi's hidden iframe on the same site.
    const answer = await browser.request(`${gw.url}/logout?inline=1&id_token_hint=ignored`, { headers: { 'sec-fetch-dest': 'iframe', 'sec-fetch-site': 'same-origin' } });
    expect(answer.status).toBe(200);
    expect(inlinePost(answer.body)).toEqual({ to: 'parent', origin: TARGET_URL, message: { type: 'logout-success' } });
    expect(answer.headers.get('content-security-policy')).toContain(`frame-ancestors 'self' ${TARGET_URL}`);
    const next = await browser.request(loginUrl({ room: 'frame', tenant: 'acme' }));
    expect(next.location?.startsWith(idp.issuer)).toBe(true);
  });
});

function inlinePost(body: string): { to: string; origin: string; message: Record<string, unknown> } {
  const json = /<script type="application\/json" id="jsg-post">([^<]*)<\/script>/.exec(body)?.[1];
  if (!json) throw new Error(`no inline result data in ${body.slice(0, 300)}`);
  return JSON.parse(json) as { to: string; origin: string; message: Record<string, unknown> };
}
