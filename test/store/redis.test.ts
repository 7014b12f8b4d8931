import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisStore, type RedisStore } from '../../src/store/redis.js';
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js';
import { runStoreContract } from './contract.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedis();
}, 30_000);

afterAll(async () => {
  await server?.destroy();
}, 30_000);

runStoreContract('redis (standalone)', async (prefix) => {
  const store = createRedisStore({ prefix, url: server.url, commandTimeoutMs: 1000 });
  return { store, cleanup: () => store.close() };
});

describe('RedisStore (standalone) on the server', () => {
  let store: RedisStore;
  const prefix = `jsgtest:raw:${process.pid}:`;

  beforeAll(() => {
    store = createRedisStore({ prefix, url: server.url, commandTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('applies the prefix to plain commands and to the scripts, with the right TTLs', async () => {
    await store.put('value', 'v', 100);
    await store.putIfAbsent('nx', 'v', 100);
    await store.increment('counter', 50);
    await store.increment('counter', 500);
    await store.indexAdd('index', 'member', 70);
    await store.put('taken', 'v', 100);
    await store.take('taken');

    const keys = ((await redisCommand(server.port, 'KEYS', `${prefix}*`)) as string[]).sort();
    expect(keys).toEqual([`${prefix}counter`, `${prefix}index`, `${prefix}nx`, `${prefix}value`]);
    // Nothing was written without the prefix.
    for (const bare of ['value', 'nx', 'counter', 'index', 'taken']) {
      expect(await redisCommand(server.port, 'EXISTS', bare)).toBe(0);
    }
    expect(await redisCommand(server.port, 'GET', `${prefix}counter`)).toBe('2');
    const ttl = async (key: string) => Number(await redisCommand(server.port, 'TTL', key));
    expect(await ttl(`${prefix}value`)).toBeGreaterThan(95);
    expect(await ttl(`${prefix}value`)).toBeLessThanOrEqual(100);
    // Fixed window: the TTL of the first increment (50), not the second (500).
    expect(await ttl(`${prefix}counter`)).toBeGreaterThan(45);
    expect(await ttl(`${prefix}counter`)).toBeLessThanOrEqual(50);
    expect(await ttl(`${prefix}index`)).toBeGreaterThan(65);
    expect(await redisCommand(server.port, 'TYPE', `${prefix}index`)).toBe('set');
  });

  it('a counter left without a TTL gets one on the next increment', async () => {
    await redisCommand(server.port, 'SET', `${prefix}orphan`, '5');
    expect(await store.increment('orphan', 30)).toBe(6);
    const ttl = Number(await redisCommand(server.port, 'TTL', `${prefix}orphan`));
    expect(ttl).toBeGreaterThan(25);
  });

  it('a programming error (wrong type) is not disguised as unavailability', async () => {
    await store.indexAdd('a-set', 'm', 60);
    const error = await store.get('a-set').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).not.toBe('StoreUnavailableError');
    expect((error as Error).message).toMatch(/WRONGTYPE/);
  });

  it('close() quits the connection and later calls fail fast', async () => {
    const other = createRedisStore({ prefix, url: server.url, commandTimeoutMs: 1000 });
    await other.put('x', 'y', 60);
    const clients = async () =>
      String(await redisCommand(server.port, 'CLIENT', 'LIST')).trim().split('\n').length;
    const clientsBefore = await clients();
    await other.close();
    const clientsAfter = await clients();
    expect(clientsAfter).toBe(clientsBefore - 1);
    const started = Date.now();
    await expect(other.get('x')).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    await expect(other.ping()).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    expect(Date.now() - started).toBeLessThan(200);
  });
});

describe('RedisStore with a least-privilege ACL user (as in docs/store.md)', () => {
  it('runs every operation as a user allowed only the documented commands', async () => {
    await redisCommand(
      server.port,
      'ACL', 'SETUSER', 'jsg', 'reset', 'on', '>s3cret-pw', '~jsgacl:*', 'resetchannels',
      '-@all', '+get', '+set', '+getdel', '+del', '+sadd', '+srem', '+smembers', '+incr',
      '+expire', '+ttl', '+eval', '+evalsha', '+ping', '+info',
    );
    const store = createRedisStore({
      prefix: 'jsgacl:',
      url: server.url,
      username: 'jsg',
      password: 's3cret-pw',
      commandTimeoutMs: 1000,
    });
    try {
      await store.ping();
      await store.put('k', 'v', 60);
      expect(await store.putIfAbsent('k', 'w', 60)).toBe(false);
      expect(await store.get('k')).toBe('v');
      expect(await store.take('k')).toBe('v');
      expect(await store.delete('k')).toBe(false);
      expect(await store.increment('c', 60)).toBe(1);
      expect(await store.increment('c', 60)).toBe(2);
      await store.indexAdd('i', 'm', 60);
      expect(await store.indexMembers('i')).toEqual(['m']);
      await store.indexRemove('i', 'm');
    } finally {
      await store.close();
    }
    // A wrong password never connects: unavailable, not a crash.
    const wrong = createRedisStore({
      prefix: 'jsgacl:',
      url: server.url,
      username: 'jsg',
      password: 'wrong',
      commandTimeoutMs: 300,
    });
    try {
      await expect(wrong.get('k')).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    } finally {
      await wrong.close();
    }
  });
});

describe('createRedisStore configuration', () => {
  it('requires exactly one of url, sentinel and cluster', () => {
    expect(() => createRedisStore({ prefix: 'p:', commandTimeoutMs: 1000 })).toThrow(/exactly one/);
    expect(() =>
      createRedisStore({
        prefix: 'p:',
        url: 'redis://127.0.0.1:1',
        cluster: { nodes: ['127.0.0.1:2'] },
        commandTimeoutMs: 1000,
      }),
    ).toThrow(/exactly one/);
  });

  it('rejects malformed node addresses', () => {
    expect(() =>
      createRedisStore({ prefix: 'p:', cluster: { nodes: ['no-port'] }, commandTimeoutMs: 1000 }),
    ).toThrow(/host:port/);
  });
});
