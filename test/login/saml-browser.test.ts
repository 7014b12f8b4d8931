import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamlProvider } from '../../src/idp/saml/index.js';
import { launchChromium, newContext } from '../support/chromium.js';
import { ensureLemonldap, type LemonldapInstance } from '../support/lemonldap.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { makeKeyPair } from '../support/saml-idp.js';
import { freePort, gatewaySettings, jitsiState, startGateway, TARGET_URL, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway } from './harness.js';

/**
 * The SAML login in real Chromium against LemonLDAP::NG, with the IdP and the gateway on different
 * SITES (IdP http://127.0.0.1, gateway http://localhost): the IdP's auto-submitted form is then a
 * cross-site POST that carries no SameSite=Lax cookie, which is exactly why the ACS parks the answer
 * and continues with a top-level GET. Jitsi (https://meet.example.com) does not exist here: the
 * test reads the gateway's last redirect, the join URL with the token.
 */

const IDP_PORT = Number(process.env.JSG_TEST_SAML_BROWSER_IDP_PORT ?? 18962);
const SP_KEYS = makeKeyPair('jitsi-gateway-sp-browser');

let redis: RedisServer;
let idp: LemonldapInstance;
let gw: RunningGateway;
let browser: Browser;
let publicUrl: string;

beforeAll(async () => {
  const port = await freePort();
  publicUrl = `http://localhost:${port}`;
  redis = await startRedis();
  const settings = gatewaySettings(port, redis.url, {
    llng: { kind: 'saml', displayName: 'LemonLDAP::NG', idp: { metadataUrl: `http://127.0.0.1:${IDP_PORT}/saml/metadata/idp` }, sp: { privateKey: SP_KEYS.key, certificate: SP_KEYS.cert } },
  });
  settings.publicUrl = publicUrl;
  gw = await startGateway(settings, port);
  idp = await ensureLemonldap({ port: IDP_PORT, saml: { spMetadataUrl: `${gw.url}/auth/llng/metadata` } });
  await (gw.gateway.services.providers.get('llng') as SamlProvider).refreshMetadata();
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await redis?.destroy();
  if (idp && process.env.JSG_TEST_KEEP_IDP !== '1') await idp.stop();
}, 120_000);

describe('SAML login in Chromium, cross-site', () => {
  it('meeting link → LemonLDAP::NG login form → auto-submitted SAMLResponse → token for the room', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const room = 'tardis';
    await page.goto(`${publicUrl}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}`);
    await page.waitForURL((url) => url.href.startsWith(`http://127.0.0.1:${IDP_PORT}/saml/singleSignOn`));
    await page.locator('input[name="user"]').fill('rtyler');
    await page.locator('input[name="password"]').fill('rtyler');
    const callback = page.waitForResponse((response) => response.url().startsWith(`${publicUrl}/auth/llng/callback?posted=`), { timeout: 30_000 });
    const acsPost = page.waitForRequest((request) => request.method() === 'POST' && request.url() === `${publicUrl}/auth/llng/callback`, { timeout: 30_000 });
    await page.locator('#lform button[type="submit"]').click();
    // The premise: the cross-site POST from the IdP's page does not carry the login binding cookie.
    expect((await (await acsPost).allHeaders()).cookie ?? '').not.toMatch(/jsg_session_login=/);
    const answer = await callback;
    // …and the GET it continues with does.
    expect((await answer.request().allHeaders()).cookie ?? '').toMatch(/jsg_session_login=/);
    expect(answer.status()).toBe(303);
    const joinUrl = answer.headers().location ?? '';
    expect(joinUrl.startsWith(`${TARGET_URL}/acme/${room}#jwt=`)).toBe(true);
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(joinUrl));
    expect(claims.room).toBe(room);
    expect((claims.context as { user: Record<string, unknown> }).user).toMatchObject({ name: 'Rose Tyler', email: 'rtyler@badwolf.org' });
    await context.close();
  });
});
