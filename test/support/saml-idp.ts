/**
 * A SAML 2.0 IdP in test code, for the cases a real IdP will not produce: hostile and broken
 * responses (signature wrapping, stripped signatures, wrong audience, replay, …). It signs with
 * xml-crypto using its own RSA keys and X.509 certificates, made at test time with openssl (a
 * second, "rogue" key pair is not in its metadata). Responses are built as XML strings so a test can
 * rearrange them after signing, as an attacker would.
 *
 * The real-IdP journey uses LemonLDAP::NG instead (test/login/saml-lemonldap.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { encrypt } from 'xml-encryption';

export interface KeyPair {
  key: string;
  cert: string;
}

/** An RSA key and a self-signed certificate for it (openssl; a few hundred ms). */
export function makeKeyPair(cn = 'test-idp'): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'jsg-saml-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '3', '-subj', `/CN=${cn}`], {
      stdio: 'ignore',
    });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const certBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
const esc = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const newId = () => `_${randomBytes(16).toString('hex')}`;

export const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

export interface SpEndpoints {
  entityId: string;
  acsUrl: string;
}

export interface TestAttribute {
  name: string;
  friendlyName?: string;
  values: string[];
}

export interface AssertionOptions {
  requestId?: string | undefined;
  nameId?: string;
  nameIdFormat?: string;
  /** Raw XML for the NameID's content (for the comment attack); replaces nameId. */
  nameIdRaw?: string;
  attributes?: TestAttribute[];
  /** Offsets from now in seconds. */
  notBefore?: number;
  notOnOrAfter?: number;
  confirmationNotOnOrAfter?: number;
  audience?: string;
  recipient?: string;
  method?: string;
  issuer?: string;
  id?: string;
  sessionIndex?: string;
}

export interface ResponseOptions extends AssertionOptions {
  /** What is signed (default both). */
  sign?: 'assertion' | 'response' | 'both' | 'none';
  /** Encrypt the (signed) assertion to this certificate. */
  encryptTo?: string;
  destination?: string | null;
  responseInResponseTo?: string | null;
  status?: string;
  /** Sign with this key pair instead of the IdP's (a certificate not in the metadata). */
  signer?: KeyPair;
}

