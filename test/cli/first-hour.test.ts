import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { COMMANDS } from '../../src/cli/commands.js';
import { hsSettings, strongSecret } from '../support/config.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';

/**
 * The operator's first hour (issue 13): everything the CLI prints must work as printed. Every
 * command and sub-command answers --help; the keys entry `keys generate` prints passes check-config
 * as pasted; check-config prints what to register at each IdP and the Jitsi settings of each
 * target; `providers check` says whether the IdP accepts the gateway's client authentication.
 */

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'jsg-first-hour-'));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function writeConfig(file: string, settings: Record<string, unknown>): string {
  const path = join(dir, file);
  writeFileSync(path, stringify(settings));
  return path;
}

describe('--help answers for every command and sub-command', () => {
  const invocations: string[][] = [['--help'], ['-h'], ['help']];
  for (const [name, entry] of Object.entries(COMMANDS)) {
    invocations.push([name, '--help'], [name, '-h'], ['help', name]);
    for (const sub of Object.keys(entry.subcommands ?? {})) invocations.push([name, sub, '--help'], [name, sub, '-h'], ['help', name, sub]);
  }

  it.each(invocations.map((args) => [args.join(' '), args] as const))('%s', async (_label, args) => {
    const { code, stdout, stderr } = await cli([...args]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const words = args.filter((arg) => arg !== 'help' && !arg.startsWith('-'));
    expect(stdout.startsWith(`usage: jitsi-sso-gateway ${words.join(' ')}`.trimEnd())).toBe(true);
    if (words.length === 0) for (const name of Object.keys(COMMANDS)) expect(stdout).toContain(`  ${name} `);
  });
});

describe('keys generate prints an entry check-config accepts as pasted', () => {
  const rsSettings = (keys: unknown[]) => hsSettings({}, { algorithm: 'RS256', secret: undefined, keys });

  it('with --out: a first key is active and names the written file', async () => {
    const generated = await cli(['keys', 'generate', '--kid', 'first-key', '--out', join(dir, 'keys')]);
    expect(generated.code).toBe(0);
    const entry = parseYaml(generated.stdout) as Array<Record<string, unknown>>;
    expect(entry).toEqual([{ kid: 'first-key', status: 'active', privateKeyFile: join(dir, 'keys', 'first-key.key.pem') }]);
    const checked = await cli(['check-config', '--config', writeConfig('first.yaml', rsSettings(entry))]);
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    const token = await cli(['token', '--config', join(dir, 'first.yaml'), '--room', 'r']);
    expect(token.code).toBe(0);
  });

  it('without --out: the entry carries the key inline and works too', async () => {
    const generated = await cli(['keys', 'generate', '--kid', 'inline-key']);
    expect(generated.code).toBe(0);
    const entry = parseYaml(generated.stdout) as Array<Record<string, unknown>>;
    expect(entry[0]).toMatchObject({ kid: 'inline-key', status: 'active', privateKey: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/) });
    expect((await cli(['check-config', '--config', writeConfig('inline.yaml', rsSettings(entry))])).code).toBe(0);
  });

  it('--rotate: a key added beside the active one is next, and the pair passes check-config', async () => {
    const first = parseYaml((await cli(['keys', 'generate', '--kid', 'old-key', '--out', join(dir, 'keys')])).stdout) as unknown[];
    const next = parseYaml((await cli(['keys', 'generate', '--kid', 'new-key', '--out', join(dir, 'keys'), '--rotate'])).stdout) as Array<Record<string, unknown>>;
    expect(next[0]?.status).toBe('next');
    expect((await cli(['check-config', '--config', writeConfig('rotate.yaml', rsSettings([...first, ...next]))])).code).toBe(0);
  });
});

describe('what the messages tell operators to set exists', () => {
  it('publicKeyFile (the keyring says "set publicKeyFile for a key that no longer signs") is read like privateKeyFile', async () => {
    const active = parseYaml((await cli(['keys', 'generate', '--kid', 'current', '--out', join(dir, 'keys')])).stdout) as unknown[];
    await cli(['keys', 'generate', '--kid', 'previous', '--out', join(dir, 'keys')]);
    const retiring = { kid: 'previous', status: 'retiring', publicKeyFile: join(dir, 'keys', 'previous.pub.pem') };
    const settings = hsSettings({}, { algorithm: 'RS256', secret: undefined, keys: [...active, retiring] });
    const checked = await cli(['check-config', '--config', writeConfig('retiring.yaml', settings)]);
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/key previous \(retiring\) published at \/asap\/[0-9a-f]{64}\.pem/);
  });
});

