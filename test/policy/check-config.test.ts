import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hsSettings } from '../support/config.js';

/** `check-config` explains the rule set in plain words and warns on rules that can never match. */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jsg-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('check-config prints the policy and its warnings', async () => {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    stringify(
      hsSettings({
        providers: { corp: { kind: 'dev' } },
        policy: {
          rules: [
            { name: 'hosts', when: { provider: 'corp', groups: 'hosts' }, allow: { role: 'moderator', affiliation: 'owner' } },
            { name: 'everyone', allow: {} },
            { name: 'board', when: { room: 'board-*' }, deny: 'Board only.' },
          ],
        },
        api: { clients: { booking: { secretHash: `sha256:${'0'.repeat(64)}`, tenants: ['acme'] } } },
      }),
    ),
  );
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'check-config', '--config', file], { env: { PATH: process.env.PATH } });
  expect(stdout).toContain('  policy: 3 rules, tried in order; the first that matches decides');
  expect(stdout).toContain('    1. "hosts": when signed in with "corp", and in group "hosts" → allow as moderator; affiliation owner');
  expect(stdout).toContain('    2. "everyone": anyone (catch-all) → allow as participant');
  expect(stdout).toContain('(never used: rule "everyone" matches every request)');
  expect(stdout).toContain('  api client booking: tokens, rooms, invites on every target, tenants "acme", every room; participant tokens only');
  expect(stdout).toContain('  warning: policy.rules[2] "board" can never match: it comes after the catch-all rule "everyone", which matches every request');
});
