import type { Identity } from './identity.js';

/**
 * A person is (provider, subject): the same id, e-mail address or group at two identity providers
 * belongs to two different people, because each provider vouches only for its own. `PersonKey` is
 * the one form in which the gateway names a person (sessions, audit lines, rate limits, invite
 * owners): built only by `personKey`, never by gluing strings, so a subject that happens to contain
 * "corp:" can never pass for somebody at the provider `corp`.
 *
 * The text form is `<provider>:<subject>`. Provider names cannot contain ":" (config names are
 * lowercase letters, digits and dashes), so the first ":" always ends the provider.
 */
declare const personKeyBrand: unique symbol;
export type PersonKey = string & { readonly [personKeyBrand]: true };

/** Configured provider names: lowercase letters, digits, dashes (src/config/providers.ts). */
export const PROVIDER_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function personKey(provider: string, subject: string): PersonKey {
  if (!PROVIDER_NAME.test(provider)) throw new TypeError('a person key needs a configured provider name');
  if (subject === '') throw new TypeError('a person key needs a subject');
  return `${provider}:${subject}` as PersonKey;
}

export const personKeyOf = (identity: Pick<Identity, 'provider' | 'id'>): PersonKey => personKey(identity.provider, identity.id);

/** The provider and subject of a key (the first ":" ends the provider). */
export function splitPersonKey(key: PersonKey): { provider: string; subject: string } {
  const colon = key.indexOf(':');
  return { provider: key.slice(0, colon), subject: key.slice(colon + 1) };
}
