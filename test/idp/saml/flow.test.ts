import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamlProvider } from '../../../src/idp/saml/index.js';
import { ScriptedBrowser, TARGET_URL, tokenFromJoinUrl, verifyWithGatewayKeys, type Step } from '../../login/harness.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { encodeResponse, makeKeyPair, redirectMessage, TestSamlIdp, TRANSIENT } from '../../support/saml-idp.js';
import { loginUrl, postResponse, startLogin, startSamlGateway, type SamlBench } from './harness.js';

/**
 * The SAML login through the whole gateway with the test IdP (test/support/saml-idp.ts) and a real
 * redis-server: /login → AuthnRequest (HTTP-Redirect, RelayState = transaction) → signed Response
 * POSTed to the ACS → parked, 303 → callback → identity from the attributes → room-scoped token.
 */

let redis: RedisServer;
let bench: SamlBench;
const TEST_METADATA_IDP = new TestSamlIdp({ baseUrl: 'https://idp.metadata-url.example.org/idp' });

const EPPN = { name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', friendlyName: 'eduPersonPrincipalName', values: ['alice@example.org'] };
const MAIL = { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', values: ['alice@mail.example.org'] };
const NAME = { name: 'urn:oid:2.16.840.1.113730.3.1.241', friendlyName: 'displayName', values: ['Alice Liddell'] };
const GROUPS = { name: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1', friendlyName: 'isMemberOf', values: ['physics-staff', 'moderators'] };

beforeAll(async () => {
  redis = await startRedis();
  bench = await startSamlGateway(redis.url);
}, 60_000);

afterAll(async () => {
  await bench?.gw.stop();
  await redis?.destroy();
});

describe('SAML login with the test IdP', () => {
  it('ends in a token for the room, with the person from the eduPerson attributes', async () => {
    const browser = new ScriptedBrowser();
    const { requestId, relayState, xml } = await startLogin(bench, browser, 'physics');
    expect(xml).toContain(`AssertionConsumerServiceURL="${bench.sp.acsUrl}"`);
    expect(xml).toContain(`<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${bench.sp.entityId}</saml:Issuer>`);
    const response = await bench.idp.response(bench.sp, { requestId, attributes: [EPPN, MAIL, NAME, GROUPS] });
    const { post, final } = await postResponse(bench, browser, encodeResponse(response), relayState);
    expect(post.status).toBe(303);
    expect(post.location).toMatch(/\/auth\/uni\/callback\?posted=[A-Za-z0-9_-]{22}$/);
    expect(final.status, final.body.slice(0, 400)).toBe(303);
    expect(final.location?.startsWith(`${TARGET_URL}/acme/physics#jwt=`)).toBe(true);
    const claims = await verifyWithGatewayKeys(bench.gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect(claims.room).toBe('physics');
    const user = (claims.context as { user: Record<string, unknown> }).user;
    expect(user).toMatchObject({ name: 'Alice Liddell', email: 'alice@mail.example.org' });
  });

  it('a transient NameID is no person id: with no stable id attribute released, no login', async () => {
    const browser = new ScriptedBrowser();
    const { requestId, relayState } = await startLogin(bench, browser);
    const response = await bench.idp.response(bench.sp, {
      requestId,
      nameIdFormat: TRANSIENT,
      attributes: [
        { name: 'urn:oid:2.5.4.42', values: ['Bob'] },
        { name: 'urn:oid:2.5.4.4', values: ['Builder'] },
        { name: 'urn:mace:dir:attribute-def:mail', values: ['bob@example.org'] },
      ],
    });
    const { final } = await postResponse(bench, browser, encodeResponse(response), relayState);
    expect(final.status).toBe(502);
    expect(final.body).toMatch(/did not release the attribute that identifies you/);
  });
});

describe('SP metadata and IdP metadata', () => {
  it('publishes the SP metadata at a stable URL: entityID, ACS (POST), SLO (Redirect), certificate', async () => {
    const response = await fetch(bench.sp.metadataUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    const xml = await response.text();
    expect(xml).toContain(`entityID="${bench.sp.entityId}"`);
    expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${bench.sp.acsUrl}"`);
    expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${bench.sp.sloUrl}"`);
    expect(xml).toContain(bench.spKeys.cert.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
  });

  it('accepts an encrypted assertion (to the SP certificate)', async () => {
    const browser = new ScriptedBrowser();
    const { requestId, relayState } = await startLogin(bench, browser, 'crypto');
    const response = await bench.idp.response(bench.sp, { requestId, encryptTo: bench.spKeys.cert, sign: 'assertion', attributes: [{ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', values: ['carol@example.org'] }] });
    expect(response).toContain('EncryptedAssertion');
    const { final } = await postResponse(bench, browser, encodeResponse(response), relayState);
    expect(final.status, final.body.slice(0, 300)).toBe(303);
    expect(final.location?.startsWith(`${TARGET_URL}/acme/crypto#jwt=`)).toBe(true);
  });

  it('metadata from a URL: a key rollover is picked up on refresh; a failed refresh keeps the last good copy and is counted', async () => {
    const next = makeKeyPair('next-idp-key');
    let body = TEST_METADATA_IDP.metadata();
    let status = 200;
    const server: Server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/samlmetadata+xml' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
    const urlBench = await startSamlGateway(redis.url, { idp: { metadataUrl: url } }, { idp: TEST_METADATA_IDP });
    try {
      const provider = urlBench.gw.gateway.services.providers.get('uni') as SamlProvider;
      const login = async (signer = TEST_METADATA_IDP.keys): Promise<Step> => {
        const browser = new ScriptedBrowser();
        const { requestId, relayState } = await startLogin(urlBench, browser);
        const response = await urlBench.idp.response(urlBench.sp, { requestId, signer, attributes: [{ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', values: ['dan@example.org'] }] });
        return (await postResponse(urlBench, browser, encodeResponse(response), relayState)).final;
      };
      expect((await login()).status).toBe(303);
      expect((await login(next)).status).toBe(400);
      // Rollover: the IdP publishes both certificates, then signs with the new one.
      body = TEST_METADATA_IDP.metadata({ certs: [TEST_METADATA_IDP.keys.cert, next.cert] });
      await provider.refreshMetadata();
      expect((await login(next)).status).toBe(303);
      expect((await login()).status).toBe(303);
      // The metadata server fails: the last good copy stays in use, the failure is counted.
      status = 500;
      await provider.refreshMetadata();
      expect((await login(next)).status).toBe(303);
      expect(await provider.ready()).toEqual({ ok: true });
      const metric = await urlBench.gw.gateway.services.metrics.registry.getSingleMetricAsString('jsg_saml_metadata_refresh_failures_total');
      expect(metric).toMatch(/jsg_saml_metadata_refresh_failures_total\{provider="uni"\} 1/);
    } finally {
      await urlBench.gw.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('IdP-initiated sign-in', () => {
  const unsolicited = (target: SamlBench) => target.idp.response(target.sp, { requestId: undefined, attributes: [{ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', values: ['frank@example.org'] }] });

  it('is refused while allowIdpInitiated is off (the default)', async () => {
    const { final } = await postResponse(bench, new ScriptedBrowser(), encodeResponse(await unsolicited(bench)), undefined);
    expect(final.status).toBe(400);
    expect(final.location).toBeUndefined();
  });

  it('with allowIdpInitiated: an unsolicited response opens a session and lands on Jitsi; a meeting then needs no IdP round trip', async () => {
    const portal = await startSamlGateway(redis.url, { allowIdpInitiated: true });
    try {
      const browser = new ScriptedBrowser();
      const { final } = await postResponse(portal, browser, encodeResponse(await unsolicited(portal)), undefined);
      expect(final.status, final.body.slice(0, 300)).toBe(303);
      expect(final.location).toBe(TARGET_URL);
      const room = await browser.request(loginUrl(portal.gw, 'portal'));
      expect(room.location?.startsWith(`${TARGET_URL}/acme/portal#jwt=`)).toBe(true);
      // A response that answers some AuthnRequest is not unsolicited: refused without its transaction.
      const solicited = await portal.idp.response(portal.sp, { requestId: '_someone-elses-request', attributes: [{ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', values: ['frank@example.org'] }] });
      expect((await postResponse(portal, new ScriptedBrowser(), encodeResponse(solicited), undefined)).final.status).toBe(400);
    } finally {
      await portal.gw.stop();
    }
  });
});

describe('Single Logout', () => {
  async function signedIn(room = 'slo'): Promise<{ browser: ScriptedBrowser; sessionIndex: string; nameId: string }> {
    const browser = new ScriptedBrowser();
    const { requestId, relayState } = await startLogin(bench, browser, room);
    const sessionIndex = `_s${Math.random().toString(16).slice(2)}`;
    const nameId = `_n${Math.random().toString(16).slice(2)}`;
    const response = await bench.idp.response(bench.sp, { requestId, sessionIndex, nameId, attributes: [{ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', values: ['erin@example.org'] }] });
    const { final } = await postResponse(bench, browser, encodeResponse(response), relayState);
    expect(final.status).toBe(303);
    return { browser, sessionIndex, nameId };
  }

  const stillMints = async (browser: ScriptedBrowser) => ((await browser.request(loginUrl(bench.gw, 'another'))).location ?? '').startsWith(`${TARGET_URL}/acme/another#jwt=`);

  it('IdP-initiated: a signed LogoutRequest ends the session it names (from another browser context) and is answered with a signed LogoutResponse', async () => {
    const { browser, sessionIndex, nameId } = await signedIn();
    const bystander = await signedIn();
    expect(await stillMints(browser)).toBe(true);
    const xml = bench.idp.logoutRequest(bench.sp, { nameId, sessionIndex, id: '_logout1' });
    const step = await new ScriptedBrowser().request(`${bench.sp.sloUrl}?${bench.idp.redirectQuery('SAMLRequest', xml, 'relay-1')}`);
    expect(step.status).toBe(303);
    expect(step.location?.startsWith(bench.idp.sloUrl)).toBe(true);
    const answer = redirectMessage(step.location ?? '');
    expect(answer.xml).toContain('InResponseTo="_logout1"');
    expect(answer.xml).toContain('urn:oasis:names:tc:SAML:2.0:status:Success');
    expect(answer.relayState).toBe('relay-1');
    expect(new URL(step.location ?? '').searchParams.get('Signature')).toBeTruthy();
    expect(await stillMints(browser)).toBe(false);
    expect(await stillMints(bystander.browser)).toBe(true);
    // The same LogoutRequest again: replay, refused.
    const again = await new ScriptedBrowser().request(`${bench.sp.sloUrl}?${bench.idp.redirectQuery('SAMLRequest', xml, 'relay-1')}`);
    expect(again.status).toBe(400);
  });

  it('SP-initiated: /logout sends a signed LogoutRequest with the NameID and SessionIndex; the IdP answer ends at the signed-out page', async () => {
    const { browser, sessionIndex, nameId } = await signedIn();
    const step = await browser.logout(`${bench.gw.url}/logout`);
    expect(step.status).toBe(303);
    expect(step.location?.startsWith(bench.idp.sloUrl)).toBe(true);
    const request = redirectMessage(step.location ?? '');
    expect(request.xml).toContain(nameId);
    expect(request.xml).toContain(sessionIndex);
    expect(new URL(step.location ?? '').searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(await stillMints(browser)).toBe(false);
    const back = await browser.request(`${bench.sp.sloUrl}?${bench.idp.redirectQuery('SAMLResponse', bench.idp.logoutResponse(bench.sp, request.id))}`);
    expect(back.status).toBe(200);
    expect(back.body).toMatch(/signed out/i);
  });
});
