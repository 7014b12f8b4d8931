import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { createTargets } from '../../src/tokens/targets.js';
import type { Identity } from '../../src/identity/identity.js';
import { createPolicy } from '../../src/policy/engine.js';
import { compileGlob, globCovers } from '../../src/policy/glob.js';
import type { Decision } from '../../src/policy/policy.js';
import { MemoryStore } from '../../src/store/memory.js';
import { hsSettings } from '../support/config.js';

/** A person as an identity provider would produce them. */
function person(overrides: Partial<Identity> = {}): Identity {
  return { provider: 'corp', id: 'alice', name: 'Alice', email: 'alice@example.com', emailVerified: true, groups: [], claims: {}, ...overrides };
}

const targets = {
  meet: { tenants: ['acme', 'sales'] },
};

function configWith(policy: Record<string, unknown>) {
  return parseConfig(hsSettings({ providers: { corp: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } }, policy }, targets.meet)).config;
}

async function decide(policy: Record<string, unknown>, identity: Identity, room: string, tenant?: string): Promise<Decision> {
  const config = configWith(policy);
  const target = createTargets(config).get('meet');
  if (!target) throw new Error('no target');
  return createPolicy(config, new MemoryStore()).decide({ identity, location: target.locate(room, tenant) });
}

/** The parts of a decision a table states. */
function outcome(decision: Decision): string {
  if (!decision.allow) return `deny(${decision.rule})`;
  return `${decision.role}(${decision.rule})`;
}

describe('room globs', () => {
  it.each([
    ['*', 'anything', true],
    ['team-*', 'team-red', true],
    ['team-*', 'team-', true],
    ['team-*', 'steam-red', false],
    ['Team-*', 'team-red', true],
    ['team-?', 'team-a', true],
    ['team-?', 'team-ab', false],
    ['*-board-*', 'q3-board-review', true],
    ['*-board-*', 'q3-boardreview', false],
    ['Ärger-*', 'ärger-team', true],
    ['%C3%84rger-*', 'ärger-team', true],
    ['?rger', 'ärger', true],
    ['daily', 'daily', true],
    ['daily', 'daily2', false],
    ['a*b*c*d*e', 'axxbxxcxxdxxe', true],
    ['a*b*c*d*e', 'a'.repeat(1000), false],
  ])('%s matches %s: %s', (pattern, room, expected) => {
    expect(compileGlob(pattern).test(room)).toBe(expected);
  });

  it.each([
    ['*', 'team-*', true],
    ['team-*', 'team-red', true],
    ['team-*', 'team-r*', true],
    ['team-*', 'team-?', true],
    ['team-?', 'team-*', false],
    ['team-r*', 'team-*', false],
    ['a*', '*a', false],
  ])('%s covers %s: %s', (outer, inner, expected) => {
    expect(globCovers(compileGlob(outer), compileGlob(inner))).toBe(expected);
  });
});

