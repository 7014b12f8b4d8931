import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { startOidcProvider, type TestAccount, type TestOidcProvider } from '../../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { freePort, gatewaySettings, groupPolicy, jitsiState, ScriptedBrowser, startGateway, TARGET_URL, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway } from '../../login/harness.js';

/**
 * The OIDC presets without a real server here, each against oidc-provider shaped the way that IdP
 * documents itself: the client registered with the preset's client authentication, the claims
 * where that IdP puts them (ID token or only userinfo), its group claim, and its e-mail
 * verification claim. The gateway is configured with nothing but `preset`, the issuer, the client
 * id and the secret. (lemonldap-oidc and lemonldap-cas run against the real LemonLDAP::NG in
 * test/login/lemonldap-presets.test.ts.) oidc-provider accepts client_secret_basic and
 * client_secret_post for either registration, so what these tests show is that each preset logs
 * in with the method it sets, not that the IdP would refuse the other.
 */

interface PresetCase {
  preset: string;
  /** The documented behaviour oidc-provider stands in for. */
  standsInFor: string;
  account: TestAccount['claims'];
  /** Claims in the ID token (true), or only from userinfo (false). */
  idTokenClaims: boolean;
  /** The login name at the test IdP (its `sub`), when it is not the expected id. */
  login?: string;
  expected: { id: string; name: string; moderator: boolean };
}

const CASES: PresetCase[] = [
  {
    preset: 'keycloak',
    standsInFor: 'Keycloak 17+: profile and email claims in the ID token, realm roles in realm_access.roles once the realm roles mapper adds them to the ID token (no Group Membership mapper: the preset falls back to realm roles), email_verified',
    account: { name: 'Kim Keycloak', preferred_username: 'kim', email: 'kim@example.com', email_verified: true, realm_access: { roles: ['moderators', 'offline_access'] } },
    idTokenClaims: true,
    expected: { id: 'kc-kim', name: 'Kim Keycloak', moderator: true },
  },
  {
    preset: 'entra-id',
    standsInFor: 'Entra ID v2.0: client_secret in the body, oid (the person across applications) and app roles in the ID token, no email_verified claim, userinfo on Graph (never called)',
    account: { oid: '7f0c3a56-5c1e-4a0b-9d4e-2b1f0e8a9c11', name: 'Erin Entra', preferred_username: 'erin@contoso.example', roles: ['moderators'] },
    idTokenClaims: true,
    login: 'erin-pairwise-sub',
    expected: { id: '7f0c3a56-5c1e-4a0b-9d4e-2b1f0e8a9c11', name: 'Erin Entra', moderator: true },
  },
  {
    preset: 'google',
    standsInFor: 'Google: client_secret in the body, name/email/email_verified/picture/hd in the ID token, no groups',
    account: { name: 'Gale Google', email: 'gale@example.org', email_verified: true, picture: 'https://lh3.example.com/a.png', hd: 'example.org' },
    idTokenClaims: true,
    expected: { id: 'google-gale', name: 'Gale Google', moderator: false },
  },
  {
    preset: 'okta',
    standsInFor: 'Okta: client_secret_basic, a thin ID token (profile claims only from userinfo), a groups claim added in the authorization server',
    account: { name: 'Olive Okta', preferred_username: 'olive@example.com', email: 'olive@example.com', email_verified: true, groups: ['Everyone', 'moderators'] },
    idTokenClaims: false,
    expected: { id: 'okta-olive', name: 'Olive Okta', moderator: true },
  },
  {
    preset: 'authentik',
    standsInFor: 'authentik: client_secret_basic, groups in the profile scope, email_verified',
    account: { name: 'Abe Authentik', preferred_username: 'abe', email: 'abe@example.com', email_verified: true, groups: ['authentik Admins', 'moderators'] },
    idTokenClaims: true,
    expected: { id: 'authentik-abe', name: 'Abe Authentik', moderator: true },
  },
  {
    preset: 'zitadel',
    standsInFor: 'ZITADEL: client_secret_basic ("Code" app), project roles as the keys of urn:zitadel:iam:org:project:roles (scope urn:zitadel:iam:org:projects:roles)',
    account: { name: 'Zoe Zitadel', preferred_username: 'zoe', email: 'zoe@example.com', email_verified: true, 'urn:zitadel:iam:org:project:roles': { moderators: { '2310': 'acme.zitadel.cloud' } } },
    idTokenClaims: true,
    expected: { id: 'zitadel-zoe', name: 'Zoe Zitadel', moderator: true },
  },
  {
    preset: 'gitlab',
    standsInFor: 'GitLab: client_secret in the body, groups only from userinfo (groups_direct in the ID token is absent here), nickname',
    account: { name: 'Gil Gitlab', nickname: 'gil', email: 'gil@example.com', email_verified: true, groups: ['acme', 'moderators'] },
    idTokenClaims: false,
    expected: { id: 'gitlab-gil', name: 'Gil Gitlab', moderator: true },
  },
  {
    preset: 'dex',
    standsInFor: 'Dex: client_secret_basic, the groups scope requested, groups and email_verified in the ID token',
    account: { name: 'Dee Dex', preferred_username: 'dee', email: 'dee@example.com', email_verified: true, groups: ['moderators'] },
    idTokenClaims: true,
    expected: { id: 'dex-dee', name: 'Dee Dex', moderator: true },
  },
];

