import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createLogger } from '../../src/observability/logger.js';
import { casPolicy, CasBrowser } from '../support/cas-gateway.js';
import { casLogout, ensureLemonldap, type LemonldapInstance } from '../support/lemonldap.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { freePort, gatewaySettings, jitsiState, startGateway, TARGET_URL, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway } from './harness.js';

/**
 * The shipped presets against the REAL IdP they are named for, at their defaults: LemonLDAP::NG
 * 2.16 (Debian's packages) with its relying party registered the way the manager registers one
 * (client id `jitsi-gw`, secret, no authentication method to choose: 2.16 accepts Basic and post
 * but does not form-decode the Basic header) and its CAS application. The gateway is configured
 * with nothing but `preset`, the issuer / CAS URL, the client id and the secret.
 *
 * OIDC: login and RP-initiated logout (end_session_endpoint with id_token_hint). LemonLDAP::NG 2.16
 * sends no OIDC back-channel logout (its portal's OIDC logout does front-channel iframes only; the
 * back-channel branch is a "TODO #1194" in Lemonldap/NG/Portal/Issuer/OpenIDConnect.pm, and its
 * discovery says backchannel_logout_supported: false), so back-channel logout is tested against
 * oidc-provider (test/idp/oidc/options.test.ts). CAS: login and single logout, and the operator's
 * log lines for INVALID_TICKET and INVALID_SERVICE.
 */

const IDP_PORT = Number(process.env.JSG_TEST_PRESETS_IDP_PORT ?? 18957);

let redis: RedisServer;
let idp: LemonldapInstance;
let gw: RunningGateway;
const lines: string[] = [];
let gatewayConfig: Record<string, unknown>;

beforeAll(async () => {
  const [redisServer, port] = await Promise.all([startRedis(), freePort()]);
  redis = redisServer;
  const publicUrl = `http://127.0.0.1:${port}`;
  idp = await ensureLemonldap({
    port: IDP_PORT,
    oidcRedirectUris: [`${publicUrl}/auth/llng/callback`],
    oidcPostLogoutRedirectUris: [`${publicUrl}/logout/done`],
    casServices: [`${publicUrl}/auth/llngcas/callback`],
    casSingleLogout: true,
  });
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  const providers = {
    llng: { preset: 'lemonldap-oidc', issuer: idp.oidcIssuer, clientId: idp.clientId, clientSecret: idp.clientSecret },
    llngcas: { preset: 'lemonldap-cas', baseUrl: idp.casUrl },
  };
  gatewayConfig = gatewaySettings(port, redis.url, providers, { policy: casPolicy(providers) });
  gw = await startGateway(
    gatewayConfig,
    port,
    { logger },
  );
}, 600_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
  if (idp && process.env.JSG_TEST_KEEP_IDP !== '1') await idp.stop();
}, 120_000);

const loginUrl = (room: string, provider: string) => `${gw.url}/login?room=${encodeURIComponent(room)}&state=${jitsiState({ room, tenant: 'acme' })}&provider=${provider}`;

/** gateway /login → LemonLDAP (form or SSO) → gateway callback → the final answer. */
async function signIn(browser: CasBrowser, room: string, provider: string, user: 'dwho' | 'rtyler' = 'dwho') {
  const start = await browser.request(loginUrl(room, provider));
  expect(start.status, start.body.slice(0, 300)).toBe(303);
  const atIdp = await browser.atIdp(start.location ?? '', user);
  const final = await browser.request(atIdp.location);
  return { start, callbackUrl: atIdp.location, formShown: atIdp.formShown, final };
}

/** Whether the browser's gateway session still mints for a new room without the IdP. */
async function stillMints(browser: CasBrowser, room: string, provider: string): Promise<boolean> {
  const step = await browser.request(loginUrl(room, provider));
  return step.status === 303 && (step.location ?? '').startsWith(`${TARGET_URL}/acme/${room}#jwt=`);
}

