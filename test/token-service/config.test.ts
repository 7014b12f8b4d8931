import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { createTargets } from '../../src/tokens/targets.js';
import { SsoClients } from '../../src/token-service/clients.js';

/** The token service's settings: what config must supply because Jitsi's request does not. */

const target = (extra: Record<string, unknown> = {}) => ({
  url: 'https://meet.example.com',
  xmppDomain: 'meet.jitsi',
  appId: 'jitsi',
  algorithm: 'HS256',
  secret: 'k3J9xQ2mV8pL4wR7tY1uI6oP0aS5dF3gH8jK2lZ9xC4vB7nM',
  ...extra,
});
const parse = (settings: Record<string, unknown>) => parseConfig({ publicUrl: 'https://auth.example.com/sso', providers: {}, ...settings }, 'test');
const problems = (settings: Record<string, unknown>) => {
  try {
    parse(settings);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.problem}`);
  }
};

describe('token service configuration', () => {
  it('a client defaults to Jitsi\'s sso.html on the target\'s origin, and that origin alone', () => {
    const { config } = parse({ targets: { meet: target({ url: 'https://meet.example.com/jitsi', sso: { clientId: 'jitsi-meet' } }) } });
    const clients = new SsoClients(createTargets(config).values());
    expect(clients.get('jitsi-meet')).toMatchObject({ redirectUri: 'https://meet.example.com/static/sso.html', origins: new Set(['https://meet.example.com']) });
    expect([...clients.origins]).toEqual(['https://meet.example.com']);
  });

  it.each([
    ['an http redirect URI', { meet: target({ sso: { clientId: 'a', redirectUri: 'http://meet.example.com/static/sso.html' } }) }, 'targets.meet.sso.redirectUri'],
    ['an origin with a path', { meet: target({ sso: { clientId: 'a', origins: ['https://meet.example.com/'] } }) }, 'targets.meet.sso.origins.0'],
    ['one client id for two targets', { meet: target({ sso: { clientId: 'a' } }), other: target({ sso: { clientId: 'a' } }) }, 'targets.other.sso.clientId'],
    ['a client id with spaces', { meet: target({ sso: { clientId: 'a b' } }) }, 'targets.meet.sso.clientId'],
  ])('refuses %s', (_what, targets, path) => {
    expect(problems({ targets }).join('\n')).toContain(path);
  });

  it('takes an EC P-256 or RSA ID-token key and refuses others', () => {
    const pem = (type: 'ec' | 'rsa' | 'ed25519', options: Record<string, unknown>) =>
      (generateKeyPairSync(type as 'ec', options as { namedCurve: string }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const withKey = (privateKey: string) => ({ targets: { meet: target({ sso: { clientId: 'a' } }) }, tokenService: { signingKey: { kid: 'k1', privateKey } } });
    expect(problems(withKey(pem('ec', { namedCurve: 'P-256' })))).toEqual([]);
    expect(problems(withKey(pem('rsa', { modulusLength: 2048 })))).toEqual([]);
    expect(problems(withKey(pem('ed25519', {}))).join()).toContain('tokenService.signingKey.privateKey');
    expect(problems(withKey('not a key')).join()).toContain('tokenService.signingKey.privateKey');
  });
});
