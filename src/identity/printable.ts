import type { Identity } from './identity.js';

/**
 * Every identifier a provider asserts is checked once, at the login callback, before it reaches a
 * token, a log line, the session or the registry: valid UTF-16 (no lone surrogates, so valid UTF-8
 * on the wire), no control characters (C0, DEL, C1, line and paragraph separators), no invisible
 * formatting characters that make one id look like another (zero-width space, bidi overrides;
 * the joiners ZWJ/ZWNJ stay, scripts and emoji need them), bounded
 * length. The person's id is never repaired: "bob\u0007" or " bob" cleaned up would be bob, so
 * an id that fails is refused. Display name, e-mail and groups that fail are left out.
 */

/** Characters no identifier may contain. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;

/** A surrogate without its pair: not a character, and no UTF-8 encoding exists for it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const MAX_ID_LENGTH = 256;
export const MAX_NAME_LENGTH = 256;
export const MAX_EMAIL_LENGTH = 320;
export const MAX_GROUP_LENGTH = 256;

/** Why `value` is not a printable identifier of at most `max` characters, or undefined. */
export function identifierProblem(value: string, max: number): string | undefined {
  if (value.length === 0) return 'is empty';
  if (LONE_SURROGATE.test(value)) return 'is not valid UTF-8 (a lone surrogate)';
  if (UNPRINTABLE.test(value)) return 'contains control or invisible formatting characters';
  if (value.length > max) return `is longer than ${max} characters`;
  if (value.trim() !== value) return 'begins or ends with white space';
  return undefined;
}

export type CheckedIdentity = { identity: Identity; dropped: string[]; problem?: undefined } | { problem: string; identity?: undefined };

export function checkIdentifiers(identity: Identity): CheckedIdentity {
  const idProblem = identifierProblem(identity.id, MAX_ID_LENGTH);
  if (idProblem) return { problem: `the person's id ${idProblem}` };
  const dropped: string[] = [];
  const checked: Identity = { ...identity, groups: identity.groups.filter((group) => identifierProblem(group, MAX_GROUP_LENGTH) === undefined) };
  if (checked.groups.length < identity.groups.length) dropped.push('groups');
  if (identity.name !== undefined && identifierProblem(identity.name, MAX_NAME_LENGTH)) {
    delete checked.name;
    dropped.push('name');
  }
  if (identity.email !== undefined && identifierProblem(identity.email, MAX_EMAIL_LENGTH)) {
    delete checked.email;
    delete checked.emailVerified;
    dropped.push('email');
  }
  return { identity: checked, dropped };
}
