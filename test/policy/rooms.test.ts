import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargets } from '../../src/tokens/targets.js';
import type { Identity } from '../../src/identity/identity.js';
import { createPolicy } from '../../src/policy/engine.js';
import type { Decision } from '../../src/policy/policy.js';
import { MEMBERS_ONLY_MESSAGE, qualifyPeople, roomKey, type PeopleInput } from '../../src/policy/rooms.js';
import { MemoryStore } from '../../src/store/memory.js';
import { hsSettings } from '../support/config.js';

const person = (overrides: Partial<Identity> = {}): Identity => ({ provider: 'corp', id: 'alice', email: 'alice@example.com', emailVerified: true, groups: [], claims: {}, ...overrides });
type PeopleList = Omit<PeopleInput, 'provider'> & { provider?: string };
/** A backend's list, qualified as the API does (bare values belong to the only provider, corp). */
function people(list: Partial<PeopleList>) {
  const result = qualifyPeople({ ids: [], emails: [], groups: [], ...list }, policyScope(), 'test');
  if (!result.people) throw new Error(result.problem);
  return result.people;
}

const config = parseConfig(
  hsSettings(
    {
      providers: { corp: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } },
      policy: {
        rules: [
          { name: 'banned', when: { groups: 'banned' }, deny: 'You are banned.' },
          { name: 'hosts', when: { groups: 'hosts' }, allow: { role: 'moderator', affiliation: 'owner', features: { recording: true }, ttlSeconds: 900 } },
          { name: 'staff', when: { emailDomain: 'example.com' }, allow: { role: 'participant', affiliation: 'member', lobbyBypass: true } },
        ],
        default: { deny: 'Staff only.' },
      },
    },
    { tenants: ['acme'] },
  ),
).config;
const target = createTargets(config).get('meet')!;
const policyScope = () => createPolicy(config, new MemoryStore()).scope;

async function setup(entry?: { moderators?: Partial<PeopleList>; members?: Partial<PeopleList> }) {
  const store = new MemoryStore();
  const policy = createPolicy(config, store);
  const location = target.locate('Weekly', 'acme');
  if (entry) await policy.rooms.put(location, { moderators: people(entry.moderators ?? {}), members: entry.members ? people(entry.members) : undefined }, 3600, 'api:test');
  return { store, policy, location };
}

const summary = (decision: Decision) =>
  decision.allow ? `${decision.role}${decision.affiliation ? `/${decision.affiliation}` : ''} by ${decision.source}` : `deny by ${decision.source}`;

