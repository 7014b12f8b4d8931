import { request as httpsRequest, createServer, type Server } from 'node:https';
import { createLocalJWKSet, jwtVerify, decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createDemo } from '../../src/demo/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { launchChromium, watchProblems } from '../support/chromium.js';
import { freePort, signInAtDevIdp } from '../demo/harness.js';
import { selfSignedCertificate, startJitsiSsoSite, type JitsiSsoSite } from './jitsi-sso-site.js';

/**
 * Jitsi's own inline sign-in (config.sso + static/sso.html) against the gateway as its token
 * service, in Chromium, with Jitsi and the gateway on two different HTTPS origins (self-signed
 * certificate made at test time). The Jitsi side is test/token-service/jitsi-sso-site.ts, which
 * states the contract of Jitsi's web client and sso.html that it follows.
 */

const CLIENT_ID = 'jitsi-meet';
let browser: Browser;
let tls: { key: string; cert: string };
let site: JitsiSsoSite;
let gateway: Gateway;
let server: Server;
let gatewayOrigin: string;
let secret: string;
const logLines: string[] = [];

beforeAll(async () => {
  tls = selfSignedCertificate();
  const port = await freePort();
  gatewayOrigin = `https://127.0.0.1:${port}`;
  const tokenAuthUrl = `${gatewayOrigin}/login?code_challenge={code_challenge}&state={state}&room={room}`;
  site = await startJitsiSsoSite(tls, { tokenAuthUrl, tokenService: `127.0.0.1:${port}`, clientId: CLIENT_ID });
  const demo = await createDemo(port);
  const defaults = demo.defaults as { targets: { demo: Record<string, unknown> }; server: Record<string, unknown> };
  secret = defaults.targets.demo.secret as string;
  const settings = {
    ...demo.defaults,
    publicUrl: gatewayOrigin,
    server: { ...defaults.server, shutdownGraceSeconds: 1 },
    targets: { demo: { ...defaults.targets.demo, url: site.origin, sso: { clientId: CLIENT_ID } } },
  };
  gateway = await createGateway(parseConfig(settings, 'inline sso test'), {
    extraFeatures: demo.extraFeatures,
    logger: createLogger('debug', { write: (line: string) => logLines.push(line) }),
  });
  server = createServer(tls, gateway.app.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await gateway?.close();
  await site?.close();
});

const idpOrigin = () => (gateway.services.providers.get('demo') as unknown as { issuer: string }).issuer;

async function newSiteContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB' });
  context.setDefaultTimeout(8000);
  return context;
}

interface PopupResult {
  type: 'oauth-success' | 'oauth-error';
  nonce: string;
  accessToken?: string;
  idToken?: string;
  refreshToken?: string;
  error?: string;
}

const results = (page: Page) => page.evaluate(() => (window as unknown as { results: PopupResult[] }).results);

/** Presses the meeting page's sign-in button; returns the popup. */
async function openPopup(page: Page): Promise<Page> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('#sign-in').click()]);
  return popup;
}

/** Every response of an origin in this browser context (popups included): url, status, headers. */
function responsesFrom(context: BrowserContext, origin: string): Array<{ url: string; status: number; headers: Record<string, string> }> {
  const seen: Array<{ url: string; status: number; headers: Record<string, string> }> = [];
  context.on('response', (response) => {
    if (response.url().startsWith(origin)) seen.push({ url: response.url(), status: response.status(), headers: response.headers() });
  });
  return seen;
}

