import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestOidcProvider } from '../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { api, enter, freePort, identityProvider, isModerator, oidcSettings, signIn, startIdentityGateway, type ApiGateway } from './identity-harness.js';

/**
 * Finding 2 of issue 16: an unverified e-mail address is not an identity. The real oidc-provider
 * lets "mallory" have bob's address with `email_verified: false` (a provider with self-service
 * sign-up) and "eve" an address with no `email_verified` at all. Neither may match bob's registry
 * entry by e-mail nor an emailDomain rule. A provider declared `emailsAuthoritative` (a corporate
 * directory) is believed without the claim.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: ApiGateway;

const accounts = {
  bob: { password: 'bob-password', claims: { name: 'Bob', email: 'bob@corp.example', email_verified: true } },
  mallory: { password: 'mallory-password', claims: { name: 'Bob', email: 'bob@corp.example', email_verified: false } },
  eve: { password: 'eve-password', claims: { name: 'Eve', email: 'eve@corp.example' } },
};

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  idp = await identityProvider([port], accounts, ['corp', 'directory']);
  gw = await startIdentityGateway(
    port,
    redis.url,
    // The same IdP twice: as `corp` (addresses count when verified) and as `directory` (declared authoritative).
    { corp: oidcSettings(idp), directory: oidcSettings(idp, { emailsAuthoritative: true }) },
    {
      policy: {
        defaultProviders: ['corp', 'directory'],
        rules: [{ name: 'staff', when: { emailDomain: 'corp.example' }, allow: { role: 'participant' } }],
        default: { deny: 'Staff only.' },
      },
    },
  );
  expect((await api(gw, 'PUT', '/rooms/acme/bobs-room', { moderators: { emails: ['bob@corp.example'] } })).status).toBe(200);
  expect((await api(gw, 'PUT', '/rooms/acme/board', { members: { emails: ['bob@corp.example'] } })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

describe('e-mail addresses count only where the provider vouches for them', () => {
  it('bob (email_verified: true) moderates his room and enters the board', async () => {
    const { browser, entry } = await signIn(gw, 'corp', 'bob', 'bobs-room');
    expect(isModerator(entry)).toBe(true);
    expect((await enter(gw, browser, 'board')).status).toBe(303);
    expect((await enter(gw, browser, 'lobby')).status).toBe(303); // emailDomain rule
  });

  it('mallory with bob\'s address and email_verified: false is neither moderator, nor member, nor staff', async () => {
    const { browser, entry } = await signIn(gw, 'corp', 'mallory', 'bobs-room');
    expect(isModerator(entry)).toBe(false);
    expect(entry.status).toBe(403); // not staff either: the open room falls back to the rules, which deny
    expect((await enter(gw, browser, 'board')).status).toBe(403);
    expect((await enter(gw, browser, 'lobby')).status).toBe(403);
  });

  it('eve, whose provider says nothing about her address, is not staff', async () => {
    const { entry } = await signIn(gw, 'corp', 'eve', 'lobby');
    expect(entry.status).toBe(403);
  });

  it('a provider declared emailsAuthoritative is believed without email_verified', async () => {
    const { browser, entry } = await signIn(gw, 'directory', 'eve', 'lobby');
    expect(entry.status).toBe(303);
    expect(isModerator(await enter(gw, browser, 'bobs-room'))).toBe(false);
  });
});