describe('room registry overrides the generic rules for its room', () => {
  const open = { moderators: { ids: ['bob'], emails: ['Carol@Example.com'], groups: ['Board'] } };
  const membersOnly = { ...open, members: { provider: 'corp', ids: ['dave'], emails: [], groups: ['project-x'] } };

  it.each<[string, { moderators?: Partial<PeopleList>; members?: Partial<PeopleList> } | undefined, Identity, string]>([
    ['no entry: the rules decide (host)', undefined, person({ groups: ['hosts'] }), 'moderator/owner by rule'],
    ['no entry: the rules decide (staff)', undefined, person(), 'participant/member by rule'],
    ['listed by id → moderator', open, person({ id: 'bob' }), 'moderator/owner by room'],
    ['listed by email (any case) → moderator', open, person({ id: 'carol', email: 'carol@example.COM' }), 'moderator/owner by room'],
    ['listed by group (any case) → moderator', open, person({ groups: ['board'] }), 'moderator/owner by room'],
    ['a rule moderator not listed becomes participant', open, person({ groups: ['hosts'] }), 'participant by room'],
    ['staff not listed: participant', open, person(), 'participant/member by room'],
    ['a listed moderator beats a generic deny', open, person({ id: 'bob', email: 'bob@elsewhere.test', groups: ['banned'] }), 'moderator/owner by room'],
    ['open room: an unlisted person the rules deny stays denied', open, person({ email: 'eve@elsewhere.test' }), 'deny by default'],
    ['open room: a banned unlisted person stays denied', open, person({ groups: ['banned'] }), 'deny by rule'],
    ['members only: a listed member enters (provider-qualified id)', membersOnly, person({ id: 'dave', email: 'dave@elsewhere.test' }), 'participant/member by room'],
    ['members only: member by group', membersOnly, person({ groups: ['Project-X'] }), 'participant/member by room'],
    ['members only: moderators enter', membersOnly, person({ id: 'bob' }), 'moderator/owner by room'],
    ['members only: staff not listed are denied', membersOnly, person(), 'deny by room'],
    ['members only: an id of another provider does not count', membersOnly, person({ provider: 'cas', id: 'dave' }), 'deny by room'],
  ])('%s', async (_what, entry, identity, expected) => {
    const { policy, location } = await setup(entry);
    expect(summary(await policy.decide({ identity, location }))).toBe(expected);
  });

  it('carries features, lobby bypass and lifetime from the rule; denies with the members-only message', async () => {
    const { policy, location } = await setup(membersOnly);
    expect(await policy.decide({ identity: person({ id: 'bob', groups: ['hosts'] }), location })).toEqual({
      allow: true,
      role: 'moderator',
      affiliation: 'owner',
      features: { recording: true },
      ttlSeconds: 900,
      rule: 'room:acme/weekly',
      source: 'room',
    });
    expect(await policy.decide({ identity: person(), location })).toEqual({ allow: false, message: MEMBERS_ONLY_MESSAGE, rule: 'room:acme/weekly', source: 'room' });
  });

  it('applies only to its own room, tenant and target', async () => {
    const { policy } = await setup(open);
    const bob = person({ id: 'bob', email: 'bob@example.com' });
    expect(summary(await policy.decide({ identity: bob, location: target.locate('weekly', 'acme') }))).toBe('moderator/owner by room');
    expect(summary(await policy.decide({ identity: bob, location: target.locate('weekly') }))).toBe('participant/member by rule');
    expect(summary(await policy.decide({ identity: bob, location: target.locate('weekly2', 'acme') }))).toBe('participant/member by rule');
  });

  it('lives in the store under room:<target>:<tenant|->:<roomSafe> and expires', async () => {
    const { store, policy, location } = await setup(open);
    expect(roomKey(location)).toBe('room:meet:acme:weekly');
    expect(roomKey(target.locate('Ärger'))).toBe('room:meet:-:%c3%a4rger');
    expect(JSON.parse((await store.get('room:meet:acme:weekly'))!)).toMatchObject({ v: 2, moderators: [{ provider: 'corp', ids: ['bob'], emails: ['carol@example.com'], groups: ['Board'] }] });
    expect(await policy.rooms.delete(location)).toBe(true);
    expect(summary(await policy.decide({ identity: person({ id: 'bob' }), location }))).toBe('participant/member by rule');
  });

  it('prepare reads the entry ahead: decide uses that read for the same location, reads anew for another', async () => {
    const { store, policy, location } = await setup({ moderators: { ids: ['bob'] } });
    const reads: string[] = [];
    const get = store.get.bind(store);
    store.get = (key) => {
      reads.push(key);
      return get(key);
    };
    const prepared = policy.prepare(location);
    expect(reads).toEqual(['room:meet:acme:weekly']); // sent at once, before anything is awaited
    expect(summary(await policy.decide({ identity: person({ id: 'bob' }), location, prepared }))).toBe('moderator/owner by room');
    expect(reads).toHaveLength(1);
    const other = target.locate('Other', 'acme');
    expect(summary(await policy.decide({ identity: person({ id: 'bob' }), location: other, prepared }))).toBe('participant/member by rule');
    expect(reads).toEqual(['room:meet:acme:weekly', 'room:meet:acme:other']);
  });

  it('a prepared read that fails is reported by decide (never as an unhandled rejection)', async () => {
    const { store, policy, location } = await setup();
    await store.put(roomKey(location), '{"moderators": "everyone"}', 60);
    const prepared = policy.prepare(location);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the failure settles before anyone awaits it
    await expect(policy.decide({ identity: person(), location, prepared })).rejects.toThrow();
  });

  it('a damaged entry fails closed instead of opening a members-only room', async () => {
    const { store, policy, location } = await setup();
    await store.put(roomKey(location), '{"moderators": "everyone"}', 60);
    await expect(policy.decide({ identity: person(), location })).rejects.toThrow();
  });
});
