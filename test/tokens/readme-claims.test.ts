import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargets } from '../../src/tokens/targets.js';
import { hsSettings } from '../support/config.js';

/**
 * The README's token table says what the code does (issue 13): `jti` is a per-process random
 * prefix and a counter (not a UUID), and `affiliation` appears only when a rule or the room
 * registry sets one (a plain participant has none; test/login/lemonldap-presets.test.ts and the CAS
 * flow tests check the participant's context.user has no affiliation end to end).
 */
const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const row = (claim: string) => readme.split('\n').find((line) => line.startsWith(`| \`${claim}\` |`)) ?? '';

describe('README token table agrees with the code', () => {
  it('jti: a base64url prefix of 96 random bits, a dot, a base-36 counter', () => {
    const meet = createTargets(parseConfig(hsSettings()).config).get('meet');
    if (!meet) throw new Error('no target');
    const issue = () => meet.issue({ location: meet.locate('room'), user: { id: 'p', moderator: false } }).claims.jti;
    const [first, second] = [issue(), issue()];
    expect(first).toMatch(/^[A-Za-z0-9_-]{16}\.[0-9a-z]+$/);
    expect(second.split('.')[0]).toBe(first.split('.')[0]);
    expect(parseInt(second.split('.')[1] ?? '', 36)).toBe(parseInt(first.split('.')[1] ?? '', 36) + 1);
    expect(row('jti')).toContain('<96 random bits per process, base64url>.<counter in base 36>');
    expect(row('jti')).not.toMatch(/UUID/i);
  });

  it('context.user: affiliation only when a rule or the room registry sets one', () => {
    expect(row('context.user')).toContain('a plain participant has none');
    expect(row('context.user')).not.toContain('(owner/moderator/teacher/member)');
  });
});
