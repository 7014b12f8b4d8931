import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamlProvider } from '../../src/idp/saml/index.js';
import type { Policy } from '../../src/policy/policy.js';
import { ensureLemonldap, samlFormLogin, type LemonldapInstance } from '../support/lemonldap.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeKeyPair } from '../support/saml-idp.js';
import { freePort, gatewaySettings, jitsiState, ScriptedBrowser, startGateway, TARGET_URL, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway } from './harness.js';

/**
 * The SAML journey against a REAL SAML 2.0 IdP: LemonLDAP::NG 2.16 (Lasso 2.8) from Debian's
 * packages, with the gateway registered from its own SP metadata URL. The IdP wants signed
 * AuthnRequests, encrypts assertions to the SP certificate and names attributes by OID:
 *
 *   Jitsi's tokenAuthUrl → /login → signed AuthnRequest (HTTP-Redirect) → the real login form
 *   (cookie-jar client) → the IdP's auto-submitted form → ACS → signed + encrypted assertion →
 *   token for the room; then SP-initiated single logout through the IdP and back.
 */

const IDP_PORT = Number(process.env.JSG_TEST_SAML_IDP_PORT ?? 18961);
const SP_KEYS = makeKeyPair('jitsi-gateway-sp-llng');

/** timelords moderate, everyone else participates. */
const POLICY: Policy = {
  async decide({ identity }) {
    return identity.groups.includes('timelords') ? { allow: true, role: 'moderator', rule: 'timelords' } : { allow: true, role: 'participant', rule: 'default' };
  },
};

let redis: RedisServer;
let idp: LemonldapInstance;
let gw: RunningGateway;

const loginUrl = (room: string) => `${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}`;

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedis();
  const metadataUrl = `http://127.0.0.1:${IDP_PORT}/saml/metadata/idp`;
  // The gateway starts first (its IdP metadata is not there yet: sign-in unavailable until it
  // loads), so that LemonLDAP::NG can register it from its SP metadata URL.
  gw = await startGateway(
    gatewaySettings(port, redis.url, {
      llng: { kind: 'saml', displayName: 'LemonLDAP::NG', idp: { metadataUrl }, sp: { privateKey: SP_KEYS.key, certificate: SP_KEYS.cert } },
    }),
    port,
    { policy: POLICY },
  );
  idp = await ensureLemonldap({
    port: IDP_PORT,
    saml: { spMetadataUrl: `${gw.url}/auth/llng/metadata`, signedRequests: true, encrypt: 'assertion', attributeNames: 'oid' },
  });
  await (gw.gateway.services.providers.get('llng') as SamlProvider).refreshMetadata();
}, 600_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
  if (idp && process.env.JSG_TEST_KEEP_IDP !== '1') await idp.stop();
}, 120_000);

