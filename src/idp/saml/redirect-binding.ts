import { createVerify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { childrenNamed, type XmlElement } from '../cas/xml.js';
import { screenDocument, SamlDocumentError } from './assertion.js';

/**
 * The SAML HTTP-Redirect binding, receiving side: `SAMLRequest` or `SAMLResponse` (DEFLATE,
 * base64), `RelayState`, `SigAlg`, `Signature`. The signature covers the query's octets exactly as
 * they arrived (`SAMLRequest=…&RelayState=…&SigAlg=…`, still URL-encoded), so it is checked on the
 * raw query string, never on re-encoded values.
 *
 * Limits: the encoded message is at most 64 KiB and inflates to at most 256 KiB; the inflation
 * stops there (a "deflate bomb" costs nothing). A message without a signature is refused.
 */

export const MAX_ENCODED_BYTES = 64 * 1024;
export const MAX_INFLATED_BYTES = 256 * 1024;

const SIG_ALGS: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'RSA-SHA256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'RSA-SHA512',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'RSA-SHA1',
};

export interface RedirectMessage {
  kind: 'SAMLRequest' | 'SAMLResponse';
  root: XmlElement;
  relayState: string | undefined;
}

/** The raw (still percent-encoded) value of each parameter; a repeated parameter is an error. */
function rawParams(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (params.has(name)) throw new SamlDocumentError(`parameter ${name.slice(0, 40)} is repeated`);
    params.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  return params;
}

const decode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));

/** Inflates with a hard output limit. */
export function boundedInflate(data: Buffer): Buffer {
  try {
    return inflateRawSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (error instanceof RangeError)) throw new SamlDocumentError(`the message inflates to more than ${MAX_INFLATED_BYTES} bytes`);
    throw new SamlDocumentError('the message is not DEFLATE data');
  }
}

/** Verifies and reads a Redirect-binding message against the IdP's signing certificates. */
export function readRedirectMessage(rawQuery: string, certificates: readonly string[]): RedirectMessage {
  if (rawQuery.length > MAX_ENCODED_BYTES * 2) throw new SamlDocumentError('the query string is too long');
  const params = rawParams(rawQuery);
  const kind = params.has('SAMLRequest') ? 'SAMLRequest' : params.has('SAMLResponse') ? 'SAMLResponse' : undefined;
  if (!kind) throw new SamlDocumentError('neither SAMLRequest nor SAMLResponse');
  if (params.has('SAMLRequest') && params.has('SAMLResponse')) throw new SamlDocumentError('both SAMLRequest and SAMLResponse');
  const message = params.get(kind) as string;
  if (message.length > MAX_ENCODED_BYTES) throw new SamlDocumentError(`the message is larger than ${MAX_ENCODED_BYTES} bytes`);
  const sigAlg = params.get('SigAlg');
  const signature = params.get('Signature');
  if (sigAlg === undefined || signature === undefined) throw new SamlDocumentError('the message is not signed (SigAlg and Signature are required)');
  const algorithm = SIG_ALGS[decode(sigAlg)];
  if (!algorithm) throw new SamlDocumentError('unsupported SigAlg');
  const relay = params.get('RelayState');
  const signed = `${kind}=${message}${relay !== undefined ? `&RelayState=${relay}` : ''}&SigAlg=${sigAlg}`;
  const signatureBytes = Buffer.from(decode(signature), 'base64');
  const valid = certificates.some((certificate) => {
    try {
      return createVerify(algorithm).update(signed).verify(certificate, signatureBytes);
    } catch {
      return false;
    }
  });
  if (!valid) throw new SamlDocumentError('the signature does not verify with the IdP certificates from its metadata');
  const xml = boundedInflate(Buffer.from(decode(message), 'base64')).toString('utf8');
  const root = screenDocument(xml);
  return { kind, root, relayState: relay === undefined ? undefined : decode(relay) };
}

/**
 * The Issuer of a Redirect-binding message, read BEFORE its signature is checked: only to choose
 * whose certificates to check it with (a federation member's). Nothing else of the message may be
 * used until readRedirectMessage has verified it; undefined when it cannot be read.
 */
export function peekRedirectIssuer(rawQuery: string): string | undefined {
  try {
    if (rawQuery.length > MAX_ENCODED_BYTES * 2) return undefined;
    const params = rawParams(rawQuery);
    const message = params.get('SAMLRequest') ?? params.get('SAMLResponse');
    if (message === undefined || message.length > MAX_ENCODED_BYTES) return undefined;
    const root = screenDocument(boundedInflate(Buffer.from(decode(message), 'base64')).toString('utf8'));
    return childrenNamed(root, 'Issuer')[0]?.text || undefined;
  } catch {
    return undefined;
  }
}

export interface LogoutRequestContent {
  id: string;
  issuer: string | undefined;
  nameId: string | undefined;
  sessionIndexes: string[];
  notOnOrAfter: string | undefined;
}

export function readLogoutRequest(root: XmlElement): LogoutRequestContent {
  if (root.local !== 'LogoutRequest') throw new SamlDocumentError('SAMLRequest is not a LogoutRequest');
  const id = root.attributes.ID;
  if (!id) throw new SamlDocumentError('the LogoutRequest has no ID');
  return {
    id,
    issuer: childrenNamed(root, 'Issuer')[0]?.text,
    nameId: childrenNamed(root, 'NameID')[0]?.text,
    sessionIndexes: childrenNamed(root, 'SessionIndex').map((index) => index.text).filter((index) => index !== ''),
    notOnOrAfter: root.attributes.NotOnOrAfter,
  };
}

export interface LogoutResponseContent {
  issuer: string | undefined;
  inResponseTo: string | undefined;
  status: string | undefined;
}

export function readLogoutResponse(root: XmlElement): LogoutResponseContent {
  if (root.local !== 'LogoutResponse') throw new SamlDocumentError('SAMLResponse is not a LogoutResponse');
  const status = childrenNamed(root, 'Status')[0];
  return {
    issuer: childrenNamed(root, 'Issuer')[0]?.text,
    inResponseTo: root.attributes.InResponseTo,
    status: status ? childrenNamed(status, 'StatusCode')[0]?.attributes.Value : undefined,
  };
}