export class TestSamlIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly sloUrl: string;
  readonly keys: KeyPair;
  /** A second key pair, never published: "a certificate not in the metadata". */
  readonly rogue: KeyPair;

  constructor(options: { entityId?: string; baseUrl?: string; keys?: KeyPair; rogue?: KeyPair } = {}) {
    const base = options.baseUrl ?? 'https://idp.example.org/idp';
    this.entityId = options.entityId ?? `${base}/shibboleth`;
    this.ssoUrl = `${base}/profile/SAML2/Redirect/SSO`;
    this.sloUrl = `${base}/profile/SAML2/Redirect/SLO`;
    this.keys = options.keys ?? makeKeyPair('test-idp');
    this.rogue = options.rogue ?? makeKeyPair('rogue');
  }

  metadata(options: { certs?: string[]; scopes?: string[]; wantAuthnRequestsSigned?: boolean; validUntil?: string; slo?: boolean } = {}): string {
    const certs = options.certs ?? [this.keys.cert];
    const keyDescriptors = certs
      .map((cert) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
      .join('');
    const scopes = (options.scopes ?? []).map((scope) => `<shibmd:Scope regexp="false">${esc(scope)}</shibmd:Scope>`).join('');
    return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" entityID="${esc(this.entityId)}"${options.validUntil ? ` validUntil="${options.validUntil}"` : ''}>
  <md:IDPSSODescriptor protocolSupportEnumeration="${SAMLP}"${options.wantAuthnRequestsSigned ? ' WantAuthnRequestsSigned="true"' : ''}>
    ${scopes ? `<md:Extensions>${scopes}</md:Extensions>` : ''}
    ${keyDescriptors}
    ${options.slo === false ? '' : `<md:SingleLogoutService Binding="${REDIRECT}" Location="${esc(this.sloUrl)}"/>`}
    <md:SingleSignOnService Binding="${REDIRECT}" Location="${esc(this.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  /** The unsigned assertion XML. */
  assertion(sp: SpEndpoints, o: AssertionOptions = {}): string {
    const now = Date.now();
    const id = o.id ?? newId();
    const issuer = o.issuer ?? this.entityId;
    const requestId = o.requestId;
    const attributes = (o.attributes ?? [])
      .map(
        (attribute) =>
          `<saml:Attribute Name="${esc(attribute.name)}"${attribute.friendlyName ? ` FriendlyName="${esc(attribute.friendlyName)}"` : ''} NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">${attribute.values
            .map((value) => `<saml:AttributeValue>${esc(value)}</saml:AttributeValue>`)
            .join('')}</saml:Attribute>`,
      )
      .join('');
    const nameId = o.nameIdRaw ?? esc(o.nameId ?? '_a1b2c3d4e5f6');
    return `<saml:Assertion xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${iso(now)}"><saml:Issuer>${esc(issuer)}</saml:Issuer><saml:Subject><saml:NameID Format="${o.nameIdFormat ?? PERSISTENT}" NameQualifier="${esc(this.entityId)}" SPNameQualifier="${esc(sp.entityId)}">${nameId}</saml:NameID><saml:SubjectConfirmation Method="${o.method ?? BEARER}"><saml:SubjectConfirmationData NotOnOrAfter="${iso(now + (o.confirmationNotOnOrAfter ?? o.notOnOrAfter ?? 300) * 1000)}" Recipient="${esc(o.recipient ?? sp.acsUrl)}"${requestId ? ` InResponseTo="${requestId}"` : ''}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${iso(now + (o.notBefore ?? -60) * 1000)}" NotOnOrAfter="${iso(now + (o.notOnOrAfter ?? 360) * 1000)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? sp.entityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${o.sessionIndex ?? `_s${randomBytes(8).toString('hex')}`}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>${attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : ''}</saml:Assertion>`;
  }

  /** Signs the element with the given ID inside `xml` (enveloped, exc-c14n, RSA-SHA256), the signature after its Issuer. */
  sign(xml: string, id: string, signer: KeyPair = this.keys): string {
    const sig = new SignedXml({
      privateKey: signer.key,
      publicCert: signer.cert,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    sig.addReference({
      xpath: `//*[@ID='${id}']`,
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    });
    sig.computeSignature(xml, { location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' } });
    return sig.getSignedXml();
  }

  /** A complete Response XML. */
  async response(sp: SpEndpoints, o: ResponseOptions = {}): Promise<string> {
    const sign = o.sign ?? 'both';
    const signer = o.signer ?? this.keys;
    const assertionId = o.id ?? newId();
    let assertion = this.assertion(sp, { ...o, id: assertionId });
    if (sign === 'assertion' || sign === 'both') assertion = this.sign(assertion, assertionId, signer);
    if (o.encryptTo) assertion = `<saml:EncryptedAssertion xmlns:saml="${SAML}">${await encryptXml(assertion, o.encryptTo)}</saml:EncryptedAssertion>`;
    const responseId = newId();
    const inResponseTo = o.responseInResponseTo === undefined ? o.requestId : (o.responseInResponseTo ?? undefined);
    const destination = o.destination === undefined ? sp.acsUrl : (o.destination ?? undefined);
    let response = `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${responseId}" Version="2.0" IssueInstant="${iso(Date.now())}"${destination ? ` Destination="${esc(destination)}"` : ''}${inResponseTo ? ` InResponseTo="${inResponseTo}"` : ''}><saml:Issuer>${esc(o.issuer ?? this.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status>${assertion}</samlp:Response>`;
    if (sign === 'response' || sign === 'both') response = this.sign(response, responseId, signer);
    return response;
  }

  /** A signed HTTP-Redirect query (`SAMLRequest=…&RelayState=…&SigAlg=…&Signature=…`). */
  redirectQuery(kind: 'SAMLRequest' | 'SAMLResponse', xml: string, relayState?: string, signer: KeyPair | null = this.keys): string {
    let query = `${kind}=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
    if (relayState !== undefined) query += `&RelayState=${encodeURIComponent(relayState)}`;
    if (!signer) return query;
    query += `&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
    const signature = createSign('RSA-SHA256').update(query).sign(signer.key, 'base64');
    return `${query}&Signature=${encodeURIComponent(signature)}`;
  }

  logoutRequest(sp: SpEndpoints & { sloUrl: string }, o: { nameId: string; sessionIndex?: string; id?: string; issuer?: string }): string {
    return `<samlp:LogoutRequest xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${o.id ?? newId()}" Version="2.0" IssueInstant="${iso(Date.now())}" Destination="${esc(sp.sloUrl)}"><saml:Issuer>${esc(o.issuer ?? this.entityId)}</saml:Issuer><saml:NameID Format="${PERSISTENT}">${esc(o.nameId)}</saml:NameID>${o.sessionIndex ? `<samlp:SessionIndex>${esc(o.sessionIndex)}</samlp:SessionIndex>` : ''}</samlp:LogoutRequest>`;
  }

  logoutResponse(sp: { sloUrl: string }, inResponseTo: string): string {
    return `<samlp:LogoutResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${newId()}" Version="2.0" IssueInstant="${iso(Date.now())}" Destination="${esc(sp.sloUrl)}" InResponseTo="${inResponseTo}"><saml:Issuer>${esc(this.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
  }
}

/** The SAML message of a Redirect-binding URL, inflated. */
export function redirectMessage(url: string): { xml: string; relayState: string | null; id: string } {
  const params = new URL(url).searchParams;
  const message = params.get('SAMLRequest') ?? params.get('SAMLResponse');
  if (!message) throw new Error(`no SAML message in ${url.slice(0, 200)}`);
  const xml = inflateRawSync(Buffer.from(message, 'base64')).toString('utf8');
  const id = /\bID="([^"]+)"/.exec(xml)?.[1];
  if (!id) throw new Error('SAML message without ID');
  return { xml, relayState: params.get('RelayState'), id };
}

function encryptXml(xml: string, certificate: string): Promise<string> {
  return new Promise((resolve, reject) => {
    encrypt(
      xml,
      {
        rsa_pub: certificate,
        pem: certificate,
        encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
        keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      },
      (error: Error | null, result?: string) => (error || !result ? reject(error ?? new Error('no result')) : resolve(result)),
    );
  });
}

export const encodeResponse = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