describe('check-config prints what to register and how to wire Jitsi', () => {
  it('per provider the exact URLs, per target config.js, Prosody and docker-jitsi-meet settings (no secret)', async () => {
    const secret = strongSecret();
    const settings = hsSettings(
      {
        providers: {
          corp: { preset: 'keycloak', issuer: 'https://sso.example.com/realms/acme', clientId: 'jitsi', clientSecret: 'kc-secret-0123456789' },
          campus: { preset: 'apereo-cas', baseUrl: 'https://cas.example.org/cas' },
        },
      },
      { secret },
    );
    const { code, stdout } = await cli(['check-config', '--config', writeConfig('wiring.yaml', settings)]);
    expect(code).toBe(0);
    const publicUrl = String(settings.publicUrl).replace(/\/+$/, '');
    expect(stdout).toContain(`    redirect URI:             ${publicUrl}/auth/corp/callback`);
    expect(stdout).toContain(`    post-logout redirect URI: ${publicUrl}/logout/done`);
    expect(stdout).toContain(`    back-channel logout URI:  ${publicUrl}/auth/corp/backchannel-logout`);
    expect(stdout).toContain(`    service URL: ${publicUrl}/auth/campus/callback   (as a prefix or pattern`);
    expect(stdout).toContain(`config.tokenAuthUrl = '${publicUrl}/login?room={room}&state={state}';`);
    expect(stdout).toContain('authentication = "token"');
    expect(stdout).toContain('asap_accepted_audiences = { "jitsi" }');
    expect(stdout).toContain(`TOKEN_AUTH_URL=${publicUrl}/login?room={room}&state={state}`);
    expect(stdout).toContain('JWT_APP_SECRET=<the value of targets.meet.secret>');
    expect(stdout).not.toContain(secret);
    expect(stdout).not.toContain('kc-secret-0123456789');
  });
});

describe('providers check against a real OpenID provider (oidc-provider)', () => {
  let idp: TestOidcProvider;
  let config: string;
  beforeAll(async () => {
    idp = await startOidcProvider({ clients: [{ client_id: 'gw', client_secret: 'gw-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://sso.example.com/auth/good/callback'] }] });
    const base = { kind: 'oidc', issuer: idp.issuer, clientId: 'gw' };
    config = writeConfig(
      'providers.yaml',
      hsSettings({
        providers: {
          good: { ...base, clientSecret: 'gw-secret-0123456789' },
          wrongsecret: { ...base, clientSecret: 'not-the-secret-0123' },
          wrongissuer: { ...base, clientSecret: 'gw-secret-0123456789', issuer: `${idp.issuer}/` },
        },
      }),
    );
  });
  afterAll(async () => idp?.stop());

  it('a working client: every check passes, exit 0', async () => {
    const { code, stdout } = await cli(['providers', 'check', 'good', '--config', config]);
    expect(stdout).toContain('✓ client authentication: the IdP authenticated client gw with client_secret_basic (it answered invalid_grant to a deliberately invalid code)');
    expect(stdout).toMatch(/✓ JWKS: 1 signing key\(s\) \(test-\d+\)/);
    expect(stdout).toMatch(/good: ready\n$/);
    expect(code).toBe(0);
  });

  it("a wrong secret: the IdP refused the gateway's client authentication, with the fix, exit 1", async () => {
    const { code, stdout } = await cli(['providers', 'check', 'wrongsecret', '--config', config]);
    expect(stdout).toContain("✗ client authentication: the IdP refused the gateway's client authentication (method client_secret_basic, client id gw): it answered invalid_client");
    expect(stdout).toContain('fix: check the secret and clientAuth');
    expect(stdout).not.toContain('not-the-secret-0123');
    expect(code).toBe(1);
  });

  it('an issuer that differs by a trailing slash: both named, and the fix', async () => {
    const { code, stdout } = await cli(['providers', 'check', 'wrongissuer', '--config', config]);
    expect(stdout).toContain(`names issuer "${idp.issuer}", not the configured "${idp.issuer}/"`);
    expect(stdout).toContain('fix: set issuer to the value of "issuer" in the discovery document');
    expect(code).toBe(1);
  });

  it('an unknown provider name is a usage error naming the configured ones', async () => {
    const { code, stderr } = await cli(['providers', 'check', 'nobody', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('no provider named "nobody"; configured: good, wrongsecret, wrongissuer');
  });
});
