import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';

export const strongSecret = () => randomBytes(32).toString('base64url');

export function rsaPem(bits = 2048): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: bits,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

/** A valid minimal HS256 configuration, with overrides merged shallowly per section. */
export function hsSettings(overrides: Record<string, unknown> = {}, target: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    publicUrl: 'http://127.0.0.1:8080',
    log: { level: 'silent' },
    targets: {
      meet: {
        url: 'https://meet.example.com',
        xmppDomain: 'meet.jitsi',
        tenants: ['acme'],
        appId: 'jitsi-sso',
        audience: 'jitsi',
        algorithm: 'HS256',
        secret: strongSecret(),
        ...target,
      },
    },
    ...overrides,
  };
}

export function hsConfig(overrides: Record<string, unknown> = {}, target: Record<string, unknown> = {}): LoadedConfig {
  return parseConfig(hsSettings(overrides, target));
}

export function rsSettings(keys: Array<Record<string, unknown>>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return hsSettings(overrides, { algorithm: 'RS256', secret: undefined, keys });
}