/** POST /token from node (any Origin header), trusting the test certificate. */
function postToken(form: Record<string, string>, origin: string | undefined, path = '/token'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) };
    if (origin) headers.origin = origin;
    const request = httpsRequest(`${gatewayOrigin}${path}`, { method: 'POST', headers, ca: tls.cert }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** POST /token from a page (its origin is the request's Origin); what its script can read. */
function fetchToken(page: Page, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> } | { blocked: string }> {
  return page.evaluate(
    async ({ url, form }) => {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      } catch (error) {
        return { blocked: String(error) };
      }
    },
    { url: `${gatewayOrigin}/token`, form },
  );
}

/**
 * Signs in through the popup but stops at sso.html: the browser's navigation to it is answered
 * with a blank page, so the code is the test's to redeem (hostile cases). Returns the code and the
 * verifier the meeting page kept for it.
 */
async function captureCode(page: Page, username: string): Promise<{ code: string; verifier: string; state: string }> {
  let captured: URL | undefined;
  const held = site.holdNextSsoPage().then((url) => (captured = url));
  const popup = await openPopup(page);
  const form = popup.getByLabel('Username');
  // A browser with a gateway session goes straight to sso.html; otherwise sign in first.
  await expect.poll(async () => captured !== undefined || (await form.isVisible().catch(() => false))).toBe(true);
  if (captured === undefined) await signInAtDevIdp(popup, username);
  const url = await held;
  await popup.close();
  const verifier = await page.evaluate(() => sessionStorage.getItem('code_verifier') ?? '');
  return { code: url.searchParams.get('code') ?? '', verifier, state: url.searchParams.get('state') ?? '' };
}

const ssoForm = (code: string, verifier: string, extra: Record<string, string> = {}) => ({
  grant_type: 'authorization_code',
  code,
  code_verifier: verifier,
  redirect_uri: `${site.origin}/static/sso.html`,
  client_id: CLIENT_ID,
  ...extra,
});

describe("Jitsi's inline sign-in with the gateway as token service", { timeout: 90_000 }, () => {
  it('a host signs in through the popup for "Budget 100%" and the meeting page gets a room token, a nonce-bound ID token and a refresh token; a refresh rotates it', async () => {
    const context = await newSiteContext();
    const seen = responsesFrom(context, gatewayOrigin);
    const atIdp = responsesFrom(context, idpOrigin());
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${site.origin}/acme/${encodeURIComponent('Budget 100%')}`);
    const popup = await openPopup(page);
    const popupProblems = watchProblems(popup);
    await popup.getByLabel('Username').waitFor().catch(async (error: unknown) => {
      throw new Error(`no sign-in form at ${popup.url()}: ${(await popup.content()).slice(0, 2000)}`, { cause: error });
    });
    const closed = popup.waitForEvent('close');
    await signInAtDevIdp(popup, 'alice');
    await closed.catch(async (error: unknown) => {
      throw new Error(`popup still open at ${popup.url()}: ${(await popup.content()).slice(0, 10)}\n${popupProblems.join("\n")}\n${logLines.filter((line) => !line.includes('"request"')).slice(-8).join('\n')}`, { cause: error });
    }); // the meeting page closes it on oauth-success, as Jitsi does
    const [result] = await results(page);
    expect(result?.type, result?.error).toBe('oauth-success');

    // The access token is the Jitsi JWT for exactly this room, and alice is its moderator.
    const claims = (await jwtVerify(result?.accessToken ?? '', new TextEncoder().encode(secret), { algorithms: ['HS256'] })).payload as Record<string, unknown>;
    expect(claims).toMatchObject({ room: 'budget%20100%25', sub: 'acme', context: { user: { moderator: true } } });

    // The ID token: signed with the gateway's key as published, for this client, with the nonce the page sent.
    const jwks = await page.evaluate(async (url) => (await fetch(url)).json(), `${gatewayOrigin}/token-service/jwks.json`);
    const id = await jwtVerify(result?.idToken ?? '', createLocalJWKSet(jwks as { keys: [] }), { issuer: gatewayOrigin, audience: CLIENT_ID });
    expect(id.payload.nonce).toBe(result?.nonce);
    expect(id.payload.sub).toBe('demo:alice');
    expect(result?.refreshToken).toMatch(/^[\w-]{43}$/);

    // No gateway page in the popup's journey cut it off from Jitsi.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((response) => response.headers['cross-origin-opener-policy'] !== undefined)).toEqual([]);
    expect(problems).toEqual([]);
    expect(popupProblems).toEqual([]);

    // CONNECTION_TOKEN_EXPIRED: Jitsi runs tokenAuthUrl again with the refresh token in {state}.
    // The popup goes straight back to sso.html (no sign-in), which refreshes at /token.
    await page.evaluate((token) => ((window as unknown as { nextRefreshToken: string }).nextRefreshToken = token), result?.refreshToken ?? '');
    expect(atIdp.length).toBeGreaterThan(0);
    atIdp.length = 0;
    seen.length = 0;
    const second = await openPopup(page);
    await second.waitForEvent('close');
    const refreshed = (await results(page))[1];
    expect(refreshed?.type, refreshed?.error).toBe('oauth-success');
    expect(atIdp).toEqual([]); // no sign-in
    expect(seen.map((response) => `${response.status} ${new URL(response.url).pathname}`)).toEqual(['303 /login', '200 /token']);
    expect(refreshed?.refreshToken).not.toBe(result?.refreshToken);
    const again = decodeJwt(refreshed?.accessToken ?? '');
    expect(again).toMatchObject({ room: 'budget%20100%25', sub: 'acme' });
    expect(decodeJwt(refreshed?.idToken ?? '').nonce).toBe(result?.nonce); // the original authorization's nonce

    // The spent refresh token again: invalid_grant, and its family is revoked (the new one too).
    const replay = await fetchToken(page, { grant_type: 'refresh_token', refresh_token: result?.refreshToken ?? '', client_id: CLIENT_ID });
    expect(replay).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    const afterReplay = await fetchToken(page, { grant_type: 'refresh_token', refresh_token: refreshed?.refreshToken ?? '', client_id: CLIENT_ID });
    expect(afterReplay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    // Neither codes nor refresh tokens are ever logged (they also travel in query strings).
    const logs = logLines.join('\n');
    expect(logs).toContain('token issued');
    for (const secretValue of [result?.refreshToken, refreshed?.refreshToken]) expect(logs).not.toContain(secretValue);
    await context.close();
  });

  it('state comes back exactly as Jitsi sent it, through sso.html\'s double decoding', async () => {
    const context = await newSiteContext();
    const page = await context.newPage();
    // In the URL: Budget%20100%25%20%26%20more — the state's room holds those escapes.
    await page.goto(`${site.origin}/acme/${encodeURIComponent('Budget 100% & more')}`);
    const { state } = await captureCode(page, 'alice');
    const [sent] = await page.evaluate(() => (window as unknown as { sentStates: string[] }).sentStates);
    expect(sent).toContain('Budget%20100%25');
    expect(decodeURIComponent(state)).toBe(sent); // what sso.html parses is what the meeting page sent
    await context.close();
  });

  it('a refresh token the service no longer honours: the person signs in again and sso.html redeems the code instead', async () => {
    const context = await newSiteContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/acme/Standup`);
    await page.evaluate(() => ((window as unknown as { nextRefreshToken: string }).nextRefreshToken = 'A'.repeat(43)));
    const popup = await openPopup(page);
    await popup.getByLabel('Username').waitFor();
    const closed = popup.waitForEvent('close');
    await signInAtDevIdp(popup, 'bob');
    await closed;
    const [result] = await results(page);
    expect(result?.type, result?.error).toBe('oauth-success');
    expect(decodeJwt(result?.accessToken ?? '')).toMatchObject({ room: 'standup', context: { user: { moderator: false } } });
    await context.close();
  });

  it('a person the policy refuses: sso.html gets error=access_denied and tells the meeting page; no code, no token', async () => {
    const context = await newSiteContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/acme/Weekly`);
    const popup = await openPopup(page);
    await popup.getByLabel('Username').waitFor();
    const closed = popup.waitForEvent('close');
    await signInAtDevIdp(popup, 'eve');
    await closed;
    const [result] = await results(page);
    expect(result).toMatchObject({ type: 'oauth-error', error: expect.stringContaining('Demo meetings are for') });
    expect(result?.accessToken).toBeUndefined();
    await context.close();
  });

  it("Jitsi's inline logout (tokenLogoutUrl?id_token_hint=…, no cookie on another site) ends the session and its refresh tokens; a forged hint does not", async () => {
    const context = await newSiteContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/acme/Retro`);
    const { code, verifier } = await captureCode(page, 'alice');
    const tokens = await fetchToken(page, ssoForm(code, verifier));
    if (!('body' in tokens)) throw new Error('token exchange blocked');
    const idToken = String(tokens.body.id_token);
    const logout = (hint: string) =>
      new Promise<number>((resolve, reject) => {
        httpsRequest(`${gatewayOrigin}/logout?inline=1&id_token_hint=${encodeURIComponent(hint)}`, { ca: tls.cert }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        }).on('error', reject).end();
      });

    // A hint with another signature: ignored, the session lives on.
    const [header, payload] = idToken.split('.');
    expect(await logout(`${header}.${payload}.${'A'.repeat(86)}`)).toBe(200);
    const refreshed = await fetchToken(page, { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token), client_id: CLIENT_ID });
    expect(refreshed).toMatchObject({ status: 200, body: { refresh_token: expect.any(String) } });

    // The real one (no cookie: a request from node): the session ends, its refresh tokens with it.
    expect(await logout(idToken)).toBe(200);
    const after = await fetchToken(page, { grant_type: 'refresh_token', refresh_token: 'body' in refreshed ? String(refreshed.body.refresh_token) : '', client_id: CLIENT_ID });
    expect(after).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    await context.close();
  });

  it('hostile requests get the right OAuth error and no token', async () => {
    const context = await newSiteContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/acme/Planning`);
    const noToken = (answer: { body?: Record<string, unknown> } | { blocked: string }) => {
      expect('body' in answer ? answer.body : {}).not.toHaveProperty('access_token');
    };

    // Wrong origin: another site's page posts a real code. The browser hides the answer (no CORS
    // for that origin); the service refused before consuming, so the real page still redeems it.
    const first = await captureCode(page, 'alice');
    const other = await context.newPage();
    await other.goto(`${site.otherOrigin}/blank`);
    const foreign = await fetchToken(other, ssoForm(first.code, first.verifier));
    expect(foreign).toMatchObject({ blocked: expect.stringContaining('Failed to fetch') });
    const fromNode = await postToken(ssoForm(first.code, first.verifier), site.otherOrigin);
    expect(fromNode.status).toBe(401);
    expect(fromNode.body).toMatchObject({ error: 'invalid_client' });
    expect(fromNode.headers['access-control-allow-origin']).toBeUndefined();
    const noOrigin = await postToken(ssoForm(first.code, first.verifier), undefined);
    expect(noOrigin.body).toMatchObject({ error: 'invalid_client' });
    const redeemed = await fetchToken(page, ssoForm(first.code, first.verifier));
    expect(redeemed).toMatchObject({ status: 200, body: { access_token: expect.any(String), id_token: expect.any(String), refresh_token: expect.any(String) } });

    // Replayed code.
    const replayed = await fetchToken(page, ssoForm(first.code, first.verifier));
    expect(replayed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    noToken(replayed);

    // Wrong verifier: refused, and the code is spent (no second guess).
    const second = await captureCode(page, 'alice');
    const wrong = await fetchToken(page, ssoForm(second.code, 'x'.repeat(64)));
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    noToken(wrong);
    expect(await fetchToken(page, ssoForm(second.code, second.verifier))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    // Foreign client id: unknown to the service; the answer is still readable by the page (CORS on errors).
    const third = await captureCode(page, 'alice');
    const foreignClient = await fetchToken(page, ssoForm(third.code, third.verifier, { client_id: 'someone-else' }));
    expect(foreignClient).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    noToken(foreignClient);
    // ...and did not consume the code; a wrong redirect_uri does.
    expect(await fetchToken(page, ssoForm(third.code, third.verifier, { redirect_uri: `${site.origin}/elsewhere` }))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    // Reused refresh token (without a browser in between: two redemptions of the same token).
    const refresh = 'body' in redeemed ? String(redeemed.body.refresh_token) : '';
    const once = await fetchToken(page, { grant_type: 'refresh_token', refresh_token: refresh, client_id: CLIENT_ID });
    expect(once).toMatchObject({ status: 200, body: { access_token: expect.any(String) } });
    const twice = await fetchToken(page, { grant_type: 'refresh_token', refresh_token: refresh, client_id: CLIENT_ID });
    expect(twice).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    noToken(twice);

    // Malformed requests.
    expect(await fetchToken(page, { grant_type: 'password', client_id: CLIENT_ID })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await fetchToken(page, { grant_type: 'authorization_code', client_id: CLIENT_ID })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const json = await page.evaluate(async (url) => {
      const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).catch(() => undefined);
      return response ? { status: response.status, body: (await response.json()) as Record<string, unknown> } : undefined;
    }, `${gatewayOrigin}/token`);
    expect(json).toMatchObject({ status: 415, body: { error: 'invalid_request' } });
    await context.close();
  });
});
