import { deflateRawSync } from 'node:zlib';
import { createSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attributeClaims, friendlyName, samlIdentity } from '../../../src/idp/saml/attributes.js';
import { MetadataError, parseIdpMetadata, scopeAllowed } from '../../../src/idp/saml/metadata.js';
import { readRedirectMessage } from '../../../src/idp/saml/redirect-binding.js';
import { MetadataSource } from '../../../src/idp/saml/metadata-source.js';
import { verifyMetadataSignature } from '../../../src/idp/saml/metadata-signature.js';
import { SignedXml } from 'xml-crypto';
import { samlAttributesSchema, samlProviderSchema } from '../../../src/idp/saml/settings.js';
import { makeKeyPair, TestSamlIdp } from '../../support/saml-idp.js';

const idp = new TestSamlIdp();
const mapping = samlAttributesSchema.parse({});

describe('IdP metadata', () => {
  it('reads entityID, all signing certificates (rollover), endpoints, WantAuthnRequestsSigned and scopes', () => {
    const second = makeKeyPair('second');
    const metadata = parseIdpMetadata(idp.metadata({ certs: [idp.keys.cert, second.cert], scopes: ['example.org'], wantAuthnRequestsSigned: true }));
    expect(metadata.entityId).toBe(idp.entityId);
    expect(metadata.signingCertificates).toHaveLength(2);
    expect(metadata.ssoRedirectUrl).toBe(idp.ssoUrl);
    expect(metadata.sloRedirectUrl).toBe(idp.sloUrl);
    expect(metadata.wantAuthnRequestsSigned).toBe(true);
    expect(metadata.scopes).toEqual([{ value: 'example.org', regexp: false }]);
  });

  it('picks the configured IdP out of an aggregate, and asks for entityId when there are several', () => {
    const other = new TestSamlIdp({ baseUrl: 'https://idp.other.example.net/idp', keys: idp.keys, rogue: idp.rogue });
    const strip = (xml: string) => xml.replace(/^<\?xml[^>]*>\s*/, '');
    const aggregate = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${strip(idp.metadata())}${strip(other.metadata())}</md:EntitiesDescriptor>`;
    expect(parseIdpMetadata(aggregate, other.entityId).entityId).toBe(other.entityId);
    expect(() => parseIdpMetadata(aggregate)).toThrow(/holds 2 IdPs/);
  });

  it('refuses metadata with a DTD, without certificates, or with an endpoint that is no URL', () => {
    expect(() => parseIdpMetadata(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idp.metadata()}`)).toThrow(MetadataError);
    expect(() => parseIdpMetadata(idp.metadata({ certs: [] }))).toThrow(/no signing certificate/);
    expect(() => parseIdpMetadata(idp.metadata().replace(idp.ssoUrl, 'javascript:alert(1)'))).toThrow(/not an http/);
  });

  it('checks scopes exactly (case-insensitive) or by an anchored regular expression', () => {
    expect(scopeAllowed('a@example.org', [{ value: 'example.org', regexp: false }])).toBe(true);
    expect(scopeAllowed('a@evil-example.org', [{ value: 'example.org', regexp: false }])).toBe(false);
    expect(scopeAllowed('a@example.org.evil.com', [{ value: '.*\\.example\\.org|example\\.org', regexp: true }])).toBe(false);
    expect(scopeAllowed('a@dept.example.org', [{ value: '.*\\.example\\.org', regexp: true }])).toBe(true);
    expect(scopeAllowed('no-scope', [{ value: 'example.org', regexp: false }])).toBe(false);
  });
});