describe('rule engine: identity × room × rules → decision', () => {
  const hostsFirst = {
    rules: [
      { name: 'no-contractors', when: { groups: 'contractors' }, deny: 'Contractors cannot join meetings here.' },
      { name: 'hosts', when: { groups: ['meeting-hosts', 'admins'] }, allow: { role: 'moderator', affiliation: 'owner' } },
      { name: 'board', when: { room: 'board-*' }, deny: 'Board meetings are invitation only.' },
      { name: 'staff', when: { emailDomain: 'example.com' }, allow: { role: 'participant' } },
    ],
    default: { deny: 'Only staff may join.' },
  };

  it.each<[string, Record<string, unknown>, Identity, string, string | undefined, string]>([
    ['no rules: default allows as participant', {}, person(), 'daily', undefined, 'participant(default)'],
    ['default deny', { default: { deny: 'No.' } }, person(), 'daily', undefined, 'deny(default)'],
    ['a host moderates', hostsFirst, person({ groups: ['meeting-hosts'] }), 'daily', undefined, 'moderator(hosts)'],
    ['groups compare without case', hostsFirst, person({ groups: ['Meeting-Hosts'] }), 'daily', undefined, 'moderator(hosts)'],
    ['first match wins: a contractor host is denied', hostsFirst, person({ groups: ['meeting-hosts', 'contractors'] }), 'daily', undefined, 'deny(no-contractors)'],
    ['a host may enter board rooms (earlier rule)', hostsFirst, person({ groups: ['admins'] }), 'board-q3', undefined, 'moderator(hosts)'],
    ['staff are denied board rooms', hostsFirst, person(), 'Board-Q3', undefined, 'deny(board)'],
    ['staff join as participant', hostsFirst, person(), 'daily', undefined, 'participant(staff)'],
    ['others fall to the default', hostsFirst, person({ email: 'eve@evil.test' }), 'daily', undefined, 'deny(default)'],
    ['no email: emailDomain never matches', hostsFirst, person({ email: undefined }), 'daily', undefined, 'deny(default)'],
  ])('%s', async (_what, policy, identity, room, tenant, expected) => {
    expect(outcome(await decide(policy, identity, room, tenant))).toBe(expected);
  });

  const where = {
    rules: [
      { name: 'corp-sales', when: { provider: 'corp', tenant: 'sales' }, allow: { role: 'moderator' } },
      { name: 'root', when: { tenant: '-' }, deny: 'Use a tenant.' },
      { name: 'cas-only', when: { provider: ['cas'], target: 'meet' }, allow: { role: 'participant', lobbyBypass: true } },
      { name: 'umlaut', when: { room: ['Ärger-*'] }, allow: { role: 'moderator' } },
    ],
    default: { deny: 'No.' },
  };

  it.each<[string, Identity, string, string | undefined, string]>([
    ['provider and tenant', person(), 'x', 'sales', 'moderator(corp-sales)'],
    ['tenant compares lowercase', person(), 'x', 'Sales', 'moderator(corp-sales)'],
    ['other provider, same tenant', person({ provider: 'cas' }), 'x', 'sales', 'participant(cas-only)'],
    ['"-" is a room without tenant', person(), 'x', undefined, 'deny(root)'],
    ['room glob on the normalised name', person(), '%C3%84rger-Team', 'acme', 'moderator(umlaut)'],
    ['nothing matches', person(), 'x', 'acme', 'deny(default)'],
  ])('%s', async (_what, identity, room, tenant, expected) => {
    expect(outcome(await decide(where, identity, room, tenant))).toBe(expected);
  });

  const claims = {
    rules: [
      { name: 'it', when: { claims: [{ claim: 'department', equals: 'IT' }] }, allow: { role: 'moderator' } },
      { name: 'teacher', when: { claims: [{ claim: 'eduPersonAffiliation', contains: 'faculty' }] }, allow: { role: 'moderator', affiliation: 'teacher' } },
      { name: 'realm-admin', when: { claims: [{ claim: 'realm_access.roles', contains: 'jitsi-admin' }] }, allow: { role: 'moderator' } },
      { name: 'title', when: { claims: [{ claim: 'title', contains: 'head of' , ignoreCase: true }] }, allow: { role: 'moderator' } },
      { name: 'employee-no', when: { claims: [{ claim: 'employeeNumber', regex: '^E\\d{4}$' }] }, allow: { role: 'participant', affiliation: 'member' } },
      { name: 'level', when: { claims: [{ claim: 'level', equals: 3 }, { claim: 'verified', equals: true }] }, allow: { role: 'moderator' } },
      { name: 'uri-claim', when: { claims: [{ claim: 'https://example.com/claims/role', regex: 'host', ignoreCase: true }] }, allow: { role: 'moderator' } },
    ],
    default: { deny: 'No.' },
  };

  it.each<[string, Record<string, unknown>, string]>([
    ['equals on a string', { department: 'IT' }, 'moderator(it)'],
    ['equals is case-sensitive by default', { department: 'it' }, 'deny(default)'],
    ['contains on a list is membership', { eduPersonAffiliation: ['staff', 'faculty'] }, 'moderator(teacher)'],
    ['contains on a list is not substring', { eduPersonAffiliation: ['facultyish'] }, 'deny(default)'],
    ['dotted path into objects', { realm_access: { roles: ['user', 'jitsi-admin'] } }, 'moderator(realm-admin)'],
    ['contains on a string is substring, ignoring case', { title: 'Deputy Head Of Sales' }, 'moderator(title)'],
    ['regex on a string', { employeeNumber: 'E1234' }, 'participant(employee-no)'],
    ['regex is anchored as written', { employeeNumber: 'XE1234' }, 'deny(default)'],
    ['numbers and booleans compare as text; all claims must hold', { level: 3, verified: true }, 'moderator(level)'],
    ['one failing claim condition fails the rule', { level: 3, verified: false }, 'deny(default)'],
    ['a claim name with dots is looked up as a whole first', { 'https://example.com/claims/role': 'Meeting-Host' }, 'moderator(uri-claim)'],
    ['objects are never matched as text', { department: { name: 'IT' } }, 'deny(default)'],
    ['missing claim', {}, 'deny(default)'],
  ])('%s', async (_what, identityClaims, expected) => {
    expect(outcome(await decide(claims, person({ claims: identityClaims }), 'x'))).toBe(expected);
  });

  it('an allow carries role, affiliation, features, lobby bypass and lifetime', async () => {
    const decision = await decide(
      { rules: [{ name: 'hosts', allow: { role: 'moderator', affiliation: 'teacher', features: { recording: true, livestreaming: false }, lobbyBypass: true, ttlSeconds: 900 } }] },
      person(),
      'x',
    );
    expect(decision).toEqual({ allow: true, role: 'moderator', affiliation: 'teacher', features: { recording: true, livestreaming: false }, lobbyBypass: true, ttlSeconds: 900, rule: 'hosts', source: 'rule' });
  });

  it('a deny carries the message shown to the person; unnamed rules are named by position', async () => {
    const decision = await decide({ rules: [{ when: { provider: 'other' }, allow: {} }, { deny: 'Not today.' }] }, person(), 'x');
    expect(decision).toEqual({ allow: false, message: 'Not today.', rule: '#2', source: 'rule' });
  });
});

