import { checkIdentifiers } from '../../../src/identity/printable.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { parseConfig } from '../../../src/config/load.js';
import { loadPreset, presetNames, providerSchema } from '../../../src/config/providers.js';
import { discoveryUrlFor, resolveMetadata } from '../../../src/idp/oidc/discovery.js';
import { OidcProvider } from '../../../src/idp/oidc/provider.js';
import { oidcProviderSchema, type OidcProviderSettings } from '../../../src/idp/oidc/settings.js';
import { claimAt, claimMappingSchema, groupList, mapIdentity, missingFields } from '../../../src/identity/mapping.js';
import { hsSettings } from '../../support/config.js';

const oidc = (settings: Record<string, unknown>): OidcProviderSettings =>
  oidcProviderSchema.parse({ kind: 'oidc', issuer: 'https://sso.example.com/realms/acme', clientId: 'gw', clientSecret: 's', ...settings });

function configIssues(providers: Record<string, unknown>): string[] {
  try {
    parseConfig(hsSettings({ providers }));
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.problem}`);
    throw error;
  }
}

describe('claim mapping', () => {
  const claims = {
    sub: '248289761001',
    name: 'Jane Doe',
    preferred_username: 'jane',
    email: 'jane@example.com',
    picture: 'javascript:alert(1)',
    realm_access: { roles: ['teacher', 'teacher', 'offline_access'] },
    'https://example.com/groups': ['a', 'b'],
    'urn:zitadel:iam:org:project:roles': { admin: { 1: 'x' }, user: { 1: 'x' } },
    groups: 'one, two three',
    ctl: 'bad\u0000name',
  };

  it.each([
    ['sub', '248289761001'],
    ['realm_access.roles', ['teacher', 'teacher', 'offline_access']],
    ['https://example.com/groups', ['a', 'b']],
    ['realm_access.missing', undefined],
    ['realm_access.__proto__', undefined],
    ['name.length', undefined],
  ])('claimAt(%s)', (path, expected) => {
    expect(claimAt(claims, path)).toEqual(expected);
  });

  it.each([
    ['realm_access.roles', ['teacher', 'offline_access']],
    ['https://example.com/groups', ['a', 'b']],
    ['urn:zitadel:iam:org:project:roles', ['admin', 'user']],
    ['groups', ['one', 'two', 'three']],
    ['missing|realm_access.roles', ['teacher', 'offline_access']],
  ])('groups from %s', (path, expected) => {
    const mapping = claimMappingSchema.parse({ groups: path });
    expect(mapIdentity('corp', claims, mapping).groups).toEqual(expected);
  });

  it('maps the defaults, drops unsafe avatars, leaves control characters to the callback check, and refuses a missing id', () => {
    const identity = mapIdentity('corp', claims, claimMappingSchema.parse({ name: 'ctl' }));
    expect(identity).toMatchObject({ provider: 'corp', id: '248289761001', name: 'bad\u0000name', email: 'jane@example.com' });
    // Never repaired into "badname": the callback leaves the name out (src/identity/printable.ts).
    expect(checkIdentifiers(identity)).toMatchObject({ dropped: ['name'], identity: { id: '248289761001', email: 'jane@example.com' } });
    expect(identity.avatar).toBeUndefined();
    expect(() => mapIdentity('corp', { name: 'x' }, claimMappingSchema.parse({}))).toThrow(/no usable "sub" claim/);
    expect(groupList(42)).toEqual([]);
    expect(missingFields({ sub: 'x', email: 'a@b' }, claimMappingSchema.parse({}))).toEqual(['name', 'avatar', 'groups']);
  });
});

describe('OIDC provider settings', () => {
  it('applies defaults', () => {
    const settings = oidc({});
    expect(settings).toMatchObject({ clientAuth: 'client_secret_basic', scopes: ['openid', 'profile', 'email'], userinfo: 'auto', logout: 'rp-initiated', timeoutMs: 5000 });
    expect(settings.claims).toEqual({ id: 'sub', name: 'name|preferred_username|nickname', email: 'email', avatar: 'picture', groups: 'groups' });
  });

  it.each([
    [{ clientSecret: undefined }, /clientSecret: is required for clientAuth client_secret_basic/],
    [{ clientAuth: 'private_key_jwt', clientSecret: undefined }, /privateKey: is required for clientAuth private_key_jwt/],
    [{ issuer: 'http://sso.example.com' }, /issuer: is plain http/],
    [{ backchannelUrl: 'http://keycloak:8080/realms/acme' }, /backchannelUrl: is plain http; use https, or set allowHttp: true/],
    [{ authParams: { state: 'x' } }, /authParams: must not set/],
    [{ prompt: 'sometimes' }, /prompt/],
    [{ scopes: ['open id'] }, /scope token/],
    [{ secret: 'typo' }, /unknown setting "secret"/],
    [{ issuer: 'https://sso.example.com/?x=1' }, /issuer: must not have a query/],
  ])('refuses %j', (settings, message) => {
    const issues = configIssues({ corp: { kind: 'oidc', issuer: 'https://sso.example.com', clientId: 'gw', clientSecret: 's', ...settings } });
    expect(issues.join('\n')).toMatch(message);
  });

  it('accepts http for loopback issuers and for in-cluster URLs with allowHttp', () => {
    expect(configIssues({ corp: { kind: 'oidc', issuer: 'http://127.0.0.1:9000', clientId: 'gw', clientSecret: 's' } })).toEqual([]);
    expect(configIssues({ corp: { kind: 'oidc', issuer: 'https://sso.example.com', backchannelUrl: 'http://kc:8080', allowHttp: true, clientId: 'gw', clientSecret: 's' } })).toEqual([]);
  });

  it('reports every provider problem at once, naming the provider', () => {
    const issues = configIssues({
      one: { kind: 'oidc', clientId: 'gw' },
      two: { kind: 'ldap' },
      three: { preset: 'nonexistent', kind: 'oidc' },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^providers\.one\.issuer: is required/),
        expect.stringMatching(/^providers\.two\.kind: kind must be oidc, cas, saml or dev/),
        expect.stringMatching(/^providers\.three\.preset: names no known preset \("nonexistent"\); available: .*keycloak/),
      ]),
    );
  });
});

describe('presets', () => {
  const oidcPresets = ['keycloak', 'entra-id', 'google', 'okta', 'authentik', 'zitadel', 'lemonldap-oidc', 'gitlab', 'dex'];

  it('ships every documented preset', () => {
    expect(presetNames()).toEqual(expect.arrayContaining([...oidcPresets, 'lemonldap-cas', 'apereo-cas']));
  });

  it.each(oidcPresets)('%s is a valid OIDC preset with a redirect URI to register', (name) => {
    const preset = loadPreset(name);
    expect(preset).toMatchObject({ kind: 'oidc' });
    expect(preset?.redirectUri).toContain('/auth/<provider>/callback');
    expect(preset?.notes).toMatch(/issuer/);
    const parsed = providerSchema.parse({ preset: name, issuer: 'https://idp.example.com', clientId: 'gw', clientSecret: 's' });
    expect(parsed.kind).toBe('oidc');
  });

  it('applies a preset under the provider settings: the provider wins, claim paths merge', () => {
    const parsed = providerSchema.parse({ preset: 'keycloak', issuer: 'https://kc.example.com/realms/acme', clientId: 'gw', clientSecret: 's', claims: { name: 'given_name' } });
    expect(parsed).toMatchObject({ kind: 'oidc', claims: { name: 'given_name', groups: 'groups|realm_access.roles', id: 'sub' } });
    const google = providerSchema.parse({ preset: 'google', clientId: 'gw', clientSecret: 's' });
    expect(google).toMatchObject({ issuer: 'https://accounts.google.com', userinfo: 'never' });
  });

  it('refuses a preset of another kind', () => {
    expect(configIssues({ corp: { kind: 'oidc', preset: 'apereo-cas', issuer: 'https://x.example.com', clientId: 'gw', clientSecret: 's' } }).join()).toMatch(
      /"apereo-cas" is a preset for kind cas, not oidc/,
    );
  });

  it('validates CAS providers with the CAS schema', () => {
    expect(configIssues({ campus: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } })).toEqual([]);
    expect(configIssues({ campus: { kind: 'cas', baseUrl: 'https://cas.example.org/cas', clientId: 'x' } }).join()).toMatch(/unknown setting "clientId"/);
  });
});

describe('discovery and split horizon', () => {
  const doc = {
    issuer: 'https://sso.example.com/realms/acme',
    authorization_endpoint: 'https://sso.example.com/realms/acme/protocol/openid-connect/auth',
    token_endpoint: 'https://sso.example.com/realms/acme/protocol/openid-connect/token',
    userinfo_endpoint: 'https://sso.example.com/realms/acme/protocol/openid-connect/userinfo',
    jwks_uri: 'https://sso.example.com/realms/acme/protocol/openid-connect/certs',
    end_session_endpoint: 'https://sso.example.com/realms/acme/protocol/openid-connect/logout',
  };

  it('reads discovery at the issuer, or on the back channel', () => {
    expect(discoveryUrlFor(oidc({}))).toBe('https://sso.example.com/realms/acme/.well-known/openid-configuration');
    expect(discoveryUrlFor(oidc({ issuer: 'https://auth.example.com/app/' }))).toBe('https://auth.example.com/app/.well-known/openid-configuration');
    expect(discoveryUrlFor(oidc({ backchannelUrl: 'http://kc:8080/realms/acme', allowHttp: true }))).toBe('http://kc:8080/realms/acme/.well-known/openid-configuration');
  });

  it('keeps browser-facing endpoints public and moves server-to-server endpoints to the back channel', () => {
    const settings = oidc({ backchannelUrl: 'http://kc:8080/realms/acme', allowHttp: true });
    const { metadata, insecure } = resolveMetadata(doc, settings, discoveryUrlFor(settings));
    expect(metadata.authorization_endpoint).toBe(doc.authorization_endpoint);
    expect(metadata.end_session_endpoint).toBe(doc.end_session_endpoint);
    expect(metadata.token_endpoint).toBe('http://kc:8080/realms/acme/protocol/openid-connect/token');
    expect(metadata.userinfo_endpoint).toBe('http://kc:8080/realms/acme/protocol/openid-connect/userinfo');
    expect(metadata.jwks_uri).toBe('http://kc:8080/realms/acme/protocol/openid-connect/certs');
    expect(insecure).toBe(true);
  });

  it('applies explicit endpoints last', () => {
    const settings = oidc({ endpoints: { authorization: 'https://login.example.com/authorize', endSession: 'https://login.example.com/logout' } });
    const { metadata } = resolveMetadata(doc, settings, discoveryUrlFor(settings));
    expect(metadata.authorization_endpoint).toBe('https://login.example.com/authorize');
    expect(metadata.end_session_endpoint).toBe('https://login.example.com/logout');
  });

  it.each([
    [{ ...doc, issuer: 'https://sso.example.com/realms/acme/' }, /names issuer .* not the configured/],
    [{ ...doc, token_endpoint: undefined }, /no token_endpoint/],
    [{ ...doc, jwks_uri: 'http://evil.example.com/certs' }, /plain http endpoint/],
    [[], /not a JSON object/],
  ])('refuses a discovery document %#', (document, message) => {
    expect(() => resolveMetadata(document, oidc({}), 'https://x')).toThrow(message);
  });
});

describe('the authorization request', () => {
  it('carries PKCE S256, state, nonce, scopes, prompt, acr_values and authParams, and nothing the request controls', async () => {
    const doc = {
      issuer: 'https://sso.example.com',
      authorization_endpoint: 'https://sso.example.com/authorize?tenant=acme',
      token_endpoint: 'https://sso.example.com/token',
      jwks_uri: 'https://sso.example.com/jwks',
    };
    // The discovery document served without a network: the one fetch this test stands in for.
    const fetchDoc = (async () => new Response(JSON.stringify(doc), { status: 200 })) as unknown as typeof fetch;
    const silent = { info() {}, warn() {}, error() {} };
    const provider = await OidcProvider.create(
      'corp',
      oidc({ issuer: 'https://sso.example.com', scopes: ['profile', 'groups'], prompt: 'select_account', acrValues: ['urn:mfa', 'urn:pwd'], authParams: { hd: 'example.com' } }),
      { log: silent, fetch: fetchDoc },
    );
    try {
      const start = await provider.startLogin({ transactionId: 'Tx_0123456789abcdefghij', callbackUrl: 'https://gw.example.com/sso/auth/corp/callback' });
      const url = new URL(start.redirectUrl);
      expect(`${url.origin}${url.pathname}`).toBe('https://sso.example.com/authorize');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        tenant: 'acme',
        hd: 'example.com',
        client_id: 'gw',
        response_type: 'code',
        redirect_uri: 'https://gw.example.com/sso/auth/corp/callback',
        scope: 'openid profile groups',
        code_challenge_method: 'S256',
        prompt: 'select_account',
        acr_values: 'urn:mfa urn:pwd',
        state: 'Tx_0123456789abcdefghij',
        nonce: start.secrets.nonce,
        code_challenge: createHash('sha256').update(start.secrets.verifier ?? '').digest('base64url'),
      });
      expect(start.secrets.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const forced = new URL((await provider.startLogin({ transactionId: 'Tx_0123456789abcdefghij', callbackUrl: 'https://gw.example.com/sso/auth/corp/callback', forceLogin: true })).redirectUrl);
      expect(forced.searchParams.get('prompt')).toBe('login');
      expect(forced.searchParams.get('nonce')).not.toBe(start.secrets.nonce);
    } finally {
      await provider.close();
    }
  });
});