describe('attributes to identity', () => {
  it('knows eduPerson and inetOrgPerson attributes by OID, by urn:mace name and by FriendlyName', () => {
    expect(friendlyName({ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', friendlyName: undefined })).toBe('eduPersonPrincipalName');
    expect(friendlyName({ name: 'urn:mace:dir:attribute-def:mail', friendlyName: undefined })).toBe('mail');
    expect(friendlyName({ name: 'urn:oid:1.2.3.4', friendlyName: 'campusId' })).toBe('campusId');
    expect(friendlyName({ name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', friendlyName: undefined })).toBe('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress');
  });

  it('maps the default mapping: pairwise-id before eppn, givenName+sn when there is no displayName, isMemberOf as groups', () => {
    const { claims } = attributeClaims(
      [
        { name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', friendlyName: undefined, values: ['alice@example.org'] },
        { name: 'urn:oasis:names:tc:SAML:attribute:pairwise-id', friendlyName: undefined, values: ['ABC123@example.org'] },
        { name: 'urn:oid:2.5.4.42', friendlyName: undefined, values: ['Alice'] },
        { name: 'urn:oid:2.5.4.4', friendlyName: undefined, values: ['Liddell'] },
        { name: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1', friendlyName: undefined, values: ['staff', 'staff', 'physics'] },
      ],
      [{ value: 'example.org', regexp: false }],
      true,
    );
    const identity = samlIdentity('uni', { value: '_t1', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient', nameQualifier: undefined, spNameQualifier: undefined }, claims, mapping);
    expect(identity).toMatchObject({ provider: 'uni', id: 'ABC123@example.org', name: 'Alice Liddell', groups: ['staff', 'physics'] });
    expect(identity.claims.eduPersonPrincipalName).toBe('alice@example.org');
  });

  it('drops scoped values outside the IdP scopes and reports them', () => {
    const { claims, outOfScope } = attributeClaims(
      [{ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9', friendlyName: undefined, values: ['member@example.org', 'staff@evil.example.net'] }],
      [{ value: 'example.org', regexp: false }],
      true,
    );
    expect(claims.eduPersonScopedAffiliation).toEqual(['member@example.org']);
    expect(outOfScope).toEqual(['eduPersonScopedAffiliation: staff@evil.example.net']);
  });

  it('uses a persistent NameID as id when no id attribute is released, never a transient one', () => {
    const persistent = { value: '_p1', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', nameQualifier: undefined, spNameQualifier: undefined };
    expect(samlIdentity('uni', persistent, {}, mapping).id).toBe('_p1');
    expect(() => samlIdentity('uni', { ...persistent, format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' }, {}, mapping)).toThrow(/no value for the id mapping/);
  });
});

describe('Redirect binding', () => {
  const sign = (query: string) => `${query}&Signature=${encodeURIComponent(createSign('RSA-SHA256').update(query).sign(idp.keys.key, 'base64'))}`;

  it('stops inflating a deflate bomb at the limit', () => {
    const bomb = deflateRawSync(Buffer.alloc(8 * 1024 * 1024)).toString('base64');
    const query = sign(`SAMLRequest=${encodeURIComponent(bomb)}&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`);
    expect(() => readRedirectMessage(query, [idp.keys.cert])).toThrow(/inflates to more than 262144 bytes/);
  });

  it('verifies the signature on the raw query bytes; a changed RelayState breaks it', () => {
    const xml = idp.logoutRequest({ entityId: 'sp', acsUrl: 'https://sp/acs', sloUrl: 'https://sp/slo' }, { nameId: 'n' });
    const query = idp.redirectQuery('SAMLRequest', xml, 'state 1');
    expect(readRedirectMessage(query, [idp.keys.cert]).relayState).toBe('state 1');
    expect(() => readRedirectMessage(query.replace('RelayState=state%201', 'RelayState=state%202'), [idp.keys.cert])).toThrow(/signature does not verify/);
    expect(() => readRedirectMessage(`${query}&SAMLRequest=x`, [idp.keys.cert])).toThrow(/repeated/);
  });
});

describe('settings', () => {
  it('needs exactly one metadata source and the SP key', () => {
    const base = { kind: 'saml', sp: { privateKey: 'k', certificate: 'c' } };
    expect(samlProviderSchema.safeParse({ ...base, idp: { metadataUrl: 'https://idp/md', metadataFile: '/x' } }).success).toBe(false);
    expect(samlProviderSchema.safeParse({ ...base, idp: {} }).success).toBe(false);
    expect(samlProviderSchema.safeParse({ kind: 'saml', idp: { metadataUrl: 'https://idp/md' } }).success).toBe(false);
    expect(samlProviderSchema.parse({ ...base, idp: { metadataUrl: 'https://idp/md' } })).toMatchObject({ requireSignature: 'assertion', clockSkewSeconds: 60, signAuthnRequests: 'auto' });
  });
});

describe('presets', () => {
  const presets = ['shibboleth', 'lemonldap-saml', 'keycloak-saml', 'adfs', 'entra-id-saml', 'federation-renater'];
  it.each(presets)('%s is a valid SAML preset that says what to register', async (name) => {
    const { loadPreset, providerSchema } = await import('../../../src/config/providers.js');
    const preset = loadPreset(name);
    expect(preset).toMatchObject({ kind: 'saml' });
    expect(preset?.redirectUri).toContain('/auth/<provider name>/metadata');
    const parsed = providerSchema.parse({ preset: name, idp: { metadataUrl: 'https://idp.example.org/md' }, sp: { privateKey: 'k', certificate: 'c' } });
    expect(parsed.kind).toBe('saml');
  });

  it('e-mail addresses count for the policy only where the provider vouches for them', () => {
    const claims = { mail: ['bob@example.org'], eduPersonPrincipalName: ['bob@example.org'] };
    expect(samlIdentity('uni', undefined, claims, mapping).emailVerified).toBe(false);
    expect(samlIdentity('uni', undefined, claims, mapping, { emailsAuthoritative: true }).emailVerified).toBe(true);
  });
});

describe('signed federation metadata', () => {
  const federation = makeKeyPair('federation');
  const other = new TestSamlIdp({ baseUrl: 'https://idp.other.example.net/idp', keys: idp.keys, rogue: idp.rogue });
  const strip = (xml: string) => xml.replace(/^<\?xml[^>]*>\s*/, '');
  const aggregate = (validUntil: string) =>
    `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_agg1" Name="urn:example:federation" validUntil="${validUntil}">${strip(idp.metadata({ scopes: ['example.org'] }))}${strip(other.metadata())}</md:EntitiesDescriptor>`;
  const inAWeek = () => new Date(Date.now() + 7 * 86_400_000).toISOString();
  function signAggregate(xml: string, signer = federation): string {
    const sig = new SignedXml({ privateKey: signer.key, publicCert: signer.cert, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
    sig.addReference({ xpath: "/*[@ID='_agg1']", transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
    sig.computeSignature(xml, { location: { reference: "/*[@ID='_agg1']", action: 'prepend' } });
    return sig.getSignedXml();
  }
  const log = { info: () => undefined, warn: () => undefined };
  async function load(xml: string): Promise<MetadataSource> {
    const source = new MetadataSource({ metadata: xml, metadataSigningCertificates: [federation.cert], entityId: other.entityId, refreshSeconds: 3600, timeoutMs: 1000, maxMetadataBytes: 10_000_000 }, { provider: 'fed', displayName: 'Federation', log });
    await source.start();
    return source;
  }

  it('a signed aggregate verifies with the federation certificate, and the configured IdP is taken from the signed bytes', async () => {
    const source = await load(signAggregate(aggregate(inAWeek())));
    expect(source.get()?.entityId).toBe(other.entityId);
    expect(verifyMetadataSignature(signAggregate(aggregate(inAWeek())), [federation.cert])).toContain(idp.entityId);
  });

  it('refuses an unsigned aggregate, a tampered one, one signed by someone else, and an expired one', async () => {
    expect(() => verifyMetadataSignature(aggregate(inAWeek()), [federation.cert])).toThrow(/not signed/);
    const tampered = signAggregate(aggregate(inAWeek())).replace(other.ssoUrl, 'https://evil.example.net/sso');
    expect(() => verifyMetadataSignature(tampered, [federation.cert])).toThrow(/does not verify/);
    expect(() => verifyMetadataSignature(signAggregate(aggregate(inAWeek()), idp.rogue), [federation.cert])).toThrow(/does not verify/);
    const expired = await load(signAggregate(aggregate(new Date(Date.now() - 60_000).toISOString())));
    expect(expired.get()).toBeUndefined();
    expect(expired.problem()).toMatch(/expired/);
    const unsigned = await load(aggregate(inAWeek()));
    expect(unsigned.problem()).toMatch(/not signed/);
  });

  it('refuses an unsigned IdP wrapped around the signed aggregate (signature wrapping on metadata)', () => {
    const signed = signAggregate(aggregate(inAWeek()));
    const wrapped = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_evil">${strip(new TestSamlIdp({ entityId: other.entityId, baseUrl: 'https://evil.example.net/idp', keys: idp.rogue, rogue: idp.rogue }).metadata())}${strip(signed)}</md:EntitiesDescriptor>`;
    expect(() => verifyMetadataSignature(wrapped, [federation.cert])).toThrow(/not signed/);
  });
});

describe('providers check', () => {
  it('reports the IdP metadata, its SLO endpoint, and a metadata that cannot be loaded', async () => {
    const { checkSamlProvider } = await import('../../../src/idp/saml/check.js');
    const settings = samlProviderSchema.parse({ kind: 'saml', idp: { metadata: idp.metadata({ slo: false }) }, sp: { privateKey: 'k', certificate: 'c' } });
    const results = await checkSamlProvider('uni', settings);
    expect(results.map((result) => [result.check, result.status])).toEqual([
      ['IdP metadata', 'ok'],
      ['single logout', 'warn'],
    ]);
    const broken = samlProviderSchema.parse({ kind: 'saml', idp: { metadata: '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>' }, sp: { privateKey: 'k', certificate: 'c' } });
    const failed = await checkSamlProvider('uni', broken);
    expect(failed[0]).toMatchObject({ check: 'IdP metadata', status: 'fail' });
  });
});
