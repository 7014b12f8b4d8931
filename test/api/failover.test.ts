import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCommand, startSentinelSet, waitUntil, type SentinelSet } from '../support/redis.js';
import { apiSettings, bearer, call, startGateway, type TestGateway } from './harness.js';

/**
 * What an API client's writes are worth across a Redis failover (issue 17 §3, docs/store.md), on
 * a real Sentinel set (one primary, one replica, three Sentinels) behind a real gateway:
 * - a room registration is acknowledged only once the replica has it, so a failover keeps it;
 *   when the replica does not confirm in time the API says so (503 store_not_replicated) instead
 *   of a 200 for a write that a failover would undo;
 * - rate-limit counters are kept apart: with `min-replicas-to-write` refusing writes, reads and
 *   token requests still work.
 */
const SECRET = 'failover-api-secret-0123456789abcdef-xyz';
const prefix = `jsgtest:api-failover:${process.pid}:`;
let set: SentinelSet;
let gw: TestGateway;
let rooms: string;

beforeAll(async () => {
  set = await startSentinelSet('jsgapi');
  gw = await startGateway(
    apiSettings('redis://unused', prefix, {
      providers: { corp: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } },
      store: { kind: 'redis', prefix, redis: { sentinel: { name: set.masterName, nodes: set.sentinels }, commandTimeoutMs: 1000, replicatedWrites: { replicas: 1, timeoutMs: 300 } } },
      api: { clients: { admin: { secretHash: `sha256:${createHash('sha256').update(SECRET).digest('hex')}`, mayIssueModerator: true } } },
    }),
  );
  rooms = `${gw.base}/api/v1/rooms`;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await set?.stop();
}, 30_000);

const auth = { headers: bearer(SECRET) };
const register = (room: string) => call('PUT', `${rooms}/acme/${room}`, { ...auth, json: { moderators: { ids: ['alice'] } } });
const read = (room: string) => call('GET', `${rooms}/acme/${room}`, auth);
const token = () => call('POST', `${gw.base}/api/v1/tokens`, { ...auth, json: { room: 'standup', tenant: 'acme', user: { id: 'u1', name: 'Ada' }, role: 'participant' } });

describe('room registrations across a Redis failover', () => {
  it('with the replica not answering, a registration gets 503 store_not_replicated, not a 200 that a failover would undo; reads and tokens go on', async () => {
    expect((await register('weekly')).status).toBe(200);
    set.replica.freeze();
    try {
      const refused = await register('board');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toEqual({ error: 'store_not_replicated', message: expect.stringMatching(/not confirmed by the state store's replicas in time: it may or may not have been saved/) });
      expect((await read('weekly')).status).toBe(200);
      expect((await token()).status).toBe(201);
    } finally {
      set.replica.thaw();
    }
    expect((await register('board')).status).toBe(200); // repeating is safe: PUT is idempotent
  });

  it('with min-replicas-to-write refusing writes, reads and token requests still work (their rate-limit counter is not security state)', async () => {
    const primary = set.primary.port;
    await redisCommand(primary, 'CONFIG', 'SET', 'min-replicas-max-lag', '1');
    await redisCommand(primary, 'CONFIG', 'SET', 'min-replicas-to-write', '1');
    set.replica.freeze();
    try {
      await waitUntil(
        'the primary to refuse writes (NOREPLICAS)',
        async () => redisCommand(primary, 'SET', 'jsgtest:probe', '1').then(() => false, (error: Error) => /NOREPLICAS/.test(error.message)),
        10_000,
        100,
      );
      const got = await read('weekly');
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ moderators: [expect.objectContaining({ provider: 'corp', ids: ['alice'] })] });
      expect((await token()).status).toBe(201);
      const write = await register('refused');
      expect(write.status).toBe(503);
    } finally {
      set.replica.thaw();
      await redisCommand(primary, 'CONFIG', 'SET', 'min-replicas-to-write', '0');
    }
  });

  it('a registration acknowledged just before the primary dies is there after the failover', async () => {
    expect((await register('retro')).status).toBe(200);
    await set.primary.kill();
    await waitUntil('the promoted replica to answer reads', async () => (await read('retro')).status !== 503, 20_000, 100);
    const after = await read('retro');
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ moderators: [expect.objectContaining({ provider: 'corp', ids: ['alice'] })] });
    expect(await set.currentPrimaryPort()).toBe(set.replica.port);
    // The promoted replica has no replica now: registrations are refused, logins and tokens are not.
    expect((await register('later')).body.error).toBe('store_not_replicated');
    expect((await token()).status).toBe(201);
  }, 40_000);
});
