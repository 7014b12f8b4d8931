import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as doctorCommand } from '../../src/cli/commands/doctor.js';
import { diagnose, DoctorSettingsError, type DoctorReport, type HttpGet, type ProsodySettings, type RuleName } from '../../src/doctor/prosody.js';
import { luaMatch } from '../../src/doctor/lua-pattern.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { asapName } from '../../src/keys/keyring.js';
import {
  APP_ID, decodePayload, gatewayConfig, hsToken, issue, jitsiTarget, KID, rsa, rsaPublicPem, rsToken, SECRET, unsigned, XMPP_DOMAIN,
} from './fixtures.js';

const NOW = 1_800_000_000;
const hs = jitsiTarget('HS256');
const rs = jitsiTarget('RS256');
const HS_HEADER = { alg: 'HS256', typ: 'JWT' };
const RS_HEADER = { alg: 'RS256', typ: 'JWT', kid: KID };

const hsSettings: ProsodySettings = { appId: APP_ID, appSecret: SECRET, xmppDomain: XMPP_DOMAIN, room: 'standup', now: NOW };
const rsSettings: ProsodySettings = { appId: APP_ID, publicKeyPem: rsaPublicPem, xmppDomain: XMPP_DOMAIN, room: 'standup', now: NOW };
/** A key server that must not be asked (the token is refused before a key is fetched). */
const noFetch: HttpGet = async (url) => {
  throw new Error(`unexpected fetch of ${url}`);
};
const asapSettings: ProsodySettings = { ...rsSettings, publicKeyPem: undefined, asapKeyServer: 'http://keys.invalid/asap', httpGet: noFetch };

