import { X509Certificate } from 'node:crypto';
import { childrenNamed, parseXmlDocument, type XmlElement } from '../cas/xml.js';

/**
 * An IdP's SAML metadata (an `EntityDescriptor`, or one entity of an `EntitiesDescriptor`), reduced
 * to what the SP uses: entityID, signing certificates (all of them: a rollover publishes two),
 * the HTTP-Redirect SSO and SLO endpoints, WantAuthnRequestsSigned and the shibmd:Scope list.
 *
 * Parsed with the hardened reader (no DTD, no entities). Metadata is configuration the operator
 * chose, but it still comes over the network: anything unexpected is an error, never a crash.
 */

export const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

export interface IdpScope {
  value: string;
  regexp: boolean;
}

export interface IdpMetadata {
  entityId: string;
  /** PEM certificates for signature verification (use="signing" or no use). */
  signingCertificates: string[];
  ssoRedirectUrl: string;
  sloRedirectUrl?: string;
  /** Where LogoutResponses go (ResponseLocation, else Location). */
  sloResponseUrl?: string;
  wantAuthnRequestsSigned: boolean;
  scopes: IdpScope[];
  /** validUntil of the document, when it has one (ms since the epoch). */
  validUntil?: number;
  /** Display name from mdui:DisplayName (English first), for discovery pages. */
  displayName?: string;
  /** Every mdui:DisplayName (all languages), searched on the discovery page. */
  displayNames?: string[];
}

export class MetadataError extends Error {
  override readonly name = 'MetadataError';
}

const local = (element: XmlElement) => element.local;

function descendants(element: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const child of element.children) {
    if (local(child) === name) out.push(child);
    else descendants(child, name, out);
  }
  return out;
}

function pemFromBase64(value: string): string {
  const body = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new MetadataError('an X509Certificate is not base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
  } catch {
    throw new MetadataError('an X509Certificate cannot be read as a certificate');
  }
  return pem;
}

function parseInstant(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new MetadataError('validUntil is not a date');
  return ms;
}

