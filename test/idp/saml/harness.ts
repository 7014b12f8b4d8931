/**
 * SAML test harness: a real gateway (real Redis) with a `saml` provider whose IdP is the test IdP
 * of test/support/saml-idp.ts, and a scripted browser that starts a login, lets the test IdP
 * "answer", and POSTs the Response to the ACS like the IdP's auto-submitting form would.
 */
import { expect } from 'vitest';
import { freePort, gatewaySettings, jitsiState, ScriptedBrowser, startGateway, type RunningGateway, type Step } from '../../login/harness.js';
import { makeKeyPair, redirectMessage, TestSamlIdp, type KeyPair, type SpEndpoints } from '../../support/saml-idp.js';

export interface SamlBench {
  gw: RunningGateway;
  idp: TestSamlIdp;
  spKeys: KeyPair;
  sp: SpEndpoints & { sloUrl: string; metadataUrl: string };
  provider: string;
}

export const SP_KEYS: KeyPair = makeKeyPair('jitsi-gateway-sp');
export const TEST_IDP = new TestSamlIdp();

export async function startSamlGateway(
  redisUrl: string,
  providerSettings: Record<string, unknown> = {},
  options: { idp?: TestSamlIdp; metadata?: string; extra?: Record<string, unknown>; port?: number; prefix?: string } = {},
): Promise<SamlBench> {
  const idp = options.idp ?? TEST_IDP;
  const port = options.port ?? (await freePort());
  const provider = 'uni';
  const settings = gatewaySettings(
    port,
    redisUrl,
    {
      [provider]: {
        kind: 'saml',
        displayName: 'Test University',
        idp: { metadata: options.metadata ?? idp.metadata({ scopes: ['example.org'] }) },
        sp: { privateKey: SP_KEYS.key, certificate: SP_KEYS.cert },
        ...providerSettings,
      },
    },
    options.extra ?? {},
  );
  if (options.prefix) (settings.store as Record<string, unknown>).prefix = options.prefix;
  const gw = await startGateway(settings, port);
  const base = `${gw.url}/auth/${provider}`;
  return { gw, idp, spKeys: SP_KEYS, provider, sp: { entityId: `${base}/metadata`, acsUrl: `${base}/callback`, sloUrl: `${base}/logout`, metadataUrl: `${base}/metadata` } };
}

export const loginUrl = (gw: RunningGateway, room = 'physics', tenant = 'acme') => `${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant })}`;

/** GET /login → the redirect to the IdP: the AuthnRequest's ID and the RelayState. */
export async function startLogin(bench: SamlBench, browser: ScriptedBrowser, room = 'physics'): Promise<{ requestId: string; relayState: string; location: string; xml: string }> {
  const step = await browser.request(loginUrl(bench.gw, room));
  expect(step.status, step.body.slice(0, 300)).toBe(303);
  const location = step.location ?? '';
  expect(location.startsWith(bench.idp.ssoUrl)).toBe(true);
  const message = redirectMessage(location);
  return { requestId: message.id, relayState: message.relayState ?? '', location, xml: message.xml };
}

/** POSTs a SAMLResponse to the ACS (as the IdP's form) and follows the gateway's 303 to the callback. */
export async function postResponse(bench: SamlBench, browser: ScriptedBrowser, samlResponse: string, relayState: string | undefined): Promise<{ post: Step; final: Step }> {
  const form = new URLSearchParams({ SAMLResponse: samlResponse });
  if (relayState !== undefined) form.set('RelayState', relayState);
  const post = await browser.request(bench.sp.acsUrl, { form });
  if (post.status !== 303) return { post, final: post };
  const final = await browser.request(post.location ?? '');
  return { post, final };
}
