/**
 * Redis going away and coming back, with a store that stays connected the whole time: operations
 * must fail fast with StoreUnavailableError (rendered as 503) instead of hanging, and work again by
 * themselves once Redis is back, without restarting anything.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { createRedisStore, type RedisStore } from '../../src/store/redis.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js';

const COMMAND_TIMEOUT_MS = 1000; // the configuration default
const FAIL_FAST_MS = 2000;
const RECOVERY_BOUND_MS = 5000;

let server: RedisServer | undefined;
let store: RedisStore | undefined;

afterEach(async () => {
  server?.thaw();
  await store?.close();
  await server?.destroy();
  store = undefined;
  server = undefined;
}, 30_000);

interface LogLine {
  level: 'warn' | 'info';
  msg: string;
}

function connect(url: string, lines: LogLine[] = []): RedisStore {
  return createRedisStore(
    { prefix: `jsgtest:faults:${process.pid}:`, url, commandTimeoutMs: COMMAND_TIMEOUT_MS },
    {
      warn: (_obj, msg) => lines.push({ level: 'warn', msg }),
      info: (_obj, msg) => lines.push({ level: 'info', msg }),
    },
  );
}

/** Runs `op` and returns how it settled and how long it took. */
async function settle(op: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await op();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

/** Every operation of the store fails with StoreUnavailableError within FAIL_FAST_MS. */
async function expectUnavailable(s: RedisStore): Promise<void> {
  const results = await Promise.all([
    settle(() => s.put('k', 'v', 60)),
    settle(() => s.putIfAbsent('k2', 'v', 60)),
    settle(() => s.get('k')),
    settle(() => s.take('k')),
    settle(() => s.delete('k')),
    settle(() => s.increment('c', 60)),
    settle(() => s.indexAdd('i', 'm', 60)),
    settle(() => s.indexMembers('i')),
    settle(() => s.indexRemove('i', 'm')),
    settle(() => s.ping()),
  ]);
  for (const { ms, error } of results) {
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(ms).toBeLessThan(FAIL_FAST_MS);
  }
}

/** Polls until put/get succeed again; returns how long that took. */
async function waitForRecovery(s: RedisStore): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < RECOVERY_BOUND_MS) {
    try {
      await s.put('recovered', 'yes', 60);
      if ((await s.get('recovered')) === 'yes') return Date.now() - started;
    } catch (error) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`store did not recover within ${RECOVERY_BOUND_MS} ms`);
}

describe('RedisStore when Redis fails', () => {
  it('stopped Redis: operations fail fast, then recover by themselves on restart', async () => {
    server = await startRedis();
    const log: LogLine[] = [];
    store = connect(server.url, log);
    await store.put('before', 'v', 60);
    await expect(store.ping()).resolves.toBeUndefined();
    expect(log).toEqual([{ level: 'info', msg: 'redis connected' }]);

    await server.stop();
    await expectUnavailable(store);
    // And again, a while into the outage (reconnect attempts are under way by now).
    await new Promise((resolve) => setTimeout(resolve, 700));
    await expectUnavailable(store);

    await server.restart();
    const ms = await waitForRecovery(store);
    console.info(`standalone restart: store usable again ${ms} ms after redis-server answered`);
    expect(ms).toBeLessThan(RECOVERY_BOUND_MS);
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.increment('after', 60)).toBe(1);
    // The restarted server has no persistence: the old value is gone, as expected.
    expect(await store.get('before')).toBeNull();
    // The outage is logged once (not once per reconnection attempt), and so is the recovery.
    expect(log.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(log.at(-1)).toEqual({ level: 'info', msg: 'redis reconnected' });
  }, 30_000);

  it('killed Redis during a burst: every pending operation settles, none hangs', async () => {
    server = await startRedis();
    store = connect(server.url);
    const s = store;
    await s.put('warm', 'v', 60);

    const started = Date.now();
    const burst = Array.from({ length: 200 }, (_, i) =>
      settle(() => (i % 2 ? s.increment(`burst:${i % 7}`, 60) : s.get(`burst:${i}`))),
    );
    await server.kill();
    const more = Array.from({ length: 50 }, (_, i) => settle(() => s.take(`late:${i}`)));
    const results = await Promise.all([...burst, ...more]);
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS + 1000);
    for (const { error } of results) {
      if (error !== undefined) expect(error).toBeInstanceOf(StoreUnavailableError);
    }
    expect(results.slice(200).every((r) => r.error instanceof StoreUnavailableError)).toBe(true);

    await server.restart();
    await waitForRecovery(s);
  }, 30_000);

  it('frozen Redis (connection open, no answers): operations time out, then recover', async () => {
    server = await startRedis();
    store = connect(server.url);
    await store.put('k', 'v', 60);

    server.freeze();
    const results = await Promise.all([
      settle(() => store!.get('k')),
      settle(() => store!.take('k')),
      settle(() => store!.ping()),
    ]);
    for (const { ms, error } of results) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(FAIL_FAST_MS);
    }

    server.thaw();
    await waitForRecovery(store);
  }, 30_000);

  it('Redis down when the store is created: fails fast, connects once it starts', async () => {
    server = await startRedis();
    await server.stop();
    store = connect(server.url);
    await expectUnavailable(store);

    await server.restart();
    await waitForRecovery(store);
    await expect(store.ping()).resolves.toBeUndefined();
  }, 30_000);

  it('a primary demoted to replica (READONLY) is reported as unavailable', async () => {
    server = await startRedis();
    const other = await startRedis();
    try {
      store = connect(server.url);
      await store.put('k', 'v', 60);
      await redisCommand(server.port, 'REPLICAOF', '127.0.0.1', other.port);
      const { ms, error } = await settle(() => store!.put('k', 'w', 60));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/READONLY/);
      expect(ms).toBeLessThan(FAIL_FAST_MS * 2);

      await redisCommand(server.port, 'REPLICAOF', 'NO', 'ONE');
      await waitForRecovery(store);
    } finally {
      await other.destroy();
    }
  }, 30_000);
});
