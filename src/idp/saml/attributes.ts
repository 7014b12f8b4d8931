import type { Identity } from '../../identity/identity.js';
import { groupList } from '../../identity/mapping.js';
import { scopeAllowed, type IdpScope } from './metadata.js';
import type { SamlAttributeMapping } from './settings.js';
import type { NameId, SamlAttribute } from './assertion.js';

/**
 * SAML attributes → the provider-neutral Identity. Attributes are known by their friendly names:
 * the standard OIDs (eduPerson, inetOrgPerson, SAML subject-id), the older `urn:mace:dir:attribute-def:`
 * names and the attribute's own FriendlyName all land on one key, so a mapping says `mail` whatever
 * the IdP calls it. Scoped attributes are checked against the IdP's shibmd:Scope: a value for a
 * scope the IdP may not assert is dropped (and reported), as a Shibboleth SP does.
 */

/** OID → friendly name (the names the mapping and policy rules use). */
export const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  'urn:oid:0.9.2342.19200300.100.1.1': 'uid',
  'urn:oid:0.9.2342.19200300.100.1.3': 'mail',
  'urn:oid:2.5.4.3': 'cn',
  'urn:oid:2.5.4.4': 'sn',
  'urn:oid:2.5.4.42': 'givenName',
  'urn:oid:2.16.840.1.113730.3.1.241': 'displayName',
  'urn:oid:2.5.4.10': 'o',
  'urn:oid:2.5.4.11': 'ou',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.1': 'eduPersonAffiliation',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.6': 'eduPersonPrincipalName',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.7': 'eduPersonEntitlement',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.9': 'eduPersonScopedAffiliation',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.10': 'eduPersonTargetedID',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.13': 'eduPersonUniqueId',
  'urn:oid:1.3.6.1.4.1.5923.1.5.1.1': 'isMemberOf',
  'urn:oid:1.3.6.1.4.1.25178.1.2.9': 'schacHomeOrganization',
  'urn:oasis:names:tc:SAML:attribute:subject-id': 'subject-id',
  'urn:oasis:names:tc:SAML:attribute:pairwise-id': 'pairwise-id',
};

/** Attributes whose values are `value@scope` and must be in the IdP's scopes. */
export const SCOPED_ATTRIBUTES = new Set(['eduPersonPrincipalName', 'eduPersonScopedAffiliation', 'eduPersonUniqueId', 'subject-id', 'pairwise-id']);

const MACE_PREFIX = 'urn:mace:dir:attribute-def:';
const MAX_VALUES = 512;
const MAX_VALUE_LENGTH = 2048;

/** The key an attribute is known by. */
export function friendlyName(attribute: Pick<SamlAttribute, 'name' | 'friendlyName'>): string {
  const known = ATTRIBUTE_OIDS[attribute.name];
  if (known) return known;
  if (attribute.name.startsWith(MACE_PREFIX)) return attribute.name.slice(MACE_PREFIX.length);
  if (attribute.name.startsWith('urn:oid:') && attribute.friendlyName) return attribute.friendlyName;
  return attribute.name;
}

export interface AttributeClaims {
  claims: Record<string, string[]>;
  /** Values dropped because their scope is not the IdP's: `attribute: value` (for the log). */
  outOfScope: string[];
}

function setClaim(claims: Record<string, string[]>, key: string, values: string[]): void {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') return;
  const existing = Object.hasOwn(claims, key) ? (claims[key] as string[]) : [];
  Object.defineProperty(claims, key, { value: [...new Set([...existing, ...values])].slice(0, MAX_VALUES), enumerable: true, writable: true, configurable: true });
}

/** Attributes as claims (friendly name → values), scoped values checked. */
export function attributeClaims(attributes: readonly SamlAttribute[], scopes: readonly IdpScope[], checkScopes: boolean): AttributeClaims {
  const claims: Record<string, string[]> = {};
  const outOfScope: string[] = [];
  for (const attribute of attributes) {
    const key = friendlyName(attribute);
    let values = attribute.values.filter((value) => value !== '' && value.length <= MAX_VALUE_LENGTH);
    if (checkScopes && scopes.length > 0 && SCOPED_ATTRIBUTES.has(key)) {
      values = values.filter((value) => {
        const ok = scopeAllowed(value, scopes);
        if (!ok) outOfScope.push(`${key}: ${value.slice(0, 200)}`);
        return ok;
      });
    }
    if (values.length === 0) continue;
    setClaim(claims, key, values);
    // Exact names (OIDs, claim URIs) stay reachable too.
    if (key !== attribute.name) setClaim(claims, attribute.name, values);
  }
  return { claims, outOfScope };
}

const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/** The values an attribute spec (`a|b|givenName+sn|nameid`) names; the first alternative present wins. */
export function pick(spec: string | undefined, claims: Readonly<Record<string, string[]>>, nameId: NameId | undefined): string[] {
  if (!spec) return [];
  for (const alternative of spec.split('|')) {
    if (alternative === 'nameid' || alternative === 'nameid:any') {
      if (nameId?.value && (alternative === 'nameid:any' || nameId.format !== TRANSIENT)) return [nameId.value];
      continue;
    }
    if (alternative.includes('+')) {
      const parts = alternative.split('+').map((part) => (Object.hasOwn(claims, part) ? claims[part]?.[0] : undefined));
      if (parts.every((part) => part !== undefined)) return [parts.join(' ')];
      continue;
    }
    if (Object.hasOwn(claims, alternative)) {
      const values = claims[alternative] as string[];
      if (values.length > 0) return values;
    }
  }
  return [];
}

function asSent(value: string | undefined): string | undefined {
  const text = value?.trim();
  return text || undefined;
}

function clean(value: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  const text = value?.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return text ? text.slice(0, 512) : undefined;
}

export class MissingIdError extends Error {
  override readonly name = 'MissingIdError';
}

/** Pure: the verified subject and attributes → Identity (claims keep every attribute as received). */
export function samlIdentity(
  provider: string,
  nameId: NameId | undefined,
  claims: Readonly<Record<string, string[]>>,
  mapping: SamlAttributeMapping,
  options: { emailsAuthoritative?: boolean } = {},
): Identity {
  // Id, name and e-mail are taken as sent (trimmed), never cleaned up: the login callback refuses
  // an unprintable id and leaves out such a name or address (src/identity/printable.ts).
  const id = asSent(pick(mapping.id, claims, nameId)[0]);
  if (!id) throw new MissingIdError(`no value for the id mapping "${mapping.id}"`);
  const all: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(claims)) {
    Object.defineProperty(all, key, { value: values.length === 1 ? values[0] : [...values], enumerable: true, writable: true, configurable: true });
  }
  if (nameId?.value) {
    all.nameid = nameId.value;
    if (nameId.format) all.nameidFormat = nameId.format;
  }
  const identity: Identity = { provider, id, groups: groupList(pick(mapping.groups, claims, nameId)), claims: all };
  const name = asSent(pick(mapping.name, claims, nameId)[0]);
  if (name) identity.name = name;
  const email = asSent(pick(mapping.email, claims, nameId)[0]);
  if (email && /^[^\s@]+@[^\s@]+$/.test(email)) {
    identity.email = email;
    identity.emailVerified = options.emailsAuthoritative === true;
  }
  const avatar = clean(pick(mapping.avatar, claims, nameId)[0]);
  if (avatar && /^https?:\/\//i.test(avatar)) {
    try {
      identity.avatar = new URL(avatar).href;
    } catch {
      // not a URL: no avatar
    }
  }
  return identity;
}
