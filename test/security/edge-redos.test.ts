import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { Identity } from '../../src/identity/identity.js';
import { compilePolicy, toSubject } from '../../src/policy/rules.js';
import { hsSettings } from '../support/config.js';

/**
 * Finding 6 of issue 16 (ReDoS): operators' rule patterns run against claims the person controls.
 * On a backtracking engine `^(a+)+$` against 28 `a` and a `!` blocked the event loop for 10 s.
 * The lengths are tried in increasing order and the test stops at the first evaluation over the
 * budget, so on a backtracking engine it fails (at about 24 characters) instead of hanging.
 */

const BUDGET_MS = 50; // RE2JS needs a few ms for 4096 characters; backtracking doubles per character

const lengths = [...Array.from({ length: 21 }, (_, i) => 20 + i), 64, 128, 256, 512, 1024, 2048, 4096];

function person(claim: string): Identity {
  return { provider: 'corp', id: 'mallory', name: 'Mallory', groups: [], claims: { nickname: claim } } as unknown as Identity;
}

function policyWith(regex: string, ignoreCase = false) {
  const { config } = parseConfig(
    hsSettings({
      policy: { rules: [{ name: 'as-only', when: { provider: 'corp', claims: [{ claim: 'nickname', regex, ignoreCase }] }, allow: { role: 'moderator' } }], default: { deny: 'no' } },
    }),
  );
  return compilePolicy(config.policy);
}

describe('rule patterns run in linear time against hostile claims', () => {
  it.each([
    ['^(a+)+$', false],
    ['^(a|aa)+$', false],
    ['^(a+)+$', true],
  ])('%s (ignoreCase %s) never blocks the event loop for long, claims of 20 to 4096 characters', (regex, ignoreCase) => {
    const policy = policyWith(regex, ignoreCase);
    const location = { target: 'meet', room: 'weekly' };
    let slowest = 0;
    for (const length of lengths) {
      const claim = `${'a'.repeat(length - 1)}!`;
      const subject = toSubject(person(claim), location);
      // The fastest of three: a garbage collection or a busy machine does not repeat three times, a
      // backtracking engine does (it is deterministic).
      let took = Number.POSITIVE_INFINITY;
      let decision = policy.evaluate(subject);
      for (let run = 0; run < 3; run += 1) {
        const started = performance.now();
        decision = policy.evaluate(subject);
        took = Math.min(took, performance.now() - started);
      }
      expect(decision.allow, `claim of ${length}`).toBe(false);
      expect(took, `evaluating a claim of ${length} characters took ${took.toFixed(1)} ms`).toBeLessThan(BUDGET_MS);
      slowest = Math.max(slowest, took);
    }
    // The pattern still means what it says.
    expect(policy.evaluate(toSubject(person('a'.repeat(4096)), location)).allow).toBe(true);
    expect(slowest).toBeLessThan(BUDGET_MS);
  });

  it.each([
    ['backreference', '^(a)\\1$', /backreferences|invalid escape/],
    ['lookahead', '^(?=admin).*$', /lookahead/],
    ['negative lookbehind', '(?<!x)admin', /lookahead or lookbehind/],
  ])('the configuration refuses a %s and says why (check-config shows the same message)', (_what, regex, expected) => {
    let message = '';
    try {
      policyWith(regex);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      message = error.issues.map((issue) => `${issue.path}: ${issue.problem}`).join('\n');
    }
    expect(message).toMatch(/policy\.rules\.0\.when\.claims\.0\.regex: is not a usable rule pattern/);
    expect(message).toMatch(/RE2 syntax/);
    expect(message).toMatch(expected);
  });
});
