import { z } from 'zod';
import type { Identity } from './identity.js';

/**
 * Claim mapping: which claim (of the ID token and userinfo, merged) becomes which Identity field.
 *
 * A path names one claim. Nested claims use dots (`realm_access.roles`); a claim whose own name
 * contains dots (`https://example.com/groups`) is found as it is before the path is split.
 * Alternatives are separated by `|` and the first one present wins (`name|preferred_username`).
 */
const claimPath = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\s|]+(\|[^\s|]+)*$/, 'must be a claim name or dotted path, or several separated by | (first present wins)');

export const claimMappingSchema = z.strictObject({
  /** Stable person id at the IdP. `sub` is the only id OIDC guarantees stable and unique per issuer. */
  id: claimPath.default('sub'),
  name: claimPath.default('name|preferred_username|nickname'),
  email: claimPath.default('email'),
  /** Only http(s) URLs are used. */
  avatar: claimPath.default('picture'),
  /** Arrays of strings, a single string, or an object whose keys are the groups (Zitadel roles). */
  groups: claimPath.default('groups'),
});
export type ClaimMapping = z.output<typeof claimMappingSchema>;

/** Limits so one odd IdP answer cannot blow up a session or a token. */
const MAX_TEXT = 512;
const MAX_GROUPS = 512;
const MAX_GROUP_LENGTH = 256;

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The value at a claim path, or undefined. Exact claim names win over dotted traversal. */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  const segments = path.split('.');
  if (segments.length < 2) return undefined;
  let node: unknown = claims;
  for (const segment of segments) {
    if (UNSAFE_KEYS.has(segment) || typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** The first alternative of `spec` (a|b|c) that is present and not null. */
export function firstClaim(claims: Readonly<Record<string, unknown>>, spec: string): unknown {
  for (const path of spec.split('|')) {
    const value = claimAt(claims, path);
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  // Not cleaned up: a value with control characters is left out by the login callback
  // (src/identity/printable.ts); "carol\u0007@corp.example" repaired would be somebody else's address.
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > MAX_TEXT) return undefined;
  return trimmed;
}

function httpUrl(value: unknown): string | undefined {
  const candidate = text(value);
  if (!candidate) return undefined;
  try {
    const url = new URL(candidate);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function email(value: unknown): string | undefined {
  const candidate = text(value);
  return candidate && /^[^\s@]+@[^\s@]+$/.test(candidate) ? candidate : undefined;
}

/** Group names from an array, a single (space or comma separated) string, or an object's keys. */
export function groupList(value: unknown): string[] {
  let raw: unknown[];
  if (Array.isArray(value)) raw = value;
  else if (typeof value === 'string') raw = value.split(/[\s,]+/);
  else if (typeof value === 'object' && value !== null) raw = Object.keys(value);
  else return [];
  const groups = new Set<string>();
  for (const item of raw) {
    const name = text(item);
    if (name && name.length <= MAX_GROUP_LENGTH) groups.add(name);
    if (groups.size >= MAX_GROUPS) break;
  }
  return [...groups];
}

export class IdentityMappingError extends Error {
  override readonly name = 'IdentityMappingError';
}

/**
 * Pure: claims (plain JSON values) → the provider-neutral Identity. Throws IdentityMappingError
 * when the id claim is missing: a person without a stable id never gets a token.
 */
export function mapIdentity(provider: string, claims: Readonly<Record<string, unknown>>, mapping: ClaimMapping, options: { emailsAuthoritative?: boolean } = {}): Identity {
  // The id is taken as sent, never cleaned up ("bob\u0007" is not bob): the login callback refuses
  // an id that is not printable (src/identity/printable.ts).
  const rawId = firstClaim(claims, mapping.id);
  const id = typeof rawId === 'string' ? rawId : typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : undefined;
  if (id === undefined || id.trim() === '') throw new IdentityMappingError(`the identity provider sent no usable "${mapping.id}" claim for the person's id`);
  const identity: Identity = { provider, id, groups: groupList(firstClaim(claims, mapping.groups)), claims: { ...claims } };
  const name = text(firstClaim(claims, mapping.name));
  if (name) identity.name = name;
  const mail = email(firstClaim(claims, mapping.email));
  if (mail) {
    identity.email = mail;
    identity.emailVerified = options.emailsAuthoritative === true || vouchedFor(claims, mail);
  }
  const avatar = httpUrl(firstClaim(claims, mapping.avatar));
  if (avatar) identity.avatar = avatar;
  return identity;
}

/**
 * OIDC Core 5.1: `email_verified` speaks for the `email` claim only; an address mapped from another
 * claim (upn, mail) is vouched for only by a provider declared authoritative.
 */
function vouchedFor(claims: Readonly<Record<string, unknown>>, mail: string): boolean {
  const verified = claims.email_verified;
  return (verified === true || verified === 'true') && email(claims.email) === mail;
}

/** Which mapped fields `claims` cannot fill (used to decide on a userinfo request). */
export function missingFields(claims: Readonly<Record<string, unknown>>, mapping: ClaimMapping): Array<keyof ClaimMapping> {
  return (Object.keys(mapping) as Array<keyof ClaimMapping>).filter((field) => firstClaim(claims, mapping[field]) === undefined);
}