describe('SAML 2.0 with LemonLDAP::NG', () => {
  let idpCookie = '';
  const browser = new ScriptedBrowser();

  it('signs in dwho through the real login form and mints a token for the room', async () => {
    expect(idp.samlEntityId).toBe(`http://127.0.0.1:${IDP_PORT}/saml/metadata`);
    const start = await browser.request(loginUrl('tardis'));
    expect(start.status, start.body.slice(0, 300)).toBe(303);
    const sso = new URL(start.location ?? '');
    expect(sso.origin + sso.pathname).toBe(`http://127.0.0.1:${IDP_PORT}/saml/singleSignOn`);
    // The IdP wants signed requests: the gateway signed this one (its metadata says so).
    expect(sso.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');

    const post = await samlFormLogin(sso.href, 'dwho', 'dwho');
    expect(post.formShown).toBe(true);
    expect(post.action).toBe(`${gw.url}/auth/llng/callback`);
    expect(Buffer.from(post.fields.get('SAMLResponse') ?? '', 'base64').toString()).toContain('EncryptedAssertion');
    idpCookie = post.cookie;

    const parked = await browser.request(post.action, { form: post.fields });
    expect(parked.status).toBe(303);
    const final = await browser.request(parked.location ?? '');
    expect(final.status, final.body.slice(0, 400)).toBe(303);
    expect(final.location?.startsWith(`${TARGET_URL}/acme/tardis#jwt=`)).toBe(true);
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect(claims.room).toBe('tardis');
    expect(claims.sub).toBe('acme');
    const user = (claims.context as { user: Record<string, unknown> }).user;
    expect(user).toMatchObject({ name: 'Doctor Who', email: 'dwho@badwolf.org', moderator: true });
  });

  it('single sign-on: a second room needs neither the IdP nor the form', async () => {
    const step = await browser.request(loginUrl('gallifrey'));
    expect(step.location?.startsWith(`${TARGET_URL}/acme/gallifrey#jwt=`)).toBe(true);
  });

  it('single logout: the gateway sends a signed LogoutRequest, LemonLDAP::NG ends its session and answers', async () => {
    const out = await browser.logout(`${gw.url}/logout`);
    expect(out.status).toBe(303);
    const slo = new URL(out.location ?? '');
    expect(slo.origin + slo.pathname).toBe(`http://127.0.0.1:${IDP_PORT}/saml/singleLogout`);
    expect(slo.searchParams.get('Signature')).toBeTruthy();
    const atIdp = await fetch(slo.href, { redirect: 'manual', headers: { cookie: idpCookie } });
    await atIdp.body?.cancel();
    expect(atIdp.status).toBe(302);
    const back = atIdp.headers.get('location') ?? '';
    expect(back.startsWith(`${gw.url}/auth/llng/logout?SAMLResponse=`)).toBe(true);
    const done = await browser.request(back);
    expect(done.status, done.body.slice(0, 300)).toBe(200);
    expect(done.body).toMatch(/signed out/i);
    // Neither the gateway session nor the IdP session is left: a new login shows the form again.
    const again = await browser.request(loginUrl('tardis'));
    expect(again.location?.startsWith(`http://127.0.0.1:${IDP_PORT}/saml/singleSignOn`)).toBe(true);
    const next = await samlFormLogin(again.location ?? '', 'rtyler', 'rtyler', idpCookie);
    expect(next.formShown).toBe(true);
    idpCookie = next.cookie;
    const parked = await browser.request(next.action, { form: next.fields });
    const final = await browser.request(parked.location ?? '');
    expect(final.location?.startsWith(`${TARGET_URL}/acme/tardis#jwt=`)).toBe(true);
  });

  it("IdP-initiated logout: LemonLDAP::NG's logout page calls the gateway's SLO URL with a signed LogoutRequest, which ends rtyler's session", async () => {
    const stillMints = async () => ((await browser.request(loginUrl('again'))).location ?? '').startsWith(`${TARGET_URL}/acme/again#jwt=`);
    expect(await stillMints()).toBe(true);
    const page = await fetch(`${idp.baseUrl}/?logout=1`, { headers: { cookie: idpCookie, accept: 'text/html' } });
    const html = await page.text();
    const src = [...html.matchAll(/<iframe[^>]*\ssrc="([^"]+)"/g)].map((match) => (match[1] ?? '').replace(/&amp;/g, '&')).find((url) => url.includes('/auth/llng/logout?SAMLRequest='));
    expect(src, html.slice(0, 600)).toBeTruthy();
    // The iframe is a third-party context: it carries none of the gateway's cookies.
    const step = await new ScriptedBrowser().request(new URL(src ?? '', idp.baseUrl).href);
    expect(step.status, step.body.slice(0, 300)).toBe(303);
    expect(step.location?.startsWith(`http://127.0.0.1:${IDP_PORT}/saml/singleLogout`)).toBe(true);
    expect(new URL(step.location ?? '').searchParams.get('SAMLResponse')).toBeTruthy();
    expect(await stillMints()).toBe(false);
  });
});