/** The IdP entity from a metadata document; `entityId` picks one from an aggregate. */
export function parseIdpMetadata(xml: string, entityId?: string): IdpMetadata {
  let root: XmlElement;
  try {
    root = parseXmlDocument(xml.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new MetadataError(`metadata XML ${error instanceof Error ? error.message : 'cannot be parsed'}`);
  }
  const rootValidUntil = parseInstant(root.attributes.validUntil);
  let entity: XmlElement | undefined;
  if (local(root) === 'EntityDescriptor') {
    entity = root;
  } else if (local(root) === 'EntitiesDescriptor') {
    const entities = descendants(root, 'EntityDescriptor').filter((candidate) => childrenNamed(candidate, 'IDPSSODescriptor').length > 0);
    entity = entityId === undefined ? (entities.length === 1 ? entities[0] : undefined) : entities.find((candidate) => candidate.attributes.entityID === entityId);
    if (!entity) {
      throw new MetadataError(entityId === undefined ? `the aggregate holds ${entities.length} IdPs: set idp.entityId` : `the aggregate has no IdP with entityID ${entityId}`);
    }
  } else {
    throw new MetadataError(`root element is ${root.qname}, not EntityDescriptor or EntitiesDescriptor`);
  }
  return idpFromEntity(entity, entityId, rootValidUntil);
}

/**
 * Every IdP of a metadata document: one for an EntityDescriptor (or the configured `entityId` of an
 * aggregate), all of them for an aggregate without one (a federation). A member whose entry is
 * unusable (no SAML 2.0 SSO endpoint, no certificate) is left out and counted, not fatal: one bad
 * entry among thousands must not take the federation down.
 */
export function parseMetadataIndex(xml: string, entityId?: string): { entities: IdpMetadata[]; skipped: number; aggregate: boolean; validUntil?: number } {
  let root: XmlElement;
  try {
    root = parseXmlDocument(xml.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new MetadataError(`metadata XML ${error instanceof Error ? error.message : 'cannot be parsed'}`);
  }
  if (local(root) !== 'EntitiesDescriptor' || entityId !== undefined) return { entities: [parseIdpMetadata(xml, entityId)], skipped: 0, aggregate: false };
  const rootValidUntil = parseInstant(root.attributes.validUntil);
  const validUntil = rootValidUntil === undefined ? {} : { validUntil: rootValidUntil };
  const byId = new Map<string, IdpMetadata>();
  const duplicated = new Set<string>();
  let skipped = 0;
  for (const candidate of descendants(root, 'EntityDescriptor')) {
    if (childrenNamed(candidate, 'IDPSSODescriptor').length === 0) continue;
    try {
      const idp = idpFromEntity(candidate, undefined, rootValidUntil);
      if (byId.has(idp.entityId)) duplicated.add(idp.entityId);
      else byId.set(idp.entityId, idp);
    } catch {
      skipped += 1;
    }
  }
  // Two entries claiming one entityID: neither is trusted over the other.
  for (const id of duplicated) byId.delete(id);
  skipped += duplicated.size;
  const unique = [...byId.values()];
  if (unique.length === 0) throw new MetadataError('the aggregate holds no usable SAML 2.0 IdP');
  return { entities: unique, skipped, aggregate: true, ...validUntil };
}

export function idpFromEntity(entity: XmlElement, expectedEntityId?: string, inheritedValidUntil?: number): IdpMetadata {
  const id = entity.attributes.entityID;
  if (!id) throw new MetadataError('EntityDescriptor has no entityID');
  if (expectedEntityId !== undefined && id !== expectedEntityId) throw new MetadataError(`entityID is ${id}, not the configured ${expectedEntityId}`);
  const descriptor = childrenNamed(entity, 'IDPSSODescriptor').find((candidate) => (candidate.attributes.protocolSupportEnumeration ?? '').split(/\s+/).includes(SAML2_PROTOCOL));
  if (!descriptor) throw new MetadataError(`${id} has no IDPSSODescriptor for SAML 2.0`);

  const signingCertificates: string[] = [];
  for (const key of childrenNamed(descriptor, 'KeyDescriptor')) {
    const use = key.attributes.use;
    if (use !== undefined && use !== 'signing') continue;
    for (const cert of descendants(key, 'X509Certificate')) signingCertificates.push(pemFromBase64(cert.text));
  }
  if (signingCertificates.length === 0) throw new MetadataError(`${id} has no signing certificate`);

  const redirectEndpoint = (name: string) => childrenNamed(descriptor, name).find((endpoint) => endpoint.attributes.Binding === REDIRECT_BINDING);
  const sso = redirectEndpoint('SingleSignOnService');
  if (!sso?.attributes.Location) throw new MetadataError(`${id} has no HTTP-Redirect SingleSignOnService`);
  const slo = redirectEndpoint('SingleLogoutService');

  const scopes: IdpScope[] = [];
  for (const extensions of childrenNamed(descriptor, 'Extensions')) {
    for (const scope of childrenNamed(extensions, 'Scope')) {
      if (scope.text) scopes.push({ value: scope.text, regexp: scope.attributes.regexp === 'true' || scope.attributes.regexp === '1' });
    }
  }
  const metadata: IdpMetadata = {
    entityId: id,
    signingCertificates: [...new Set(signingCertificates)],
    ssoRedirectUrl: httpUrl(sso.attributes.Location, id),
    wantAuthnRequestsSigned: descriptor.attributes.WantAuthnRequestsSigned === 'true' || descriptor.attributes.WantAuthnRequestsSigned === '1',
    scopes,
  };
  if (slo?.attributes.Location) {
    metadata.sloRedirectUrl = httpUrl(slo.attributes.Location, id);
    metadata.sloResponseUrl = httpUrl(slo.attributes.ResponseLocation ?? slo.attributes.Location, id);
  }
  const validUntil = [inheritedValidUntil, parseInstant(entity.attributes.validUntil)].filter((value): value is number => value !== undefined);
  if (validUntil.length > 0) metadata.validUntil = Math.min(...validUntil);
  const names = descendants(descriptor, 'DisplayName');
  const name = names.find((candidate) => candidate.attributes['xml:lang'] === 'en') ?? names[0];
  if (name?.text) metadata.displayName = name.text;
  const all = [...new Set(names.map((candidate) => candidate.text).filter((text) => text !== ''))];
  if (all.length > 1) metadata.displayNames = all;
  return metadata;
}

function httpUrl(value: string, entity: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
  } catch {
    // reported below
  }
  throw new MetadataError(`${entity}: endpoint ${value.slice(0, 200)} is not an http(s) URL`);
}

/**
 * Whether a scoped value (`user@scope`) is in one of the IdP's scopes. Regular-expression scopes
 * are anchored at the end of the value's scope part.
 */
export function scopeAllowed(value: string, scopes: readonly IdpScope[]): boolean {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return false;
  const scope = value.slice(at + 1);
  return scopes.some((allowed) => {
    if (!allowed.regexp) return allowed.value.toLowerCase() === scope.toLowerCase();
    try {
      return new RegExp(`^(?:${allowed.value})$`, 'i').test(scope);
    } catch {
      return false;
    }
  });
}