const SECRET = 'preset-client-secret-0123456789';
let redis: RedisServer;
const idps = new Map<string, TestOidcProvider>();
let gw: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  const providers: Record<string, unknown> = {};
  for (const c of CASES) {
    const preset = parseConfig({ ...gatewaySettings(port, redis.url, {}), providers: { p: { preset: c.preset, issuer: 'https://idp.example.com', clientId: 'x', clientSecret: SECRET } } }).config.providers.p as { clientAuth: string };
    const user = c.login ?? c.expected.id;
    const idp = await startOidcProvider({
      claimsOnlyInUserinfo: !c.idTokenClaims,
      accounts: { [user]: { password: 'pw', claims: c.account } },
      scopeClaims: { profile: ['nickname', 'oid', 'roles', 'hd', 'groups', 'realm_access'], 'urn:zitadel:iam:org:projects:roles': ['urn:zitadel:iam:org:project:roles'] },
      clients: [{ client_id: `jitsi-${c.preset}`, client_secret: SECRET, token_endpoint_auth_method: preset.clientAuth as 'client_secret_basic', redirect_uris: [`http://127.0.0.1:${port}/auth/${c.preset}/callback`] }],
    });
    idps.set(c.preset, idp);
    providers[c.preset] = { preset: c.preset, issuer: idp.issuer, clientId: `jitsi-${c.preset}`, clientSecret: SECRET };
  }
  gw = await startGateway(gatewaySettings(port, redis.url, providers), port, { policy: groupPolicy });
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  for (const idp of idps.values()) await idp.stop();
  await redis?.destroy();
});

describe('OIDC presets at their defaults against oidc-provider shaped as each IdP documents', () => {
  it.each(CASES.map((c) => [c.preset, c.standsInFor, c] as const))('%s — %s', async (preset, _documented, c) => {
    const room = `preset-${preset}`;
    const { final } = await new ScriptedBrowser().login(`${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}&provider=${preset}`, c.login ?? c.expected.id, 'pw');
    expect(final.status, final.body.slice(0, 400)).toBe(303);
    expect(final.location?.startsWith(`${TARGET_URL}/acme/${room}#jwt=`)).toBe(true);
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    const user = (claims.context as { user: Record<string, unknown> }).user;
    expect(user).toMatchObject({ id: c.expected.id, name: c.expected.name, moderator: c.expected.moderator });
  });
});
