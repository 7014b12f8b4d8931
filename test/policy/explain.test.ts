import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { explainPolicy } from '../../src/policy/explain.js';
import { hsSettings } from '../support/config.js';

const explain = (policy: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  explainPolicy(
    parseConfig(
      hsSettings(
        {
          providers: { corp: { kind: 'dev' }, cas: { kind: 'dev' } },
          policy: { defaultProviders: 'corp', ...policy },
          ...extra,
        },
        { tenants: ['acme', 'sales'], rootRooms: false },
      ),
    ).config,
  );

describe('explainPolicy: the rule set in plain words', () => {
  it('describes every rule, the default and the registry', () => {
    const { lines, warnings } = explain({
      rules: [
        { name: 'no-contractors', when: { groups: 'contractors' }, deny: 'Contractors cannot join.' },
        {
          name: 'hosts',
          when: { provider: 'corp', tenant: 'acme', room: ['team-*', 'daily'], groups: ['hosts', 'admins'], emailDomain: ['example.com', '*.example.org'], claims: [{ claim: 'dept', equals: 'IT', ignoreCase: true }] },
          allow: { role: 'moderator', affiliation: 'owner', features: { recording: true, livestreaming: false }, lobbyBypass: true, ttlSeconds: 900 },
        },
      ],
      default: { deny: 'Staff only.' },
    });
    expect(lines).toEqual([
      'policy: 2 rules, tried in order; the first that matches decides',
      '  1. "no-contractors": when signed in with "corp", and in group "contractors" → deny, telling the person "Contractors cannot join."',
      '  2. "hosts": when signed in with "corp", and under tenant "acme", and in a room matching "team-*" or "daily", and in group "hosts" or "admins", and with an email address at example.com or any subdomain of example.org, and claim "dept" equals "IT" (ignoring case) → allow as moderator; affiliation owner; features recording on, livestreaming off; skips the lobby; tokens live 900 s',
      '  otherwise (policy.default) → deny, telling the person "Staff only."',
      expect.stringContaining('rooms registered over the API'),
      expect.stringContaining('guests with an invite link'),
      'api: no API clients; the token, room and invite API answer 401 to everyone',
    ]);
    expect(warnings).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a rule after a catch-all', { rules: [{ name: 'all', allow: {} }, { name: 'hosts', when: { groups: 'hosts' }, allow: { role: 'moderator' } }] }, /rules\[1\] "hosts" can never match: it comes after the catch-all rule "all"/],
    ['a rule inside an earlier, broader one', { rules: [{ name: 'team', when: { room: 'team-*', groups: ['a', 'b'] }, deny: 'x' }, { name: 'red', when: { room: 'team-red', groups: 'a', provider: 'corp' }, allow: {} }] }, /rules\[1\] "red" can never match: rule "team" comes first and matches every request this one matches/],
    ['an unknown provider', { rules: [{ name: 'p', when: { provider: 'keycloak' }, allow: {} }] }, /rules\[0\] "p" can never match: provider "keycloak" is not configured \(configured: corp, cas\)/],
    ['a partly unknown provider list', { rules: [{ name: 'p', when: { provider: ['corp', 'shib'] }, allow: {} }] }, /"p" names provider "shib", which is not configured/],
    ['a tenant the target does not serve', { rules: [{ name: 't', when: { tenant: 'hr' }, allow: {} }] }, /"t" can never match: tenant "hr" is not configured/],
    ['rooms without tenant where the target has none', { rules: [{ name: 'root', when: { tenant: '-' }, allow: {} }] }, /"root" can never match: tenant "-"/],
    ['an unknown target', { rules: [{ name: 'x', when: { target: 'video' }, allow: {} }] }, /"x" can never match: target "video" is not configured/],
    ['nobody can enter', { rules: [{ deny: 'x' }], default: { deny: 'y' } }, /nobody can sign in/],
  ])('warns on %s', (_what, policy, expected) => {
    expect(explain(policy).warnings.join('\n')).toMatch(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a narrower rule before a broader one', { rules: [{ when: { room: 'team-red' }, allow: {} }, { when: { room: 'team-*' }, deny: 'x' }] }],
    ['different groups', { rules: [{ when: { groups: 'a' }, deny: 'x' }, { when: { groups: ['a', 'b'] }, allow: {} }] }],
    ['a later rule with a different claim', { rules: [{ when: { claims: [{ claim: 'x', equals: 1 }] }, deny: 'x' }, { when: { claims: [{ claim: 'x', equals: 2 }] }, allow: {} }] }],
    ['a broader later domain', { rules: [{ when: { emailDomain: 'a.example.com' }, deny: 'x' }, { when: { emailDomain: '*.example.com' }, allow: {} }] }],
  ])('does not warn on %s', (_what, policy) => {
    expect(explain(policy).warnings).toEqual([]);
  });

  it('notes when the default can never apply', () => {
    expect(explain({ rules: [{ name: 'everyone', allow: {} }] }).lines).toContain('  otherwise (policy.default) → allow as participant (never used: rule "everyone" matches every request)');
  });

  it('explains API clients and warns on scopes nothing can satisfy', () => {
    const { lines, warnings } = explain(
      {},
      {
        api: {
          clients: {
            booking: { secretHash: `sha256:${'a'.repeat(64)}`, tenants: ['acme', 'hr'], rooms: ['booking-*'], mayIssueModerator: true, maxTtlSeconds: 7200 },
          },
        },
      },
    );
    expect(lines).toContain('api client booking: tokens, rooms, invites on every target, tenants "acme" or "hr", rooms matching "booking-*"; may issue moderator tokens; may let people bypass the lobby; may turn on any feature; tokens up to 7200 s; 600 requests/min; authenticates with a secret (sha256 hash)');
    expect(warnings).toEqual([
      'api.clients.booking.tenants names "hr", which none of its targets serves',
      "api.clients.booking.maxTtlSeconds (7200) is above the targets' maxTokenTtlSeconds (3600); the target's cap applies",
    ]);
  });
});
