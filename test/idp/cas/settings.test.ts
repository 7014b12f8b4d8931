/** The CAS provider settings (casProviderSchema) and the CAS presets in providers/. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

import { casProviderSchema } from '../../../src/idp/cas/index.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('casProviderSchema', () => {
  it('fills the defaults', () => {
    expect(casProviderSchema.parse({ kind: 'cas', baseUrl: 'https://cas.example.org/cas/' })).toEqual({
      kind: 'cas',
      baseUrl: 'https://cas.example.org/cas',
      version: '3.0',
      renew: false,
      gateway: false,
      loginParams: {},
      timeoutMs: 5000,
      maxResponseBytes: 1024 * 1024,
      attributes: { id: 'cas:user', name: 'cn|displayName|name', email: 'mail|email', groups: 'groups|memberOf' },
      emailsAuthoritative: false,
      maxClaimsBytes: 65536,
    });
  });

  it.each([
    [3, '3.0'],
    [2, '2.0'],
    [1, '1.0'],
    ['3', '3.0'],
    ['2.0', '2.0'],
  ])('version %j (as YAML reads "version: 3.0") → %s', (version, expected) => {
    expect(casProviderSchema.parse({ kind: 'cas', baseUrl: 'https://c.example/cas', version }).version).toBe(expected);
  });

  it.each([
    [{ baseUrl: 'cas.example.org/cas' }, /baseUrl/],
    [{ baseUrl: 'ftp://cas.example.org/cas' }, /baseUrl/],
    [{ baseUrl: 'https://cas.example.org/cas?x=1' }, /baseUrl/],
    [{ baseUrl: 'https://user:pw@cas.example.org/cas' }, /baseUrl/],
    [{ version: '4.0' }, /version/],
    [{ unknown: 1 }, /unknown|Unrecognized/i],
    [{ loginParams: { service: 'https://evil' } }, /loginParams/],
    [{ loginParams: { renew: 'true' } }, /loginParams/],
    [{ loginParams: { 'a b': 'x' } }, /loginParams/],
    [{ timeoutMs: 10 }, /timeoutMs/],
    [{ maxResponseBytes: 100 * 1024 * 1024 }, /maxResponseBytes/],
    [{ attributes: { id: '' } }, /attributes/],
    [{ attributes: { id: 'a b' } }, /attributes/],
    [{ attributes: { nickname: 'x' } }, /attributes/],
    [{ logoutReturnUrl: '/relative' }, /logoutReturnUrl/],
    [{ renew: true, gateway: true }, /gateway/],
  ])('refuses %j', (extra, path) => {
    const result = casProviderSchema.safeParse({ kind: 'cas', baseUrl: 'https://cas.example.org/cas', ...extra });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(path);
  });
});

describe.each(['lemonldap-cas', 'apereo-cas'])('preset providers/%s.yaml', (preset) => {
  it('has the preset file layout (kind, title, notes, settings) and valid CAS settings once a baseUrl is added', () => {
    const raw = parseYaml(readFileSync(join(root, 'providers', `${preset}.yaml`), 'utf8')) as Record<string, unknown>;
    expect(raw.kind).toBe('cas');
    expect(typeof raw.title).toBe('string');
    expect(typeof raw.notes).toBe('string');
    const settings = raw.settings as Record<string, unknown>;
    expect(settings.baseUrl).toBeUndefined();
    const parsed = casProviderSchema.parse({ kind: 'cas', ...settings, baseUrl: 'https://cas.example.org/cas' });
    expect(parsed.version).toBe('3.0');
    expect(parsed.attributes.id).toBe('cas:user');
  });

  it('applies through the configuration loader (providers.<name>.preset)', async () => {
    const { providerSchema } = await import('../../../src/config/providers.js');
    const parsed = providerSchema.parse({ preset, baseUrl: 'https://cas.example.org/cas', attributes: { groups: 'roles' } }) as Record<string, unknown>;
    expect(parsed).toMatchObject({ kind: 'cas', version: '3.0', baseUrl: 'https://cas.example.org/cas' });
    expect((parsed.attributes as Record<string, string>).groups).toBe('roles');
    expect((parsed.attributes as Record<string, string>).id).toBe('cas:user');
  });
});

describe('createProvider (the cas kind for the provider registry)', () => {
  it('builds a cas provider from raw or already-parsed settings, and names the problems otherwise', async () => {
    const { createProvider } = await import('../../../src/idp/cas/index.js');
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as never;
    const raw = { kind: 'cas', baseUrl: 'https://cas.example.org/cas', displayName: 'Campus' };
    const fromRaw = await createProvider('campus', raw, { config: {} as never, logger });
    expect(fromRaw).toMatchObject({ name: 'campus', kind: 'cas', displayName: 'Campus' });
    const fromParsed = await createProvider('campus', casProviderSchema.parse(raw) as Record<string, unknown>, { config: {} as never, logger });
    expect((await fromParsed.startLogin({ transactionId: 't', callbackUrl: 'https://gw/auth/campus/callback' })).redirectUrl).toMatch(/^https:\/\/cas\.example\.org\/cas\/login\?service=/);
    await expect(createProvider('campus', { kind: 'cas', baseUrl: 'nope' }, { config: {} as never, logger })).rejects.toThrow(/providers\.campus: baseUrl/);
  });
});
