import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { startOidcProvider, startTamperingProxy, type TamperingProxy, type TestOidcProvider } from '../../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { freePort, gatewaySettings, groupPolicy, jitsiState, ScriptedBrowser, startGateway, type RunningGateway, type Step } from '../../login/harness.js';

/**
 * IdP-side failures are named for the operator (issue 13): each class of misconfiguration gives
 * the person a page that says sign-in is misconfigured (no "start again": it cannot help) and the
 * operator one log line naming the cause and the setting to fix. All against a real oidc-provider;
 * the tampering proxy stands in only for an IdP whose clock is off (a real IdP on this machine
 * shares the gateway's clock).
 */

const SECRET = 'gateway-secret-0123456789';
let redis: RedisServer;
let idp: TestOidcProvider;
let other: TestOidcProvider;
let proxy: TamperingProxy;
let gw: RunningGateway;
const lines: string[] = [];

const PROVIDERS = ['wrongsecret', 'wrongmethod', 'issuer', 'down', 'nokey', 'skew', 'noclaim'] as const;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  const callbacks = PROVIDERS.map((name) => `http://127.0.0.1:${port}/auth/${name}/callback`);
  idp = await startOidcProvider({
    claimsOnlyInUserinfo: false,
    clients: [
      { client_id: 'gw-basic', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: callbacks },
      // Registered for another method than the gateway uses (oidc-provider treats basic and post
      // as one, so a public client stands in for Okta / ZITADEL enforcing the registered method).
      { client_id: 'gw-public', token_endpoint_auth_method: 'none', redirect_uris: callbacks },
    ],
  });
  other = await startOidcProvider({ clients: [{ client_id: 'x', client_secret: SECRET, redirect_uris: callbacks }] });
  proxy = await startTamperingProxy(idp);
  const base = { kind: 'oidc', issuer: idp.issuer, clientId: 'gw-basic', clientSecret: SECRET, displayName: 'Corp SSO' };
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  gw = await startGateway(
    gatewaySettings(port, redis.url, {
      wrongsecret: { ...base, clientSecret: 'not-the-registered-secret' },
      wrongmethod: { ...base, clientId: 'gw-public' }, // clientAuth left at client_secret_basic
      issuer: { ...base, issuer: `${idp.issuer}/` },
      down: { ...base, issuer: `http://127.0.0.1:${await freePort()}` },
      nokey: { ...base, endpoints: { jwks: `${other.issuer}/jwks` } },
      skew: { ...base, endpoints: { token: `${proxy.url}/token` }, clockToleranceSeconds: 30 },
      noclaim: { ...base, claims: { id: 'employee_number' }, userinfo: 'never' },
    }),
    port,
    { policy: groupPolicy, logger },
  );
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await proxy?.stop();
  await other?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const loginUrl = (provider: string) => `${gw.url}/login?room=sync&state=${jitsiState({ room: 'sync', tenant: 'acme' })}&provider=${provider}`;

/** The log lines (parsed) written since `from`. */
const logSince = (from: number) => lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);

function expectMisconfiguredPage(step: Step): void {
  expect(step.status).toBe(502);
  expect(step.body).toContain('<h1>Sign-in is misconfigured</h1>');
  expect(step.body).toContain('starting again will not help');
  expect(step.body).not.toContain('Start again</a>');
  expect(step.body).not.toMatch(/jwt=|eyJ[A-Za-z0-9_-]{10,}\./);
}

async function loginThrough(provider: string): Promise<{ final: Step; log: Array<Record<string, unknown>> }> {
  const from = lines.length;
  const { final } = await new ScriptedBrowser().login(loginUrl(provider));
  return { final, log: logSince(from) };
}

