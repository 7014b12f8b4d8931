import { generateKeyPair, SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../../src/policy/policy.js';
import { startOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';
import { freePort, startRedis, waitUntil, type RedisServer } from '../../support/redis.js';
import {
  carriesNoToken,
  gatewaySettings,
  jitsiState,
  ScriptedBrowser,
  startGateway,
  TARGET_URL,
  tokenFromJoinUrl,
  verifyWithGatewayKeys,
  type RunningGateway,
} from '../../login/harness.js';

/**
 * The options operators need, each against the real provider: client_secret_post and
 * private_key_jwt, claims in the ID token (no userinfo call), nested claim paths, several
 * providers at once, back-channel logout, and an IdP that is down at start-up.
 */

const SECRET = 'gateway-secret-0123456789';
let redis: RedisServer;
let idp: TestOidcProvider;
let second: TestOidcProvider;
let postGw: RunningGateway;
let keyGw: RunningGateway;
let multiGw: RunningGateway;

const clientKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

const teachersModerate: Policy = {
  async decide({ identity }) {
    return { allow: true, role: identity.groups.includes('teacher') ? 'moderator' : 'participant' };
  },
};

beforeAll(async () => {
  redis = await startRedis();
  const [postPort, keyPort, multiPort] = [await freePort(), await freePort(), await freePort()];
  const { createPublicKey } = await import('node:crypto');
  const publicJwk = { ...createPublicKey(clientKey.publicKey).export({ format: 'jwk' }), kid: 'gateway-key-1', alg: 'RS256', use: 'sig' };
  idp = await startOidcProvider({
    claimsOnlyInUserinfo: false,
    clients: [
      { client_id: 'post', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', redirect_uris: [`http://127.0.0.1:${postPort}/auth/corp/callback`] },
      {
        client_id: 'keyed',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS256',
        jwks: { keys: [publicJwk as never] },
        redirect_uris: [`http://127.0.0.1:${keyPort}/auth/corp/callback`],
      },
      {
        client_id: 'multi',
        client_secret: SECRET,
        redirect_uris: [`http://127.0.0.1:${multiPort}/auth/corp/callback`],
        backchannel_logout_uri: `http://127.0.0.1:${multiPort}/auth/corp/backchannel-logout`,
        backchannel_logout_session_required: true,
      },
    ],
  });
  second = await startOidcProvider({
    clients: [{ client_id: 'multi', client_secret: SECRET, redirect_uris: [`http://127.0.0.1:${multiPort}/auth/partner/callback`] }],
  });
  postGw = await startGateway(
    gatewaySettings(postPort, redis.url, {
      corp: {
        kind: 'oidc',
        issuer: idp.issuer,
        clientId: 'post',
        clientSecret: SECRET,
        clientAuth: 'client_secret_post',
        scopes: ['openid', 'profile', 'email', 'roles'],
        claims: { groups: 'realm_access.roles' },
      },
    }),
    postPort,
    { policy: teachersModerate },
  );
  keyGw = await startGateway(
    gatewaySettings(keyPort, redis.url, {
      corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'keyed', clientAuth: 'private_key_jwt', privateKey: clientKey.privateKey, privateKeyId: 'gateway-key-1', scopes: ['openid', 'profile', 'email', 'groups'] },
    }),
    keyPort,
  );
  multiGw = await startGateway(
    gatewaySettings(multiPort, redis.url, {
      corp: { kind: 'oidc', displayName: 'Corp SSO', issuer: idp.issuer, clientId: 'multi', clientSecret: SECRET },
      partner: { kind: 'oidc', displayName: 'Partner login', issuer: second.issuer, clientId: 'multi', clientSecret: SECRET },
    }),
    multiPort,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([postGw?.stop(), keyGw?.stop(), multiGw?.stop()]);
  await Promise.all([idp?.stop(), second?.stop()]);
  await redis?.destroy();
});

const loginUrl = (gw: RunningGateway, room: string, extra = '') => `${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}${extra}`;

async function userOf(gw: RunningGateway, location: string | undefined): Promise<Record<string, unknown>> {
  const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(location ?? ''));
  return (claims.context as { user: Record<string, unknown> }).user;
}

describe('client authentication and claims', () => {
  it('uses client_secret_post, reads claims from the ID token without a userinfo call, and maps a nested claim path', async () => {
    const userinfoCalls = idp.hits.get('/me') ?? 0;
    const { final } = await new ScriptedBrowser().login(loginUrl(postGw, 'nested'));
    expect(final.location).toMatch(new RegExp(`^${TARGET_URL}/acme/nested#jwt=`));
    // realm_access.roles contains "teacher": the policy made Alice a moderator.
    expect(await userOf(postGw, final.location)).toMatchObject({ id: 'alice', name: 'Alice Example', moderator: true });
    expect(idp.hits.get('/me') ?? 0).toBe(userinfoCalls);
    const bob = await new ScriptedBrowser().login(loginUrl(postGw, 'nested'), 'bob');
    expect(await userOf(postGw, bob.final.location)).toMatchObject({ id: 'bob', moderator: false });
  });

  it('uses private_key_jwt', async () => {
    const { final } = await new ScriptedBrowser().login(loginUrl(keyGw, 'keyed'));
    expect(await userOf(keyGw, final.location)).toMatchObject({ id: 'alice', email: 'alice@example.com' });
  });
});

describe('several providers at once', () => {
  it('shows a chooser, logs in at the chosen provider, and switches provider when asked', async () => {
    const browser = new ScriptedBrowser();
    const chooser = await browser.request(loginUrl(multiGw, 'choose'));
    expect(chooser.status).toBe(200);
    const links = [...chooser.body.matchAll(/href="([^"]*provider=([a-z]+)[^"]*)"/g)].map((match) => ({ href: match[1]?.replaceAll('&amp;', '&') ?? '', name: match[2] }));
    expect(links.map((link) => link.name)).toEqual(['corp', 'partner']);
    expect(chooser.body).toContain('Partner login');

    const partner = links[1]?.href ?? '';
    const { final, steps } = await browser.login(new URL(partner, multiGw.url).href);
    expect(steps[0]?.location?.startsWith(second.issuer)).toBe(true);
    expect(await userOf(multiGw, final.location)).toMatchObject({ id: 'alice' });

    // The session is with "partner": asking for "corp" explicitly logs in there.
    const corp = await browser.request(loginUrl(multiGw, 'choose', '&provider=corp'));
    expect(corp.location?.startsWith(idp.issuer)).toBe(true);
    // Without a choice the existing session serves.
    const reuse = await browser.request(loginUrl(multiGw, 'again'));
    expect(reuse.location).toMatch(new RegExp(`^${TARGET_URL}/acme/again#jwt=`));
  });
});

describe('back-channel logout', () => {
  const endpoint = () => `${multiGw.url}/auth/corp/backchannel-logout`;
  const post = (body: string, type = 'application/x-www-form-urlencoded') =>
    fetch(endpoint(), { method: 'POST', headers: { 'content-type': type }, body });
  const logoutToken = (claims: Record<string, unknown>) =>
    idp.sign(
      { iss: idp.issuer, aud: 'multi', iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, ...claims },
      { typ: 'logout+jwt' },
    );

  async function signedIn(user: string): Promise<ScriptedBrowser> {
    const browser = new ScriptedBrowser();
    const { final } = await browser.login(loginUrl(multiGw, `bcl-${user}`, '&provider=corp'), user);
    expect(final.location).toMatch(/#jwt=/);
    return browser;
  }

  const stillSignedIn = async (browser: ScriptedBrowser) => (await browser.request(loginUrl(multiGw, 'check', '&provider=corp'))).location?.startsWith(TARGET_URL) ?? false;

  it('ends exactly the gateway session of the IdP session that logged out (logout token from the real IdP)', async () => {
    const alice = await signedIn('alice');
    const bob = await signedIn('bob');
    // Alice signs out at the IdP itself (another application's logout button, say).
    const confirm = await alice.request(`${idp.issuer}/session/end?client_id=multi`);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    const action = /action="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    await alice.follow(new URL(action, idp.issuer).href, { form: new URLSearchParams({ xsrf, logout: 'yes' }) });

    await waitUntil('alice signed out at the gateway', async () => !(await stillSignedIn(alice)), 5000);
    expect(await stillSignedIn(bob)).toBe(true);
  });

  it.each([
    ['garbage', () => Promise.resolve('logout_token=garbage'), /not a signed JWT/],
    ['two tokens', async () => `logout_token=${await logoutToken({ sub: 'bob' })}&logout_token=x.y.z`, /exactly one logout_token/],
    ['alg none', () => Promise.resolve(`logout_token=${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"bob"}').toString('base64url')}.`), /not a signed JWT/],
    [
      'a key the IdP does not publish',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const jwt = await new SignJWT({ sub: 'bob', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } })
          .setProtectedHeader({ alg: 'RS256', kid: 'not-published' })
          .setIssuer(idp.issuer)
          .setAudience('multi')
          .setIssuedAt()
          .sign(privateKey);
        return `logout_token=${jwt}`;
      },
      /key the identity provider does not publish|signature/,
    ],
    ['another audience', async () => `logout_token=${await logoutToken({ sub: 'bob', aud: 'someone-else' })}`, /another application/],
    ['another issuer', async () => `logout_token=${await logoutToken({ sub: 'bob', iss: 'http://127.0.0.1:1' })}`, /another identity provider/],
    ['a nonce', async () => `logout_token=${await logoutToken({ sub: 'bob', nonce: 'n' })}`, /must not contain a nonce/],
    ['no events claim', async () => `logout_token=${await logoutToken({ sub: 'bob', events: undefined })}`, /events claim/],
    ['no sub and no sid', async () => `logout_token=${await logoutToken({})}`, /neither a subject/],
    ['no jti', async () => `logout_token=${await logoutToken({ sub: 'bob', jti: undefined })}`, /no jti/],
    ['an old iat', async () => `logout_token=${await logoutToken({ sub: 'bob', iat: Math.floor(Date.now() / 1000) - 3600 })}`, /too old/],
  ])('refuses %s with 400 and ends no session', async (_name, body, message) => {
    const bob = await signedIn('bob');
    const response = await post(await body());
    expect(response.status).toBe(400);
    const error = (await response.json()) as { error: string; message: string };
    expect(error.error).toBe('invalid_request');
    expect(error.message).toMatch(message);
    expect(await stillSignedIn(bob)).toBe(true);
  });

  it('refuses a replayed logout token (same jti) with 400', async () => {
    const carol = await signedIn('alice');
    const token = await logoutToken({ sub: 'alice' });
    const first = await post(`logout_token=${token}`);
    expect(first.status).toBe(200);
    expect(await stillSignedIn(carol)).toBe(false);
    const again = await signedIn('alice');
    const replayed = await post(`logout_token=${token}`);
    expect(replayed.status).toBe(400);
    expect(((await replayed.json()) as { message: string }).message).toMatch(/already used/);
    expect(await stillSignedIn(again)).toBe(true);
  });

  it('refuses other media types (415) and unknown providers (404)', async () => {
    expect((await post('{}', 'application/json')).status).toBe(415);
    const unknown = await fetch(`${multiGw.url}/auth/nobody/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'logout_token=a.b.c' });
    expect(unknown.status).toBe(404);
  });

  it('with only sub, ends every session of that person at this provider', async () => {
    const first = await signedIn('bob');
    const other = await signedIn('bob');
    const alice = await signedIn('alice');
    const response = await post(`logout_token=${await logoutToken({ sub: 'bob' })}`);
    expect(response.status).toBe(200);
    expect(await stillSignedIn(first)).toBe(false);
    expect(await stillSignedIn(other)).toBe(false);
    expect(await stillSignedIn(alice)).toBe(true);
  });
});

describe('an IdP that is down', () => {
  it('starts anyway, stays ready (the IdP is shown in /readyz?verbose), answers 502 "unavailable", and recovers when the IdP is back', async () => {
    const idpPort = await freePort();
    const gwPort = await freePort();
    const gw = await startGateway(
      gatewaySettings(gwPort, redis.url, { late: { kind: 'oidc', displayName: 'Late IdP', issuer: `http://127.0.0.1:${idpPort}`, clientId: 'late', clientSecret: SECRET, timeoutMs: 500 } }),
      gwPort,
    );
    let late: TestOidcProvider | undefined;
    try {
      const ready = await fetch(`${gw.url}/readyz?verbose`);
      expect(ready.status).toBe(200);
      const providers = ((await ready.json()) as { identityProviders: Array<{ name: string; ok: boolean; detail?: string }> }).identityProviders;
      expect(providers.find((provider) => provider.name === 'late')).toMatchObject({ ok: false });

      const down = await new ScriptedBrowser().request(loginUrl(gw, 'down'));
      expect(down.status).toBe(502);
      expect(carriesNoToken(down)).toBe(true);
      expect(down.body).toContain('Sign-in with Late IdP is unavailable right now');

      late = await startOidcProvider({ port: idpPort, clients: [{ client_id: 'late', client_secret: SECRET, redirect_uris: [`${gw.url}/auth/late/callback`] }] });
      await waitUntil('the IdP to be usable', async () => (await new ScriptedBrowser().request(loginUrl(gw, 'up'))).status === 303, 10_000, 200);
      const { final } = await new ScriptedBrowser().login(loginUrl(gw, 'up'));
      expect(final.location).toMatch(new RegExp(`^${TARGET_URL}/acme/up#jwt=`));
      await waitUntil('discovery loaded', async () => (await gw.gateway.services.providers.get('late')?.ready())?.ok === true, 5000, 100);
    } finally {
      await gw.stop();
      await late?.stop();
    }
  });

  it('treats a discovery document naming another issuer as unusable (no login, 502)', async () => {
    const gwPort = await freePort();
    const gw = await startGateway(
      gatewaySettings(gwPort, redis.url, {
        wrong: { kind: 'oidc', issuer: 'http://127.0.0.1:9/expected', discoveryUrl: `${idp.issuer}/.well-known/openid-configuration`, clientId: 'x', clientSecret: SECRET },
      }),
      gwPort,
    );
    try {
      await waitUntil('discovery attempted', async () => {
        const body = (await (await fetch(`${gw.url}/readyz?verbose`)).json()) as { identityProviders: Array<{ name: string; detail?: string }> };
        return /names issuer/.test(body.identityProviders.find((provider) => provider.name === 'wrong')?.detail ?? '');
      }, 5000, 100);
      const answer = await new ScriptedBrowser().request(loginUrl(gw, 'x'));
      expect(answer.status).toBe(502);
    } finally {
      await gw.stop();
    }
  });
});
