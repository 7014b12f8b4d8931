import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisStore } from '../../src/store/redis.js';
import { redisCommand, startCluster, type RedisCluster } from '../support/redis.js';
import { runStoreContract } from './contract.js';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 40_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

runStoreContract('redis (cluster)', async (prefix) => {
  const store = createRedisStore({
    prefix,
    cluster: { nodes: cluster.nodes },
    commandTimeoutMs: 1000,
  });
  return { store, cleanup: () => store.close() };
});

describe('RedisStore on a Cluster', () => {
  it('spreads prefixed keys over all three primaries, scripts included', async () => {
    const prefix = `jsgtest:spread:${process.pid}:`;
    // One seed node is enough: the client discovers the others.
    const store = createRedisStore({
      prefix,
      cluster: { nodes: [cluster.nodes[0]!] },
      commandTimeoutMs: 1000,
    });
    try {
      for (let i = 0; i < 30; i++) {
        await store.put(`value:${i}`, String(i), 60);
        await store.increment(`counter:${i}`, 60);
        await store.indexAdd(`index:${i}`, 'm', 60);
      }
      let total = 0;
      for (const server of cluster.servers) {
        const keys = (await redisCommand(server.port, 'KEYS', `${prefix}*`)) as string[];
        expect(keys.length).toBeGreaterThan(0);
        total += keys.length;
      }
      expect(total).toBe(90);
      for (let i = 0; i < 30; i++) {
        expect(await store.get(`value:${i}`)).toBe(String(i));
        expect(await store.increment(`counter:${i}`, 60)).toBe(2);
        expect(await store.indexMembers(`index:${i}`)).toEqual(['m']);
      }
    } finally {
      await store.close();
    }
  });
});
