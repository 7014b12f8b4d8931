import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asJson, expectRejected, freePort, gatewaySettings, jitsiState, ScriptedBrowser, startGateway, TARGET_URL, type RunningGateway } from '../login/harness.js';
import { startOidcProvider, startTamperingProxy, type TamperingProxy, type TestOidcProvider } from '../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/**
 * Finding 10 of issue 16: ID token details. `azp`, when present, must be the gateway's client id
 * also for a single-audience token (docs/oidc.md said it was checked; openid-client compares it
 * only for several audiences); an `iat` in the future beyond clockToleranceSeconds is refused.
 * The real oidc-provider issues the token; the tampering proxy re-signs it with the provider's own
 * key with one claim changed (a correct IdP never sends such a token: the fault is the proxy's).
 */

const SECRET = 'gateway-secret-0123456789';
let redis: RedisServer;
let idp: TestOidcProvider;
let proxy: TamperingProxy;
let gw: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  idp = await startOidcProvider({ clients: [{ client_id: 'gateway', client_secret: SECRET, redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`] }] });
  proxy = await startTamperingProxy(idp);
  gw = await startGateway(gatewaySettings(port, redis.url, { corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'gateway', clientSecret: SECRET, backchannelUrl: proxy.url, clockToleranceSeconds: 30 } }), port);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await proxy?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const loginUrl = (room: string) => `${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}`;
const now = () => Math.floor(Date.now() / 1000);

async function callbackWith(changes: Record<string, unknown>) {
  proxy.setIdTokenChanges(changes);
  try {
    const browser = new ScriptedBrowser();
    const callback = await browser.loginToCallback(loginUrl('claims'));
    return await asJson(browser, callback);
  } finally {
    proxy.setIdTokenChanges(undefined);
  }
}

describe('ID token claims openid-client leaves to the gateway', () => {
  it('refuses a single-audience ID token whose azp is another client', async () => {
    const { step, error } = await callbackWith({ aud: 'gateway', azp: 'another-client' });
    expectRejected(step, 400);
    expect(error).toMatchObject({ error: 'invalid_request', message: expect.stringMatching(/another application \(authorized party mismatch\)/) });
  });

  it('refuses an ID token issued an hour in the future', async () => {
    const { step, error } = await callbackWith({ iat: now() + 3600 });
    expectRejected(step, 502);
    expect(error.error).toBe('idp_error');
    expect(error.message).toMatch(/misconfigured/);
  });

  it.each([
    ['azp equal to the client id', () => ({ azp: 'gateway' })],
    ['iat a few seconds ahead (within clockToleranceSeconds)', () => ({ iat: now() + 10 })],
  ])('accepts %s', async (_what, changes) => {
    proxy.setIdTokenChanges(changes());
    try {
      const { final } = await new ScriptedBrowser().login(loginUrl('fine'));
      expect(final.location).toMatch(new RegExp(`^${TARGET_URL}/acme/fine#jwt=`));
    } finally {
      proxy.setIdTokenChanges(undefined);
    }
  });
});
