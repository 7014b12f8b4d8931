import { describe, expect, it } from 'vitest';
import { createTargets } from '../../src/tokens/targets.js';
import type { Identity } from '../../src/identity/identity.js';
import { createPolicy } from '../../src/policy/engine.js';
import { explainPolicy } from '../../src/policy/explain.js';
import type { Decision } from '../../src/policy/policy.js';
import { MemoryStore } from '../../src/store/memory.js';
import { hsConfig } from '../support/config.js';

/**
 * policy.hosts: who may host a room (open it for guests waiting with Prosody's
 * mod_muc_wait_for_host, where ANY token opens the room): the room's moderators, by a rule or the
 * room registry, and whoever matches policy.hosts.when.
 */

const rules = [
  { name: 'moderators', when: { groups: 'moderators' }, allow: { role: 'moderator', affiliation: 'owner' } },
  { name: 'staff', when: { groups: ['staff', 'teachers'] }, allow: { role: 'participant' } },
  { name: 'others', deny: 'Staff only.' },
];
const person = (id: string, groups: string[]): Identity => ({ provider: 'corp', id, groups, claims: {} });
const outcome = (decision: Decision) => (decision.allow ? `${decision.role} host=${String(decision.host)}` : 'deny');

async function decide(hosts: Record<string, unknown> | undefined, identity: Identity, registryModerator?: string): Promise<string> {
  const { config } = hsConfig({ providers: { corp: { kind: 'dev' } }, mode: 'demo', policy: { rules, ...(hosts ? { hosts } : {}) } });
  const policy = createPolicy(config, new MemoryStore());
  const location = createTargets(config).get('meet')!.locate('Weekly', 'acme');
  if (registryModerator) {
    await policy.rooms.put(location, { moderators: [{ provider: 'corp', ids: [registryModerator], emails: [], groups: [] }] }, 3600, 'api:test');
  }
  return outcome(await policy.decide({ identity, location }));
}

describe('who may host a room', () => {
  it.each<[string, Record<string, unknown> | undefined, Identity, string | undefined, string]>([
    ['without policy.hosts nobody is asked', undefined, person('bob', ['staff']), undefined, 'participant host=undefined'],
    ['a moderator by rule hosts', {}, person('alice', ['moderators']), undefined, 'moderator host=true'],
    ['a participant does not host', {}, person('bob', ['staff']), undefined, 'participant host=false'],
    ['a registry moderator hosts', {}, person('bob', ['staff']), 'bob', 'moderator host=true'],
    ['a group named in hosts.when hosts as participant', { when: [{ groups: 'teachers' }] }, person('tina', ['teachers']), undefined, 'participant host=true'],
    ['...and only that group', { when: [{ groups: 'teachers' }] }, person('bob', ['staff']), undefined, 'participant host=false'],
    ['a refusal stays a refusal', { when: [{ groups: 'outsiders' }] }, person('eve', ['outsiders']), undefined, 'deny'],
  ])('%s', async (_what, hosts, identity, registryModerator, expected) => {
    expect(await decide(hosts, identity, registryModerator)).toBe(expected);
  });
});

it('check-config explains who hosts', () => {
  const { config } = hsConfig({ providers: { corp: { kind: 'dev' } }, mode: 'demo', policy: { rules, hosts: { when: [{ groups: 'teachers' }], others: 'deny' } } });
  expect(explainPolicy(config).lines).toContain(
    '  hosts (policy.hosts; any token opens a room for guests waiting for a host): the room\'s moderators, and anyone when signed in with "corp", and in group "teachers"; others let in are refused',
  );
});