describe('policy configuration is strict', () => {
  const problems = (policy: unknown) => {
    try {
      parseConfig(hsSettings({ policy }));
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.problem}`);
      throw error;
    }
  };

  it.each<[string, unknown, RegExp]>([
    ['unknown top-level key', { rulez: [] }, /policy: unknown setting "rulez"/],
    ['unknown key in when', { rules: [{ when: { group: 'x' }, allow: {} }] }, /policy\.rules\.0\.when: unknown setting "group"/],
    ['both outcomes', { rules: [{ allow: {}, deny: 'x' }] }, /exactly one outcome/],
    ['no outcome', { rules: [{ when: { groups: 'x' } }] }, /exactly one outcome/],
    ['invalid regex', { rules: [{ when: { claims: [{ claim: 'a', regex: '(' }] }, allow: {} }] }, /regex: is not a usable rule pattern/],
    ['two claim operators', { rules: [{ when: { claims: [{ claim: 'a', equals: 'x', contains: 'y' }] }, allow: {} }] }, /exactly one of equals, contains or regex/],
    ['unknown feature', { rules: [{ allow: { features: { teleport: true } } }] }, /features/],
    ['moderator affiliation with participant role', { rules: [{ allow: { role: 'participant', affiliation: 'owner' } }] }, /makes the person a moderator/],
    ['room pattern with a slash', { rules: [{ when: { room: 'a/b' }, allow: {} }] }, /room pattern contains a character/],
    ['tenant wildcard', { rules: [{ when: { tenant: '*' }, allow: {} }] }, /tenant/],
    ['duplicate rule names', { rules: [{ name: 'a', allow: {} }, { name: 'a', deny: 'x' }] }, /names must be unique/],
    ['default with both', { default: { allow: {}, deny: 'x' } }, /policy\.default/],
    ['ttl as a string', { rules: [{ allow: { ttlSeconds: '600' } }] }, /ttlSeconds/],
  ])('%s', (_what, policy, expected) => {
    expect(problems(policy).join('\n')).toMatch(expected);
  });

  it('accepts single values and lists alike', () => {
    expect(problems({ rules: [{ when: { provider: 'corp', groups: ['a', 'b'], emailDomain: '*.Example.com' }, allow: { role: 'moderator', affiliation: 'moderator' } }] })).toEqual([]);
  });
});