describe('failures named for the operator (real oidc-provider)', () => {
  it('invalid_client at the token endpoint: "the IdP refused the gateway\'s client authentication", the page says misconfigured (a wrong secret)', async () => {
    const { final, log } = await loginThrough('wrongsecret');
    expectMisconfiguredPage(final);
    const line = log.find((entry) => String(entry.msg).includes("the IdP refused the gateway's client authentication"));
    expect(String(line?.msg)).toEqual(
      expect.stringContaining("wrongsecret: the IdP refused the gateway's client authentication (method client_secret_basic, client id gw-basic); check the secret and clientAuth"),
    );
    expect(line).toMatchObject({ level: 'error', code: 'idp_error', misconfigured: true, status: 502 });
    expect(JSON.stringify(log)).not.toContain('not-the-registered-secret');
  });

  it('invalid_client because the client is registered for another method (stands in for Okta / ZITADEL enforcing token_endpoint_auth_method)', async () => {
    const { final, log } = await loginThrough('wrongmethod');
    expectMisconfiguredPage(final);
    expect(log.some((entry) => String(entry.msg).includes('(method client_secret_basic, client id gw-public); check the secret and clientAuth'))).toBe(true);
  });

  it('issuer mismatch in the discovery document: misconfigured, naming both issuers and the fix', async () => {
    const from = lines.length;
    const step = await new ScriptedBrowser().request(loginUrl('issuer'));
    expectMisconfiguredPage(step);
    const text = logSince(from).map((entry) => String(entry.msg)).join('\n');
    expect(text).toContain(`names issuer "${idp.issuer}", not the configured "${idp.issuer}/"`);
    expect(text).toContain('set issuer to the value of "issuer" in the discovery document');
  });

  it('discovery unreachable: "cannot be reached" for the person (retry may help), what to check for the operator', async () => {
    const from = lines.length;
    const step = await new ScriptedBrowser().request(loginUrl('down'));
    expect(step.status).toBe(502);
    expect(step.body).not.toContain('Sign-in is misconfigured');
    const entries = logSince(from);
    expect(entries.some((entry) => entry.code === 'idp_unavailable')).toBe(true);
    await expect.poll(() => lines.some((line) => line.includes('identity provider metadata could not be loaded') && line.includes('check that the gateway reaches the IdP')), { timeout: 5000 }).toBe(true);
  });

  it('a JWKS without the signing key: misconfigured, naming the kid and the JWKS URL', async () => {
    const { final, log } = await loginThrough('nokey');
    expectMisconfiguredPage(final);
    const text = log.map((entry) => String(entry.msg)).join('\n');
    expect(text).toContain(`the IdP's JWKS (${other.issuer}/jwks) has no key that verifies the ID token (no key in the JWKS fits the ID token (kid "test-${idp.port}", alg RS256))`);
  });

  it('clock skew: an ID token already expired by the gateway\'s clock names the claim, the offset and the fix', async () => {
    proxy.setIdTokenChanges({ exp: Math.floor(Date.now() / 1000) - 300 });
    try {
      const { final, log } = await loginThrough('skew');
      expectMisconfiguredPage(final);
      const text = log.map((entry) => String(entry.msg)).join('\n');
      expect(text).toMatch(/the ID token is already expired by the gateway's clock \("exp" off by 3\d\d s, clockToleranceSeconds 30\): the clocks of the gateway and the IdP differ; synchronise both clocks \(NTP\)/);
    } finally {
      proxy.setIdTokenChanges(undefined);
    }
  });

  it('clock skew: an ID token not valid yet (nbf in the future)', async () => {
    proxy.setIdTokenChanges({ nbf: Math.floor(Date.now() / 1000) + 600 });
    try {
      const { final, log } = await loginThrough('skew');
      expectMisconfiguredPage(final);
      expect(log.map((entry) => String(entry.msg)).join('\n')).toMatch(/not valid yet by the gateway's clock \("nbf" off by (599|600|601) s/);
    } finally {
      proxy.setIdTokenChanges(undefined);
    }
  });

  it('a missing required claim: misconfigured, naming the mapping and the claims the IdP did send', async () => {
    const { final, log } = await loginThrough('noclaim');
    expectMisconfiguredPage(final);
    const text = log.map((entry) => String(entry.msg)).join('\n');
    expect(text).toContain('the identity provider sent no usable "employee_number" claim');
    expect(text).toMatch(/it sent [^;]*\bsub\b/);
    expect(text).toContain('map claims.id');
  });
});
