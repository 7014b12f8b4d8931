import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { gatewaySettings } from '../login/harness.js';
import type { TestOidcProvider } from '../support/oidc-provider.js';
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js';
import { api, enter, freePort, identityProvider, isModerator, oidcSettings, signIn, startIdentityGateway, type ApiGateway } from './identity-harness.js';

/**
 * Finding 1 of issue 16: a person is (provider, subject). A second provider under an attacker's
 * control asserts the id "corp:bob" and the group "admins"; the gateway trusts `corp` for bob and
 * for its admins. The attacker must get no owner, no membership, no entry to a members-only room:
 * not through rules, not through registry entries of the new form, not through entries written
 * in the old form ("corp:bob" strings, bare groups) before the upgrade.
 */

let redis: RedisServer;
let corp: TestOidcProvider;
let evil: TestOidcProvider;
/** Old-form configuration: rules name their provider; the registry holds old-form entries. */
let legacyGw: ApiGateway;
/** New form: policy.defaultProviders [corp], rules on groups without a provider, API entries. */
let gw: ApiGateway;

const people = { bob: { password: 'bob-password', claims: { name: 'Bob', email: 'bob@corp.example', email_verified: true, groups: ['staff'] } } };
const attacker = { 'corp:bob': { password: 'corp:bob-password', claims: { name: 'Bob', email: 'mallory@evil.example', email_verified: true, groups: ['admins'] } } };

const oldFormEntry = (room: string, membersOnly: boolean) =>
  JSON.stringify({
    target: 'meet',
    tenant: 'acme',
    room,
    moderators: { ids: ['corp:bob'], emails: [], groups: [] },
    ...(membersOnly ? { members: { ids: ['corp:bob'], emails: [], groups: ['admins'] } } : {}),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    updatedAt: Math.floor(Date.now() / 1000),
    updatedBy: 'api:booking',
  });

beforeAll(async () => {
  redis = await startRedis();
  const [legacyPort, port] = [await freePort(), await freePort()];
  corp = await identityProvider([legacyPort, port], people, ['corp']);
  evil = await identityProvider([legacyPort, port], attacker, ['evil']);
  const providers = { corp: oidcSettings(corp), evil: oidcSettings(evil) };
  legacyGw = await startIdentityGateway(legacyPort, redis.url, providers, {
    policy: { rules: [{ name: 'corp admins', when: { provider: 'corp', groups: 'admins' }, allow: { role: 'moderator', affiliation: 'owner' } }] },
  });
  gw = await startIdentityGateway(port, redis.url, providers, {
    policy: { defaultProviders: 'corp', rules: [{ name: 'admins', when: { groups: 'admins' }, allow: { role: 'moderator', affiliation: 'owner' } }] },
  });
  // Entries a backend registered before the upgrade, in the old form.
  await redisCommand(redis.port, 'SET', `jsgtest:${legacyPort}:room:meet:acme:bobs-room`, oldFormEntry('bobs-room', false), 'EX', 3600);
  await redisCommand(redis.port, 'SET', `jsgtest:${legacyPort}:room:meet:acme:board`, oldFormEntry('board', true), 'EX', 3600);
  // The same rooms registered in the new form on the other gateway: bare values belong to corp.
  expect((await api(gw, 'PUT', '/rooms/acme/bobs-room', { moderators: { ids: ['bob'] } })).status).toBe(200);
  expect((await api(gw, 'PUT', '/rooms/acme/board', { moderators: { provider: 'corp', ids: ['bob'] }, members: { groups: ['admins'] } })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  await legacyGw?.stop();
  await gw?.stop();
  await corp?.stop();
  await evil?.stop();
  await redis?.destroy();
});

describe('another provider asserting "corp:bob" and "admins"', () => {
  it.each([
    ['old-form registry entries', () => legacyGw],
    ['new-form registry entries and default providers', () => gw],
  ])('gets no owner, no membership and no members-only room (%s)', async (_what, which) => {
    const gateway = which();
    const { browser, entry } = await signIn(gateway, 'evil', 'corp:bob', 'bobs-room');
    expect(entry.status).toBe(303);
    expect(isModerator(entry)).toBe(false); // registry: bob's room, not the attacker's
    expect(entry.user?.affiliation).toBeUndefined(); // not even a member
    expect(isModerator(await enter(gateway, browser, 'other-room'))).toBe(false); // rules: not corp's admins
    const board = await enter(gateway, browser, 'board');
    expect(board.status).toBe(403); // members only: corp's admins, not evil's
    expect(board.user).toBeUndefined();
  });

  it.each([
    ['old-form registry entries', () => legacyGw],
    ['new-form registry entries and default providers', () => gw],
  ])('the real bob of corp still owns his room and enters the board (%s)', async (_what, which) => {
    const gateway = which();
    const { browser, entry } = await signIn(gateway, 'corp', 'bob', 'bobs-room');
    expect(entry.user).toMatchObject({ id: 'bob', moderator: true, affiliation: 'owner' });
    expect(isModerator(await enter(gateway, browser, 'board'))).toBe(true);
  });
});

describe('bare values where it is unclear whose they are', () => {
  it('the API refuses an id in the old "provider:id" form and names the new form', async () => {
    const answer = await api(gw, 'PUT', '/rooms/acme/x', { moderators: { ids: ['corp:bob'] } });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('{"provider": "corp", "ids": ["bob"]}');
  });

  it('the API refuses a provider that is not configured', async () => {
    const answer = await api(gw, 'PUT', '/rooms/acme/x', { moderators: { provider: 'nobody', ids: ['bob'] } });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/"nobody" is not a configured identity provider/);
  });

  it('with several providers and no default, the API says so for bare values', async () => {
    const answer = await api(legacyGw, 'PUT', '/rooms/acme/x', { members: { groups: ['admins'] } });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/several identity providers are configured \(corp, evil\) and policy.defaultProviders is not set/);
    expect((await api(legacyGw, 'PUT', '/rooms/acme/x', { members: { provider: 'corp', groups: ['admins'] } })).status).toBe(200);
  });

  it('GET answers people by provider', async () => {
    const answer = await api(gw, 'GET', '/rooms/acme/board');
    expect(answer.body.moderators).toEqual([{ provider: 'corp', ids: ['bob'], emails: [], groups: [] }]);
    expect(answer.body.members).toEqual([{ provider: 'corp', ids: [], emails: [], groups: ['admins'] }]);
  });

  it('check-config refuses a rule on groups without a provider when several are configured and no default is set', () => {
    const settings = gatewaySettings(9, redis.url, { corp: oidcSettings(corp), evil: oidcSettings(evil) }, { policy: { rules: [{ name: 'admins', when: { groups: 'admins' }, allow: { role: 'moderator' } }] } });
    let error: unknown;
    try {
      parseConfig(settings);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/policy.rules\[0\] "admins": matches on groups without when.provider/);
  });
});
