import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiSecret, hashApiSecret } from '../../src/api/secrets.js';
import { apiSettings, bearer, call, startGateway, type TestGateway } from '../api/harness.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/**
 * Finding 9 of issue 16: what an API client may put into a token is bounded by its scope, field by
 * field. A client allowed only participant tokens could set lobbyBypass and turn features on
 * (recording, livestreaming): rights as real as the moderator role it was refused.
 */

const secrets = { participants: generateApiSecret(), recorder: generateApiSecret(), admin: generateApiSecret(), lobby: generateApiSecret() };
let redis: RedisServer;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway(
    apiSettings(redis.url, `jsgtest:scope:${process.pid}:`, {
      api: {
        clients: {
          participants: { secretHash: await hashApiSecret(secrets.participants) },
          recorder: { secretHash: await hashApiSecret(secrets.recorder), features: ['recording'] },
          lobby: { secretHash: await hashApiSecret(secrets.lobby), mayBypassLobby: true },
          admin: { secretHash: await hashApiSecret(secrets.admin), mayIssueModerator: true },
        },
      },
    }),
  );
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
});

const token = { tenant: 'acme', room: 'Weekly', user: { id: 'p1', name: 'P One' } };
const invite = { tenant: 'acme', room: 'Weekly' };

describe('a participant-only client', () => {
  it.each<[string, 'tokens' | 'invites', Record<string, unknown>, number]>([
    ['a plain participant token', 'tokens', {}, 201],
    ['role moderator', 'tokens', { role: 'moderator' }, 403],
    ['affiliation owner (with role moderator)', 'tokens', { role: 'moderator', affiliation: 'owner' }, 403],
    ['affiliation owner as a participant (a contradiction)', 'tokens', { affiliation: 'owner' }, 400],
    ['affiliation member', 'tokens', { affiliation: 'member' }, 201],
    ['lobbyBypass true', 'tokens', { lobbyBypass: true }, 403],
    ['lobbyBypass false', 'tokens', { lobbyBypass: false }, 201],
    ['a feature turned on', 'tokens', { features: { recording: true } }, 403],
    ['several features turned on', 'tokens', { features: { recording: true, livestreaming: true } }, 403],
    ['a feature turned off', 'tokens', { features: { recording: false } }, 201],
    ['a lifetime above its maximum', 'tokens', { ttlSeconds: 601 }, 403],
    ['a moderator invite', 'invites', { role: 'moderator' }, 403],
    ['an invite with lobbyBypass true', 'invites', { lobbyBypass: true }, 403],
    ['an invite that turns a feature on', 'invites', { features: { 'screen-sharing': true } }, 403],
    ['an invite that turns a feature off', 'invites', { features: { 'screen-sharing': false } }, 201],
  ])('%s → %i', async (_what, api, fields, status) => {
    const body = { ...(api === 'tokens' ? token : invite), ...fields };
    const answer = await call('POST', `${gw.base}/api/v1/${api}`, { headers: bearer(secrets.participants), json: body });
    expect(answer.status, answer.text).toBe(status);
    if (status === 403) expect(answer.body.error).toBe('forbidden');
    if (api === 'tokens' && status === 201) {
      const claims = decodeJwt(String(answer.body.token)) as { context: { user: Record<string, unknown>; features?: Record<string, boolean> } };
      expect(claims.context.user.moderator).toBe(false);
      expect(claims.context.user.lobby_bypass).not.toBe(true);
      expect(Object.values(claims.context.features ?? {})).not.toContain(true);
    }
  });
});

describe('clients with some of these rights', () => {
  it.each<[string, keyof typeof secrets, Record<string, unknown>, number]>([
    ['recorder: recording on', 'recorder', { features: { recording: true } }, 201],
    ['recorder: livestreaming on', 'recorder', { features: { recording: true, livestreaming: true } }, 403],
    ['recorder: lobbyBypass', 'recorder', { lobbyBypass: true }, 403],
    ['lobby: lobbyBypass', 'lobby', { lobbyBypass: true }, 201],
    ['lobby: a feature on', 'lobby', { features: { lobby: true } }, 403],
    ['admin (moderator rights): everything by default', 'admin', { role: 'moderator', lobbyBypass: true, features: { recording: true, livestreaming: true } }, 201],
  ])('%s → %i', async (_what, client, fields, status) => {
    const answer = await call('POST', `${gw.base}/api/v1/tokens`, { headers: bearer(secrets[client]), json: { ...token, ...fields } });
    expect(answer.status, answer.text).toBe(status);
  });
});
