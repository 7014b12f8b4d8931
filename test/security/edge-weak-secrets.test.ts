import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { hsSettings } from '../support/config.js';

/**
 * Finding 12 of issue 16: weak secrets and open files. Patterned 64-character HS secrets passed the
 * old check (at least 10 distinct characters); now an entropy estimate and repetition detection
 * refuse them with a message that says how to generate one. check-config warns when a secret or key
 * file is readable by other users (Kubernetes mounts Secrets 0644 unless defaultMode says otherwise).
 */

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jsg-weak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(secret: string): string {
  try {
    parseConfig(hsSettings({}, { secret }));
    return '';
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.problem} (fix: ${issue.fix ?? ''})`).join('\n');
  }
}

const block = randomBytes(12).toString('base64'); // 16 characters

describe('HS secrets', () => {
  it.each([
    ['a 16-character block four times', block.repeat(4)],
    ['an alphabet run', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/'],
    ['a word pattern', 'jitsimeetpassword'.repeat(4)],
    ['words with numbers between them', 'passwordpassword123passwordpassword456passwordpassword789passwor'],
    ['a descending run', 'zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA9876543210-_'],
  ])('refuses %s, saying how to generate one', (_what, secret) => {
    expect(secret.length).toBeGreaterThanOrEqual(64);
    const text = problems(secret);
    expect(text).toMatch(/targets\.meet\.secret: is patterned/);
    expect(text).toMatch(/openssl rand -base64 48/);
  });

  it.each([
    ['openssl rand -base64 48', () => randomBytes(48).toString('base64')],
    ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
    ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
    ['base64url of 32 bytes', () => randomBytes(32).toString('base64url')],
  ])('accepts a secret from %s (100 draws)', (_what, draw) => {
    for (let i = 0; i < 100; i += 1) expect(problems(draw())).toBe('');
  });
});

describe('secret files readable by others', () => {
  async function checkConfig(mode: number): Promise<string> {
    const secretFile = join(dir, `app-secret-${mode.toString(8)}`);
    writeFileSync(secretFile, `${randomBytes(48).toString('base64')}\n`);
    chmodSync(secretFile, mode);
    const config = join(dir, `gateway-${mode.toString(8)}.yaml`);
    const settings = hsSettings({}, {}) as { targets: { meet: Record<string, unknown> } };
    delete settings.targets.meet.secret;
    settings.targets.meet.secretFile = secretFile;
    writeFileSync(config, stringify(settings));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'check-config', '--config', config], { env: { PATH: process.env.PATH } });
    return `${stdout}\n${stderr}`;
  }

  it('check-config warns about a 0644 secret file, naming the setting, the file and the fix', async () => {
    const output = await checkConfig(0o644);
    expect(output).toMatch(/warning: targets\.meet\.secretFile: \S+app-secret-644 is readable by every user \(mode 0644\)/);
    expect(output).toMatch(/chmod 600/);
    expect(output).toMatch(/defaultMode/);
  });

  it('is quiet about a 0600 or 0440 file', async () => {
    expect(await checkConfig(0o600)).not.toMatch(/readable by every user/);
    expect(await checkConfig(0o440)).not.toMatch(/readable by every user/);
  });
});
