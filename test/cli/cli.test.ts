import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hsSettings, strongSecret } from '../support/config.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'jsg-cli-'));

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const secret = strongSecret();
const secretFile = join(dir, 'hs-secret');
writeFileSync(secretFile, secret);
const configFile = join(dir, 'config.yaml');
const settings = hsSettings({}, { secret: undefined, secretFile });
writeFileSync(configFile, stringify(settings));

describe('jitsi-sso-gateway CLI', () => {
  it('token prints the JWT alone, for the room, tenant and role asked', async () => {
    const { code, stdout, stderr } = await cli(['token', '--config', configFile, '--room', 'Team Sync', '--tenant', 'acme', '--moderator', '--name', 'Ops', '--email', 'ops@example.com', '--ttl', '120']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = stdout.trim();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { issuer: 'jitsi-sso', audience: 'jitsi' });
    expect(payload).toMatchObject({ room: 'team%20sync', sub: 'acme', context: { user: { name: 'Ops', email: 'ops@example.com', moderator: true, affiliation: 'owner' }, tenant: 'acme' } });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
  });

  it.each([
    [['token', '--config', configFile], 2, /--room is required/],
    [['token', '--config', configFile, '--room', '*'], 1, /cannot be used/],
    [['token', '--config', configFile, '--room', 'r', '--tenant', 'evil'], 1, /tenant is not served/],
    [['token', '--config', configFile, '--room', 'r', '--ttl', '99999'], 1, /above the target's maxTokenTtlSeconds/],
    [['token', '--config', configFile, '--room', 'r', '--target', 'nope'], 2, /no target named "nope"/],
    [['token', '--config', configFile, '--room', 'r', '--bogus'], 2, /Unknown option '--bogus'/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
  ])('%j exits %i with a clear message', async (args, exitCode, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('check-config explains a valid config and fails on a weak secret without printing it', async () => {
    const ok = await cli(['check-config', '--config', configFile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/is valid/);
    expect(ok.stdout).toMatch(/target meet: https:\/\/meet\.example\.com .*HS256 tokens, iss=jitsi-sso aud=jitsi/);
    expect(ok.stdout).toMatch(/warning: store\.kind is memory/);
    expect(ok.stdout + ok.stderr).not.toContain(secret);

    const weak = join(dir, 'weak.yaml');
    writeFileSync(weak, stringify(hsSettings({}, { secret: 'jitsi-secret-123' })));
    const bad = await cli(['check-config', '--config', weak]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/targets\.meet\.secret: is 16 bytes long/);
    expect(bad.stderr).not.toContain('jitsi-secret-123');
  });

  it('keys generate writes a usable key pair and says where it is published', async () => {
    const out = join(dir, 'keys');
    const generated = await cli(['keys', 'generate', '--kid', 'k-2026', '--out', out]);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/asap path: \/asap\/[0-9a-f]{64}\.pem/);
    expect(readdirSync(out).sort()).toEqual(['k-2026.key.pem', 'k-2026.pub.pem']);
    const rsConfig = join(dir, 'rs.yaml');
    writeFileSync(rsConfig, stringify(hsSettings({}, { algorithm: 'RS256', secret: undefined, keys: [{ kid: 'k-2026', status: 'active', privateKeyFile: join(out, 'k-2026.key.pem') }] })));
    const token = await cli(['token', '--config', rsConfig, '--room', 'r']);
    expect(token.code).toBe(0);
    expect(decodeProtectedHeader(token.stdout.trim())).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k-2026' });
    expect(readFileSync(join(out, 'k-2026.key.pem'), 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
  });

  it('serve refuses a config with a weak secret: one structured line naming the cause, exit 1', async () => {
    const weak = join(dir, 'weak2.yaml');
    writeFileSync(weak, stringify(hsSettings({}, { secret: 'short' })));
    const result = await cli(['serve', '--config', weak]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'fatal', cause: 'invalid_configuration', msg: expect.stringMatching(/^cannot start: invalid configuration .*targets\.meet\.secret/) });
    expect(result.stdout).not.toContain('short');
  });

  it('serve: SIGTERM stops accepting, finishes, and exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], {
      env: { PATH: process.env.PATH, JSG_SERVER__PORT: '0', JSG_SERVER__HOST: '127.0.0.1', JSG_LOG__LEVEL: 'info', JSG_SERVER__SHUTDOWN_DELAY_SECONDS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 15000);
      child.stdout.on('data', () => {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/shutting down/);
    expect(output).toMatch(/"msg":"stopped"/);
    expect(output).not.toContain(secret);
    const lines = output.trim().split('\n').filter((line) => line.startsWith('{'));
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });
});
