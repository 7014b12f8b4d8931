import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { redactSecrets } from '../../src/config/secrets.js';
import { hsSettings, rsaPem, rsSettings, strongSecret } from '../support/config.js';

function problems(settings: Record<string, unknown>): string {
  try {
    parseConfig(settings);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('config was accepted');
}

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const smallRsa = rsaPem(1024);
const goodRsa = rsaPem();

describe('configuration errors name the field, the problem and the fix', () => {
  it.each<[string, Record<string, unknown>, RegExp[]]>([
    ['short HS secret', hsSettings({}, { secret: 'too-short-secret' }), [/targets\.meet\.secret: is 16 bytes long; at least 32 random bytes are required/, /fix: generate a new one with `openssl rand -base64 48`/]],
    ['default-looking secret', hsSettings({}, { secret: 'changeme-changeme-changeme-changeme' }), [/targets\.meet\.secret: looks like a default or example value/]],
    ['low-entropy secret', hsSettings({}, { secret: 'a'.repeat(40) }), [/targets\.meet\.secret: has too few distinct characters/]],
    ['missing secret', hsSettings({}, { secret: undefined }), [/targets\.meet\.secret: HS256 needs Prosody's app_secret/, /secretFile/]],
    ['ES256', hsSettings({}, { algorithm: 'ES256' }), [/targets\.meet\.algorithm: "ES256" is not accepted by Prosody's token plugin/, /fix: use one of HS256, HS384, HS512, RS256, RS384, RS512/]],
    ['EdDSA', hsSettings({}, { algorithm: 'EdDSA' }), [/"EdDSA" is not accepted/]],
    ['none', hsSettings({}, { algorithm: 'none' }), [/"none" is not accepted/]],
    ['wildcard tenant', hsSettings({}, { tenants: ['*'] }), [/targets\.meet\.tenants\.0: must be a lowercase tenant name .* wildcards are not allowed/]],
    ['wildcard xmpp domain', hsSettings({}, { xmppDomain: '*' }), [/targets\.meet\.xmppDomain: must be a lowercase DNS name .* wildcards are not allowed/]],
    ['no room possible', hsSettings({}, { tenants: [], rootRooms: false }), [/targets\.meet\.tenants: is empty while rootRooms is false/]],
    ['lifetime of days', hsSettings({}, { maxTokenTtlSeconds: 7 * 86400 }), [/targets\.meet\.maxTokenTtlSeconds: is more than a day/]],
    ['ttl above cap', hsSettings({}, { tokenTtlSeconds: 4000, maxTokenTtlSeconds: 3600 }), [/targets\.meet\.tokenTtlSeconds: \(4000\) is above maxTokenTtlSeconds \(3600\)/]],
    ['RS without keys', rsSettings([]), [/targets\.meet\.keys: RS256 needs at least one key/, /keys generate/]],
    ['two active keys', rsSettings([{ kid: 'a', status: 'active', privateKey: goodRsa.privateKey }, { kid: 'b', status: 'active', privateKey: goodRsa.privateKey }]), [/exactly one key must have status "active" \(found 2\)/]],
    ['EC key for RS256', rsSettings([{ kid: 'a', status: 'active', privateKey: ecKey.privateKey }]), [/targets\.meet\.keys\.0: is a ec key; RS256 needs an RSA key/]],
    ['1024-bit RSA', rsSettings([{ kid: 'a', status: 'active', privateKey: smallRsa.privateKey }]), [/RSA key has 1024 bits/, /at least 2048 bits/]],
    ['garbage PEM', rsSettings([{ kid: 'a', status: 'active', privateKey: 'not a key' }]), [/targets\.meet\.keys\.0\.privateKey: is not a readable PEM key/]],
    ['active key without private key', rsSettings([{ kid: 'a', status: 'active', publicKey: goodRsa.publicKey }]), [/the active key needs its private key/]],
    ['duplicate kid', rsSettings([{ kid: 'a', status: 'active', privateKey: goodRsa.privateKey }, { kid: 'a', status: 'retiring', publicKey: goodRsa.publicKey }]), [/kid "a" is used twice/]],
    ['unknown setting', { ...hsSettings(), publicURL: 'x' }, [/\(top level\): unknown setting "publicURL"/, /check its spelling/]],
    ['missing publicUrl', { ...hsSettings(), publicUrl: undefined }, [/publicUrl: is required/]],
    ['publicUrl with query', hsSettings({ publicUrl: 'https://sso.example.com/?x=1' }), [/publicUrl: must be an absolute http\(s\) URL without query or fragment/]],
    ['redis without address', hsSettings({ store: { kind: 'redis', redis: {} } }), [/store\.redis: needs exactly one of url, sentinel or cluster \(found 0\)/]],
    ['redis url scheme', hsSettings({ store: { kind: 'redis', redis: { url: 'http://x' } } }), [/store\.redis\.url: must start with redis:\/\//]],
    ['no target', hsSettings({ targets: {} }), [/targets: no Jitsi target is configured/]],
    ['bad default target', hsSettings({ defaultTarget: 'other' }), [/defaultTarget: names no configured target/]],
    ['ttl not a number', hsSettings({}, { tokenTtlSeconds: '600' }), [/targets\.meet\.tokenTtlSeconds: must be a whole number of seconds/]],
  ])('%s', (_, settings, expected) => {
    const message = problems(settings);
    for (const pattern of expected) expect(message).toMatch(pattern);
    // Secrets never appear in error messages.
    const secret = ((settings.targets as Record<string, { secret?: unknown }> | undefined)?.meet?.secret);
    if (typeof secret === 'string' && secret.length >= 8) expect(message).not.toContain(secret);
  });

  it('reports every problem at once', () => {
    const message = problems({ ...hsSettings({}, { xmppDomain: 'BAD DOMAIN', tenants: ['*'] }), extra: 1 });
    expect(message).toMatch(/3 problems/);
    expect(message).toMatch(/xmppDomain/);
    expect(message).toMatch(/tenants\.0/);
    expect(message).toMatch(/unknown setting "extra"/);
    const semantic = problems(hsSettings({ defaultTarget: 'nope' }, { secret: 'short' }));
    expect(semantic).toMatch(/2 problems/);
  });
});

describe('sources: YAML file, env overrides, *_FILE secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jsg-config-'));
  const secret = strongSecret();
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 }); // readable by others would be a warning

  it('reads YAML, secretFile, and env overrides with __ paths', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `publicUrl: https://sso.example.com/sso/\ntargets:\n  meet:\n    url: https://meet.example.com\n    xmppDomain: meet.jitsi\n    appId: app\n    secretFile: ${secretFile}\n`);
    const { config, warnings } = loadConfig({
      file,
      env: { JSG_TARGETS__MEET__TOKEN_TTL_SECONDS: '120', JSG_STORE__KIND: 'redis', JSG_STORE__REDIS__URL: 'redis://127.0.0.1:6390', JSG_LOG__LEVEL: 'warn', JSG_SERVER__MANAGEMENT__PORT: '9090' },
    });
    expect(config.server.management).toEqual({ port: 9090, host: '0.0.0.0' });
    expect(config.publicUrl).toBe('https://sso.example.com/sso');
    expect(config.targets.meet?.secret).toBe(secret);
    expect(config.targets.meet?.tokenTtlSeconds).toBe(120);
    expect(config.store).toMatchObject({ kind: 'redis', redis: { url: 'redis://127.0.0.1:6390' } });
    expect(config.log.level).toBe('warn');
    expect(warnings).toEqual([]);
  });

  it('reads a secret from an env *_FILE variable and warns about the memory store', () => {
    const { config, warnings } = loadConfig({
      env: {
        JSG_PUBLIC_URL: 'https://sso.example.com',
        JSG_TARGETS__MEET__URL: 'https://meet.example.com',
        JSG_TARGETS__MEET__XMPP_DOMAIN: 'meet.jitsi',
        JSG_TARGETS__MEET__APP_ID: 'app',
        JSG_TARGETS__MEET__SECRET_FILE: secretFile,
      },
    });
    expect(config.targets.meet?.secret).toBe(secret);
    expect(warnings.join('\n')).toMatch(/single replica/);
  });

  it('ignores Kubernetes service-link variables (JSG_PORT, JSG_SERVICE_HOST) with a warning', () => {
    const { config, warnings } = loadConfig({
      env: {
        JSG_PUBLIC_URL: 'https://sso.example.com',
        JSG_TARGETS__MEET__URL: 'https://meet.example.com',
        JSG_TARGETS__MEET__XMPP_DOMAIN: 'meet.jitsi',
        JSG_TARGETS__MEET__APP_ID: 'app',
        JSG_TARGETS__MEET__SECRET_FILE: secretFile,
        JSG_PORT: 'tcp://10.0.0.1:8080',
        JSG_SERVICE_HOST: '10.0.0.1',
        JSG_PORT_8080_TCP_ADDR: '10.0.0.1',
      },
    });
    expect(config.server.port).toBe(8080);
    expect(warnings.join('\n')).toMatch(/ignored environment variables that name no setting: JSG_PORT, JSG_PORT_8080_TCP_ADDR, JSG_SERVICE_HOST/);
  });

  it.each([
    ['unreadable secret file', { secret: undefined, secretFile: join(dir, 'missing') }, /targets\.meet\.secretFile: cannot read .*missing \(ENOENT\)/],
    ['secret and secretFile together', { secretFile, secret }, /targets\.meet\.secretFile: is set together with "targets\.meet\.secret"/],
  ])('%s', (_, target, pattern) => {
    expect(() => parseConfig(hsSettings({}, target))).toThrow(pattern);
  });

  it('names an unreadable or malformed file', () => {
    expect(() => loadConfig({ file: join(dir, 'nope.yaml'), env: {} })).toThrow(/cannot read .*nope\.yaml \(ENOENT\)/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'publicUrl: [unclosed\n');
    expect(() => loadConfig({ file: bad, env: {} })).toThrow(/is not valid YAML/);
  });

  it('redacts secrets for printing', () => {
    const redacted = redactSecrets(hsSettings());
    expect(JSON.stringify(redacted)).toContain('[redacted]');
    expect(JSON.stringify(redacted)).not.toMatch(/"secret":"[A-Za-z0-9_-]{40,}"/);
  });
});