/** Claims exactly as the gateway mints them for /standup. */
const claims = decodePayload(issue(hs, 'standup', undefined, NOW));
const withClaims = (changes: Record<string, unknown>) => {
  const next: Record<string, unknown> = { ...claims, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete next[key];
  return next;
};

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
function es256Token(): string {
  const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${nodeSign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function failing(report: DoctorReport): RuleName | undefined {
  return report.failure?.rule;
}

interface Case {
  name: string;
  token: () => string;
  settings?: Partial<ProsodySettings>;
  verdict: 'ACCEPT' | 'REJECT';
  rule?: RuleName;
  /** A substring of the deciding message (the failure's, or the warning's on ACCEPT). */
  says?: string;
  warning?: RuleName;
}

const cases: Case[] = [
  { name: 'malformed: two parts', token: () => 'abc.def', verdict: 'REJECT', rule: 'format', says: '2 non-empty part' },
  { name: 'malformed: payload is not JSON', token: () => `${Buffer.from(JSON.stringify(HS_HEADER)).toString('base64url')}.bm90IGpzb24.c2ln`, verdict: 'REJECT', rule: 'format', says: 'Invalid body' },
  { name: 'bad typ ("jwt")', token: () => hsToken({ alg: 'HS256', typ: 'jwt' }, claims), verdict: 'REJECT', rule: 'typ', says: 'exactly "JWT"' },
  { name: 'missing typ', token: () => hsToken({ alg: 'HS256' }, claims), verdict: 'REJECT', rule: 'typ', says: 'no typ' },
  { name: 'alg none, empty signature', token: () => unsigned({ alg: 'none', typ: 'JWT' }, claims), verdict: 'REJECT', rule: 'format', says: 'alg "none"' },
  { name: 'alg none, some signature', token: () => unsigned({ alg: 'none', typ: 'JWT' }, claims, 'c2lnbmF0dXJl'), verdict: 'REJECT', rule: 'alg', says: 'never accepted' },
  { name: 'ES256', token: es256Token, verdict: 'REJECT', rule: 'alg', says: 'ES256' },
  { name: 'HS384 where Prosody expects the default HS256', token: () => hsToken({ alg: 'HS384', typ: 'JWT' }, claims), verdict: 'REJECT', rule: 'alg', says: 'expects "HS256"' },
  { name: 'HS384 with signature_algorithm HS384', token: () => hsToken({ alg: 'HS384', typ: 'JWT' }, claims), settings: { signatureAlgorithm: 'HS384' }, verdict: 'ACCEPT' },
  { name: 'HS token checked against an RS public key', token: () => issue(hs, 'standup', undefined, NOW), settings: rsSettings, verdict: 'REJECT', rule: 'alg', says: 'expects "RS256"' },
  { name: 'HS token (with kid) against asap_key_server', token: () => hsToken({ ...HS_HEADER, kid: KID }, claims), settings: asapSettings, verdict: 'REJECT', rule: 'alg', says: 'RS family' },
  { name: 'HS token (no kid) against asap_key_server', token: () => issue(hs, 'standup', undefined, NOW), settings: asapSettings, verdict: 'REJECT', rule: 'kid' },
  { name: 'RS token without kid for asap_key_server', token: () => rsToken({ alg: 'RS256', typ: 'JWT' }, claims), settings: asapSettings, verdict: 'REJECT', rule: 'kid', says: "'kid' claim is missing" },
  { name: 'wrong signature (another secret)', token: () => hsToken(HS_HEADER, claims, `${SECRET}-other`), verdict: 'REJECT', rule: 'signature', says: 'does not verify with app_secret' },
  { name: 'wrong RS signature (another key)', token: () => issue(rs, 'standup', undefined, NOW), settings: { ...rsSettings, publicKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString() }, verdict: 'REJECT', rule: 'signature' },
  { name: 'wrong iss', token: () => hsToken(HS_HEADER, withClaims({ iss: 'someone-else' })), verdict: 'REJECT', rule: 'iss', says: 'not in the default asap_accepted_issuers ["meet-gateway"]' },
  { name: 'iss differs only in case', token: () => hsToken(HS_HEADER, withClaims({ iss: 'Meet-Gateway' })), verdict: 'REJECT', rule: 'iss', says: 'case-sensitively' },
  { name: 'iss in asap_accepted_issuers', token: () => hsToken(HS_HEADER, withClaims({ iss: 'booking' })), settings: { acceptedIssuers: ['booking', APP_ID] }, verdict: 'ACCEPT' },
  { name: 'missing iss', token: () => hsToken(HS_HEADER, withClaims({ iss: undefined })), verdict: 'REJECT', rule: 'iss', says: 'missing' },
  { name: 'wrong aud', token: () => hsToken(HS_HEADER, withClaims({ aud: 'other' })), settings: { acceptedAudiences: ['jitsi'] }, verdict: 'REJECT', rule: 'aud', says: 'not in asap_accepted_audiences ["jitsi"]' },
  { name: 'array aud with explicit audiences', token: () => hsToken(HS_HEADER, withClaims({ aud: ['jitsi'] })), settings: { acceptedAudiences: ['jitsi'] }, verdict: 'REJECT', rule: 'aud', says: 'only passes with "*"' },
  { name: 'array aud with the default ["*"]', token: () => hsToken(HS_HEADER, withClaims({ aud: ['jitsi'] })), verdict: 'ACCEPT', warning: 'aud', says: 'array' },
  { name: 'missing aud (even with "*")', token: () => hsToken(HS_HEADER, withClaims({ aud: undefined })), verdict: 'REJECT', rule: 'aud', says: 'missing' },
  { name: 'expired by 1 s', token: () => hsToken(HS_HEADER, withClaims({ exp: NOW - 1 })), verdict: 'REJECT', rule: 'exp', says: 'expired 1 s ago' },
  { name: 'expires exactly now (now >= exp)', token: () => hsToken(HS_HEADER, withClaims({ exp: NOW })), verdict: 'REJECT', rule: 'exp', says: 'exactly now' },
  { name: 'exp 1 s ahead', token: () => hsToken(HS_HEADER, withClaims({ exp: NOW + 1 })), verdict: 'ACCEPT' },
  { name: 'exp as a string', token: () => hsToken(HS_HEADER, withClaims({ exp: String(NOW + 60) })), verdict: 'REJECT', rule: 'exp', says: 'exp must be number' },
  { name: 'no exp (Prosody accepts it forever)', token: () => hsToken(HS_HEADER, withClaims({ exp: undefined })), verdict: 'ACCEPT', warning: 'exp', says: 'forever' },
  { name: 'nbf 1 s in the future', token: () => hsToken(HS_HEADER, withClaims({ nbf: NOW + 1 })), verdict: 'REJECT', rule: 'nbf', says: 'not valid for another 1 s' },
  { name: 'nbf exactly now', token: () => hsToken(HS_HEADER, withClaims({ nbf: NOW })), verdict: 'ACCEPT', warning: 'nbf', says: 'clock' },
  { name: 'missing sub', token: () => hsToken(HS_HEADER, withClaims({ sub: undefined })), verdict: 'REJECT', rule: 'sub', says: 'missing' },
  { name: 'wrong sub (the public hostname)', token: () => hsToken(HS_HEADER, withClaims({ sub: 'meet.example.com' })), verdict: 'REJECT', rule: 'sub', says: 'expects the XMPP domain "meet.jitsi"' },
  { name: 'tenant room with sub = XMPP domain', token: () => hsToken(HS_HEADER, withClaims({ sub: XMPP_DOMAIN })), settings: { tenant: 'sales' }, verdict: 'REJECT', rule: 'sub', says: 'not the XMPP domain' },
  { name: 'tenant of another URL', token: () => issue(hs, 'standup', 'sales', NOW), settings: { tenant: 'support' }, verdict: 'REJECT', rule: 'sub', says: 'expects the tenant' },
  { name: 'tenant case: URL /Sales/standup, gateway token (sub "sales")', token: () => issue(hs, 'standup', 'Sales', NOW), settings: { tenant: 'Sales' }, verdict: 'ACCEPT' },
  { name: 'tenant case: sub "SALES" passes only because Prosody lowercases it', token: () => hsToken(HS_HEADER, withClaims({ sub: 'SALES', context: { ...(claims.context as object), tenant: 'sales' } })), settings: { tenant: 'sales' }, verdict: 'ACCEPT', warning: 'sub', says: 'lowercases' },
  { name: 'sub "*"', token: () => hsToken(HS_HEADER, withClaims({ sub: '*' })), verdict: 'ACCEPT', warning: 'sub', says: 'never mint' },
  { name: 'room raw "Ärger" for /Ärger', token: () => hsToken(HS_HEADER, withClaims({ room: 'Ärger' })), settings: { room: 'Ärger' }, verdict: 'REJECT', rule: 'room', says: '"%c3%a4rger"' },
  { name: 'room raw "ärger" for /Ärger', token: () => hsToken(HS_HEADER, withClaims({ room: 'ärger' })), settings: { room: 'Ärger' }, verdict: 'REJECT', rule: 'room', says: 'backend-safe form' },
  { name: 'room "%c3%a4rger" for /Ärger', token: () => hsToken(HS_HEADER, withClaims({ room: '%c3%a4rger' })), settings: { room: 'Ärger' }, verdict: 'ACCEPT' },
  { name: 'room "%c3%a4rger" for /%C3%84rger (URL-encoded)', token: () => issue(hs, 'Ärger', undefined, NOW), settings: { room: '%C3%84rger' }, verdict: 'ACCEPT' },
  { name: 'room "%C3%A4rger" passes only because Prosody lowercases it', token: () => hsToken(HS_HEADER, withClaims({ room: '%C3%A4rger' })), settings: { room: 'Ärger' }, verdict: 'ACCEPT', warning: 'room', says: 'lowercases' },
  { name: 'room of another meeting', token: () => issue(hs, 'retro', undefined, NOW), verdict: 'REJECT', rule: 'room', says: 'not this meeting' },
  { name: 'missing room', token: () => hsToken(HS_HEADER, withClaims({ room: undefined })), verdict: 'REJECT', rule: 'room', says: 'missing' },
  { name: 'room "*"', token: () => hsToken(HS_HEADER, withClaims({ room: '*' })), verdict: 'ACCEPT', warning: 'room', says: 'never mint' },
  { name: 'room Lua pattern with context.room.regex', token: () => hsToken(HS_HEADER, withClaims({ room: 'stand%a+', context: { ...(claims.context as object), room: { regex: true } } })), verdict: 'ACCEPT', warning: 'room', says: 'pattern' },
  { name: 'context.user.name null', token: () => hsToken(HS_HEADER, withClaims({ context: { user: { id: 'u-1', name: null, moderator: false } } })), verdict: 'REJECT', rule: 'context', says: 'context.user.name is null' },
  { name: 'context null', token: () => hsToken(HS_HEADER, withClaims({ context: null })), verdict: 'REJECT', rule: 'context' },
  { name: 'top-level moderator claim is ignored', token: () => hsToken(HS_HEADER, withClaims({ moderator: true, context: { user: { id: 'u-1' } } })), verdict: 'ACCEPT', warning: 'context', says: 'joins as participant' },
];

describe('doctor: one case per Prosody rule', () => {
  it.each(cases)('$name → $verdict $rule', async (testCase) => {
    const settings = { ...hsSettings, ...testCase.settings };
    const report = await diagnose(testCase.token(), settings);
    expect(report.verdict, JSON.stringify(report.rules, null, 1)).toBe(testCase.verdict);
    expect(failing(report)).toBe(testCase.rule);
    if (testCase.rule && testCase.says) expect(report.failure?.message).toContain(testCase.says);
    if (testCase.warning) {
      const warned = report.rules.find((result) => result.rule === testCase.warning);
      expect(warned?.warning).toBe(true);
      if (testCase.says) expect(warned?.message).toContain(testCase.says);
    }
  });

  it('keeps Prosody order: the first failing rule decides, later rules are still reported', async () => {
    const report = await diagnose(hsToken({ alg: 'HS256', typ: 'jwt' }, withClaims({ exp: NOW - 5, room: 'retro' })), hsSettings);
    expect(report.rules.map((result) => result.rule)).toEqual(['format', 'typ', 'alg', 'kid', 'signature', 'exp', 'nbf', 'iss', 'aud', 'room', 'sub', 'context']);
    expect(report.failure?.rule).toBe('typ');
    expect(report.rules.filter((result) => !result.ok).map((result) => result.rule)).toEqual(['typ', 'exp', 'room']);
  });

  it('with key servers, kid and the RS family come before typ (util.lib.lua reads the header first)', async () => {
    const report = await diagnose(rsToken({ ...RS_HEADER, typ: 'jwt' }, claims), asapSettings);
    expect(report.rules.slice(0, 4).map((result) => result.rule)).toEqual(['format', 'kid', 'alg', 'typ']);
    expect(report.failure?.rule).toBe('typ');
  });

  it('refuses unusable settings', async () => {
    await expect(diagnose('a.b.c', { ...hsSettings, appSecret: undefined })).rejects.toBeInstanceOf(DoctorSettingsError);
    await expect(diagnose('a.b.c', { ...hsSettings, appId: '' })).rejects.toBeInstanceOf(DoctorSettingsError);
  });

  it('evaluates Lua patterns like string.match', () => {
    expect(luaMatch('standup', 'stand%a+')).toBe('standup');
    expect(luaMatch('standup-2', '^stand%a+$')).toBeUndefined();
    expect(luaMatch('xstandupx', 'standup')).toBe('standup');
    expect(luaMatch('team-42', 'team%-(%d+)')).toBe('42');
    expect(luaMatch('a.b', '[%w.]+')).toBe('a.b');
  });
});

describe('doctor: tokens minted by JitsiTarget.issue() are accepted', () => {
  it('HS256', async () => {
    const report = await diagnose(issue(hs, 'standup', undefined, NOW), hsSettings);
    expect(report.verdict).toBe('ACCEPT');
    expect(report.rules.every((result) => result.ok && !result.warning)).toBe(true);
    expect(report.rules.find((result) => result.rule === 'context')?.message).toContain('joins as moderator');
  });

  it('HS256 for a tenant room, with the audience configured', async () => {
    const report = await diagnose(issue(hs, 'Ärger', 'sales', NOW), { ...hsSettings, room: 'Ärger', tenant: 'sales', acceptedAudiences: ['jitsi'] });
    expect(report.verdict).toBe('ACCEPT');
  });

  it('RS256 with the public key', async () => {
    const report = await diagnose(issue(rs, 'standup', undefined, NOW), rsSettings);
    expect(report.verdict).toBe('ACCEPT');
    expect(report.rules.find((result) => result.rule === 'signature')?.message).toContain('configured public key');
  });

  it('RS256 with a PKCS#1 public key (Prosody reads any PEM)', async () => {
    const pkcs1 = rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    expect((await diagnose(issue(rs, 'standup', undefined, NOW), { ...rsSettings, publicKeyPem: pkcs1 })).verdict).toBe('ACCEPT');
  });

  it('a token from the real clock passes with the real clock', async () => {
    const { now: _ignored, ...settings } = hsSettings;
    expect((await diagnose(issue(hs, 'standup'), settings)).verdict).toBe('ACCEPT');
  });
});

describe('doctor against the gateway as a real asap key server and JWKS', () => {
  let gateway: Gateway;
  let server: RunningServer;
  const token = () => issue(rs, 'standup', undefined, NOW);

  beforeAll(async () => {
    gateway = await createGateway({ config: gatewayConfig('RS256'), warnings: [], source: 'test' });
    server = await listen(gateway, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await server?.shutdown('test done');
  });

  it('asap_key_server = <url>/asap: fetches /asap/<hex sha256(kid)>.pem and accepts', async () => {
    const report = await diagnose(token(), { ...rsSettings, publicKeyPem: undefined, asapKeyServer: `${server.url}/asap` });
    expect(report.verdict, JSON.stringify(report.rules, null, 1)).toBe('ACCEPT');
    expect(report.keyUrl).toBe(`${server.url}/asap/${asapName(KID)}.pem`);
  });

  it('asap_key_server = <url>/asap/ (trailing slash): Prosody asks for //<hex>.pem, which the gateway also serves', async () => {
    const report = await diagnose(token(), { ...rsSettings, publicKeyPem: undefined, asapKeyServer: `${server.url}/asap/` });
    expect(report.keyUrl).toBe(`${server.url}/asap//${asapName(KID)}.pem`);
    expect(report.verdict, JSON.stringify(report.rules, null, 1)).toBe('ACCEPT');
    expect((await fetch(`${server.url}/asap//${asapName(KID)}.pem`)).status).toBe(200);
  });

  it('a key server that does not know the kid: REJECT on signature, naming the HTTP status', async () => {
    const report = await diagnose(token(), { ...rsSettings, publicKeyPem: undefined, asapKeyServer: `${server.url}/nowhere` });
    expect(report.verdict).toBe('REJECT');
    expect(report.failure?.rule).toBe('signature');
    expect(report.failure?.message).toContain('HTTP 404');
  });

  it('cache_keys_url = <url>/.well-known/jwks.json: the key is taken from the JWKS by kid', async () => {
    const report = await diagnose(token(), { ...rsSettings, publicKeyPem: undefined, cacheKeysUrl: `${server.url}/.well-known/jwks.json` });
    expect(report.verdict, JSON.stringify(report.rules, null, 1)).toBe('ACCEPT');
    expect(report.rules.find((result) => result.rule === 'signature')?.message).toContain(`the key "${KID}"`);
  });

  it('an unknown kid: not in the JWKS, 404 from the asap server', async () => {
    const other = rsToken({ ...RS_HEADER, kid: 'unknown-kid' }, claims);
    const report = await diagnose(other, {
      ...rsSettings,
      publicKeyPem: undefined,
      cacheKeysUrl: `${server.url}/.well-known/jwks.json`,
      asapKeyServer: `${server.url}/asap`,
    });
    expect(report.failure?.rule).toBe('signature');
    expect(report.failure?.message).toMatch(/not among the RSA keys.*HTTP 404/);
  });
});

describe('doctor CLI', () => {
  let dir: string;
  let secretFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jsg-doctor-'));
    secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `${SECRET}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      return { code: await doctorCommand(argv), stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  const base = ['--app-id', APP_ID, '--xmpp-domain', XMPP_DOMAIN, '--room', 'standup'];

  it('ACCEPT: every rule with ✓, last line ACCEPT, exit 0', async () => {
    const { code, stdout } = await runCli([issue(hs, 'standup'), ...base, '--secret-file', secretFile]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('ACCEPT');
    expect(lines.slice(0, -1).every((line) => line.startsWith('✓ '))).toBe(true);
    expect(lines).toHaveLength(13);
  });

  it('REJECT: ✗ on the rule, last line REJECT: <rule>: <message>, exit 1; the secret is never printed', async () => {
    const { code, stdout, stderr } = await runCli([issue(hs, 'retro'), ...base, '--secret', SECRET]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^✗ room /m);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^REJECT: room: room "retro" is not this meeting/);
    const json = await runCli([issue(hs, 'retro'), ...base, '--secret', SECRET, '--json']);
    expect(JSON.parse(json.stdout).verdict).toBe('REJECT');
    for (const text of [stdout, stderr, json.stdout, json.stderr]) expect(text).not.toContain(SECRET);
  });

  it('takes the token from a meeting URL, quoted, or as Bearer', async () => {
    const token = issue(hs, 'standup');
    for (const form of [`https://meet.example.com/standup#jwt="${token}"`, `"${token}"`, `Bearer ${token}`]) {
      expect((await runCli([form, ...base, '--secret-file', secretFile])).code).toBe(0);
    }
  });

  it('usage errors exit 2', async () => {
    const token = issue(hs, 'standup');
    expect((await runCli([token, '--app-id', APP_ID, '--xmpp-domain', XMPP_DOMAIN, '--secret', SECRET])).code).toBe(2); // no --room
    expect((await runCli([token, ...base])).code).toBe(2); // no key source
    expect((await runCli([token, ...base, '--secret', SECRET, '--secret-file', secretFile])).code).toBe(2);
    expect((await runCli([token, ...base, '--secret', SECRET, '--algorithm', 'ES256'])).code).toBe(2);
    expect((await runCli([token, ...base, '--secret', SECRET, '--bogus'])).code).toBe(2);
    expect((await runCli([...base, '--secret', SECRET])).code).toBe(2); // no token
    const { stderr } = await runCli([token, ...base, '--secret-file', join(dir, 'missing')]);
    expect(stderr).toContain('cannot read');
  });

  it('the built CLI end to end: node dist/src/cli/main.js doctor …', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    ensureBuilt(root);
    const token = issue(hs, 'Ärger', 'sales');
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [join(root, 'dist/src/cli/main.js'), 'doctor', token, ...args], { cwd: root }, (error, stdout) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout });
        });
      });
    const args = ['--app-id', APP_ID, '--xmpp-domain', XMPP_DOMAIN, '--secret-file', secretFile, '--tenant', 'Sales'];
    const accepted = await run([...args, '--room', 'Ärger']);
    expect(accepted.stdout.trimEnd().split('\n').at(-1)).toBe('ACCEPT');
    expect(accepted.code).toBe(0);
    const rejected = await run([...args, '--room', 'Other']);
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toMatch(/\nREJECT: room: /);
  }, 180_000);
});

/** test/setup/build.ts builds once per run; build again only when the doctor's files are stale. */
function ensureBuilt(root: string): void {
  const sources = [
    ...['src/cli/main.ts', 'src/cli/args.ts', 'src/cli/commands/doctor.ts', 'src/keys/keyring.ts'].map((file) => join(root, file)),
    ...['src/doctor', 'src/tokens'].flatMap((folder) => readdirSync(join(root, folder)).filter((file) => file.endsWith('.ts')).map((file) => join(root, folder, file))),
  ];
  const stale = sources.some((source) => {
    const built = join(root, 'dist', source.slice(root.length).replace(/\.ts$/, '.js'));
    return !existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs;
  });
  if (!stale) return;
  // Others may have type errors in files unrelated to the doctor: tsc still emits; only the output matters.
  try {
    execFileSyncQuiet(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], root);
  } catch {
    /* emitted anyway unless noEmitOnError */
  }
  if (!existsSync(join(root, 'dist/src/cli/commands/doctor.js'))) throw new Error('dist/src/cli/commands/doctor.js was not built');
}

function execFileSyncQuiet(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: 'ignore', timeout: 170_000 });
}