const logSince = (from: number) => lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('lemonldap-oidc preset at its defaults against LemonLDAP::NG 2.16', () => {
  it('signs dwho in (client_secret_post, PKCE, the groups LemonLDAP sends) and the token is for exactly the room', async () => {
    const browser = new CasBrowser();
    const from = lines.length;
    const { start, final, formShown } = await signIn(browser, 'Gallifrey', 'llng');
    const authorize = new URL(start.location ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${idp.baseUrl}/oauth2/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe('jitsi-gw');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(formShown).toBe(true);
    expect(final.status, final.body.slice(0, 400)).toBe(303);
    expect(final.location).toMatch(new RegExp(`^${TARGET_URL}/acme/gallifrey#jwt=`));
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect(claims.room).toBe('gallifrey');
    expect((claims.context as { user: Record<string, unknown> }).user).toEqual({ id: 'dwho', name: 'Doctor Who', email: 'dwho@badwolf.org', moderator: true });
    expect(logSince(from).filter((entry) => entry.level === 'error' || entry.level === 'warn')).toEqual([]);
  });

  it('RP-initiated logout: /logout ends the gateway session, sends the browser to LemonLDAP with id_token_hint, and comes back to /logout/done', async () => {
    const browser = new CasBrowser();
    await signIn(browser, 'logout-one', 'llng');
    expect(await stillMints(browser, 'logout-two', 'llng')).toBe(true);
    const confirmed = await browser.logout(`${gw.url}/logout`);
    const steps = [confirmed, ...(confirmed.location ? await browser.follow(confirmed.location) : [])];
    const toIdp = new URL(steps[0]?.location ?? '');
    expect(`${toIdp.origin}${toIdp.pathname}`).toBe(`${idp.baseUrl}/oauth2/logout`);
    expect(toIdp.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(toIdp.searchParams.get('post_logout_redirect_uri')).toBe(`${gw.url}/logout/done`);
    const last = steps.at(-1);
    expect(last?.url).toBe(`${gw.url}/logout/done`);
    expect(last?.status).toBe(200);
    expect(await stillMints(browser, 'logout-three', 'llng')).toBe(false);
    // The LemonLDAP session ended too: signing in again shows the form.
    const again = await signIn(browser, 'logout-four', 'llng');
    expect(again.formShown).toBe(true);
  });
});

describe('lemonldap-cas preset at its defaults against LemonLDAP::NG 2.16', () => {
  it('signs rtyler in over CAS 3.0 with her attributes', async () => {
    const browser = new CasBrowser();
    const { final } = await signIn(browser, 'Powell Estate', 'llngcas', 'rtyler');
    expect(final.status, final.body.slice(0, 300)).toBe(303);
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect((claims.context as { user: Record<string, unknown> }).user).toEqual({ id: 'rtyler', name: 'Rose Tyler', email: 'rtyler@badwolf.org', moderator: false });
  });

  it('single logout: LemonLDAP POSTs the logoutRequest to the service URL and the gateway session ends', async () => {
    const browser = new CasBrowser();
    await signIn(browser, 'slo-one', 'llngcas');
    expect(await stillMints(browser, 'slo-two', 'llngcas')).toBe(true);
    await casLogout(idp.casUrl, browser.lemonldapCookie());
    await expect.poll(() => stillMints(browser, 'slo-three', 'llngcas'), { timeout: 10_000, interval: 250 }).toBe(false);
  });

  it('INVALID_TICKET (a ticket validated once already) tells the operator what it means', async () => {
    const browser = new CasBrowser();
    const first = await signIn(browser, 'ticket-one', 'llngcas');
    expect(first.final.status).toBe(303);
    // A second login transaction (a browser without a gateway session), answered with the first,
    // already validated, ticket.
    const second = browser.withOnlyCasSession();
    const start = await second.request(loginUrl('ticket-two', 'llngcas'));
    const service = new URL(start.location ?? '').searchParams.get('service') ?? '';
    const ticket = new URL(first.callbackUrl).searchParams.get('ticket') ?? '';
    const from = lines.length;
    const step = await second.request(`${service}&ticket=${ticket}`);
    expect(step.status).toBe(400);
    const line = logSince(from).find((entry) => entry.casCode === 'INVALID_TICKET');
    expect(String(line?.msg)).toContain('llngcas: CAS answered INVALID_TICKET: the ticket is unknown to the CAS server, already validated or expired');
    expect(JSON.stringify(line)).not.toContain(ticket);
  });

  it('INVALID_SERVICE (a ticket brought to another sign-in) tells the operator both readings', async () => {
    const signedIn = new CasBrowser();
    await signIn(signedIn, 'svc-zero', 'llngcas');
    const browser = signedIn.withOnlyCasSession(); // LemonLDAP session (SSO), no gateway session
    const one = await browser.request(loginUrl('svc-one', 'llngcas'));
    const two = await browser.request(loginUrl('svc-two', 'llngcas'));
    const ticketForOne = new URL((await browser.atIdp(one.location ?? '')).location).searchParams.get('ticket') ?? '';
    const serviceTwo = new URL(two.location ?? '').searchParams.get('service') ?? '';
    const from = lines.length;
    const step = await browser.request(`${serviceTwo}&ticket=${ticketForOne}`);
    expect(step.status).toBe(400);
    const line = logSince(from).find((entry) => entry.casCode === 'INVALID_SERVICE');
    expect(String(line?.msg)).toContain('CAS answered INVALID_SERVICE: the ticket was issued for another service URL than the one validated');
    expect(String(line?.msg)).toContain('if it happens to everyone');
  });
});

describe('providers check against LemonLDAP::NG 2.16', () => {
  const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
  async function check(name: string, providers: Record<string, unknown>): Promise<{ code: number; stdout: string }> {
    const file = join(mkdtempSync(join(tmpdir(), 'jsg-llng-check-')), 'config.yaml');
    writeFileSync(file, stringify({ ...gatewayConfig, policy: undefined, store: undefined, providers }));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'providers', 'check', name, '--config', file], { env: { PATH: process.env.PATH } });
      return { code: 0, stdout };
    } catch (error) {
      return { code: (error as { code: number }).code, stdout: (error as { stdout: string }).stdout };
    }
  }
  const oidc = () => ({ preset: 'lemonldap-oidc', issuer: idp.oidcIssuer, clientId: idp.clientId, clientSecret: idp.clientSecret });

  it('the presets at their defaults are ready (client authenticated, CAS validation answers for the service URL)', async () => {
    const llng = await check('llng', { llng: oidc() });
    expect(llng.stdout).toContain('✓ client authentication: the IdP authenticated client jitsi-gw with client_secret_post');
    expect(llng.code).toBe(0);
    const cas = await check('llngcas', { llngcas: { preset: 'lemonldap-cas', baseUrl: idp.casUrl } });
    expect(cas.stdout).toContain('(a made-up ticket is refused with INVALID_TICKET)');
    expect(cas.code).toBe(0);
  });

  it('client_secret_basic (the old default): LemonLDAP refuses the form-encoded client id, and the fix says so', async () => {
    const basic = await check('llng', { llng: { ...oidc(), clientAuth: 'client_secret_basic' } });
    expect(basic.stdout).toContain("✗ client authentication: the IdP refused the gateway's client authentication (method client_secret_basic, client id jitsi-gw)");
    expect(basic.stdout).toContain('which some IdPs such as LemonLDAP::NG do not decode: use client_secret_post there');
    expect(basic.code).toBe(1);
  });
});
