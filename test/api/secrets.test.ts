import { describe, expect, it } from 'vitest';
import { generateApiSecret, hashApiSecret, parseSecretHash, verifySecret } from '../../src/api/secrets.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { hsSettings } from '../support/config.js';

describe('API client secret hashes', () => {
  it.each(['sha256', 'scrypt'] as const)('%s: the secret verifies, anything else does not', async (kind) => {
    const secret = generateApiSecret();
    const hash = parseSecretHash(await hashApiSecret(secret, kind));
    expect(await verifySecret(secret, hash)).toBe(true);
    expect(await verifySecret(`${secret}x`, hash)).toBe(false);
    expect(await verifySecret('', hash)).toBe(false);
    expect(await verifySecret('x'.repeat(10_000), hash)).toBe(false);
  });

  it('matches the sha256sum recipe of docs/api.md', async () => {
    expect(await hashApiSecret('hello')).toBe('sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it.each(['sha256:abc', 'scrypt:1000:8:1:c2FsdHNhbHRzYWx0c2FsdA:aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA', 'plain-secret'])('rejects %s', (text) => {
    expect(() => parseSecretHash(text)).toThrow();
  });

  const configProblems = (client: Record<string, unknown>, api: Record<string, unknown> = {}) => {
    try {
      parseConfig(hsSettings({ api: { clients: { booking: client }, ...api } }));
      return '';
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
  };

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a secret instead of its hash', { secretHash: 'my-secret-value' }, /secretHash: must be sha256/],
    ['no way to authenticate', { tenants: ['acme'] }, /needs secretHash/],
    ['an OAuth2 client without api.oauth2', { oauth2ClientId: 'svc' }, /needs api\.oauth2/],
    ['an unknown setting', { secretHash: `sha256:${'0'.repeat(64)}`, maxTtl: 5 }, /unknown setting "maxTtl"/],
    ['a tenant wildcard', { secretHash: `sha256:${'0'.repeat(64)}`, tenants: ['*'] }, /tenant/],
    ['an unknown operation', { secretHash: `sha256:${'0'.repeat(64)}`, operations: ['admin'] }, /operations/],
  ])('config refuses %s', (_what, client, expected) => {
    expect(configProblems(client)).toMatch(expected);
  });

  it('config accepts a valid client', () => {
    expect(configProblems({ secretHash: `sha256:${'0'.repeat(64)}`, tenants: ['acme', '-'], rooms: ['team-*'] })).toBe('');
  });
});
