/**
 * Cluster failovers under one store instance that is never recreated nor reconnected by hand: a
 * real Cluster of three primaries with one replica each. A planned failover (CLUSTER FAILOVER on a
 * replica) must lose nothing and be followed through the MOVED redirection; a killed primary must
 * make operations fail fast with StoreUnavailableError (503) until its replica is promoted, and
 * the store must then work again by itself with the data replicated before the crash. What may be
 * lost is asserted per kind of state, as docs/store.md promises: a transient write acknowledged
 * just before the kill may be; a replicated write (WAIT for the replica) never is.
 *
 * Keys are chosen so that the ones under test live on the shard that fails over, and the checks on
 * the new primary go to its port directly: a client that kept talking to the old primary, or did
 * not follow MOVED, fails them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisStore, type RedisStore } from '../../src/store/redis.js';
import { StoreNotReplicatedError, StoreUnavailableError, type Store } from '../../src/store/store.js';
import {
  redisCommand,
  sleep,
  startCluster,
  waitUntil,
  type ClusterShard,
  type RedisCluster,
} from '../support/redis.js';

/** The configuration default. */
const COMMAND_TIMEOUT_MS = 1000;
/** Every operation settles within 2 × commandTimeoutMs (src/store/redis.ts); slack for busy CI. */
const SETTLE_BOUND_MS = 2 * COMMAND_TIMEOUT_MS + 500;
/** Successful rounds after the failover before the probe is considered recovered for good. */
const ROUNDS_AFTER = 20;

function clusterStore(cluster: RedisCluster, prefix: string): RedisStore {
  return createRedisStore({
    prefix,
    cluster: { nodes: cluster.nodes },
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
  });
}

/** A key `<base>:<n>` whose prefixed form lives on the shard of `primaryPort`. */
async function keyOn(
  cluster: RedisCluster,
  prefix: string,
  primaryPort: number,
  base: string,
): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const key = `${base}:${i}`;
    if ((await cluster.shardOf(prefix + key)).primary === primaryPort) return key;
  }
  throw new Error(`no key ${base}:<n> found on node ${primaryPort}`);
}

interface Attempt {
  op: string;
  /** When the operation started, and how long it took to settle. */
  at: number;
  ms: number;
  error?: unknown;
}

/** Runs one store operation and records how it settled. */
async function attempt(
  attempts: Attempt[],
  op: string,
  run: () => Promise<unknown>,
): Promise<unknown> {
  const at = Date.now();
  try {
    const result = await run();
    attempts.push({ op, at, ms: Date.now() - at });
    return result;
  } catch (error) {
    attempts.push({ op, at, ms: Date.now() - at, error });
    throw error;
  }
}

/**
 * put/get rounds on one key, back to back, until stopped: how the gateway's requests fare during
 * the failover. What a get may return is exactly the guarantee of docs/store.md:
 * - the value just put, or a LATER one (a put that failed for the caller may still have been
 *   executed: "it may or may not have been saved");
 * - an EARLIER value only when the acknowledged put was lost in the failover (`lost`). Transient
 *   state (`store`) may lose acknowledged writes when a primary dies; replicated state
 *   (`withReplicatedWrites`) must not. A value that was never put is an error.
 */
function probe(store: Store, key: string) {
  const attempts: Attempt[] = [];
  const lost: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      try {
        await attempt(attempts, 'put', () => store.put(key, `v${i}`, 60));
        const got = await attempt(attempts, 'get', () => store.get(key));
        const j = /^v(\d+)$/.exec(String(got))?.[1];
        if (j === undefined) {
          attempts.push({ op: 'get', at: Date.now(), ms: 0, error: new Error(`put v${i}, got ${String(got)}: never written`) });
        } else if (Number(j) < i) {
          lost.push(`put v${i} (acknowledged), got v${j}`);
        }
      } catch {
        await sleep(50); // recorded by attempt()
      }
      await sleep(10);
    }
  })();
  return {
    successesSince: (since: number) =>
      attempts.filter((a) => a.op === 'get' && !a.error && a.at > since).length,
    async stop(): Promise<{ attempts: Attempt[]; lost: string[] }> {
      running = false;
      await loop;
      return { attempts, lost };
    },
  };
}

/**
 * A one-line summary: operations, the slowest, and for failures their span (ms after `since`) and
 * distinct errors.
 */
function describeAttempts(name: string, attempts: Attempt[], since: number): string {
  const slowest = Math.max(0, ...attempts.map((a) => a.ms));
  const failed = attempts.filter((a) => a.error);
  const summary = `${name}: ${attempts.length} operations (slowest ${slowest} ms)`;
  if (!failed.length) return `${summary}, none failed`;
  const first = failed[0]!;
  const last = failed.at(-1)!;
  const messages = new Set(
    failed.map((a) =>
      a.error instanceof Error
        ? `${a.error.name}: ${a.error.message.replace(/^redis cluster via \S+: /, '')}`
        : String(a.error),
    ),
  );
  return (
    `${summary}, ${failed.length} failed, from ${first.at - since} ms to ` +
    `${last.at + last.ms - since} ms; errors: ${[...messages].slice(0, 4).join(' | ')}`
  );
}

/** Every failure was a StoreUnavailableError, and no operation outlasted the settle bound. */
function expectFailFast(attempts: Attempt[]): void {
  for (const { error, ms } of attempts) {
    if (error !== undefined) expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(ms).toBeLessThan(SETTLE_BOUND_MS);
  }
}

/** Concurrent takes of one key: exactly one caller gets the value. */
async function expectTakenOnce(store: RedisStore, key: string, value: string): Promise<void> {
  const takes = await Promise.all(Array.from({ length: 20 }, () => store.take(key)));
  expect(takes.filter((v) => v !== null)).toEqual([value]);
  expect(await store.get(key)).toBeNull();
}

/**
 * A Cluster of three primaries with one replica each for the tests of one describe block, and
 * the one store instance they use (closed with the cluster).
 */
function replicatedCluster(): { cluster(): RedisCluster; open(prefix: string): RedisStore } {
  let cluster: RedisCluster | undefined;
  let store: RedisStore | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ replicasPerPrimary: 1 });
  }, 40_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  }, 30_000);
  const started = () => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster;
  };
  return { cluster: started, open: (prefix) => (store = clusterStore(started(), prefix)) };
}

describe('RedisStore on a Cluster, planned failover', () => {
  const setup = replicatedCluster();

  it(
    'CLUSTER FAILOVER on a replica: nothing is lost, the store follows MOVED to the new primary',
    async () => {
      const c = setup.cluster();
      const prefix = `jsgtest:cluster-failover:${process.pid}:`;
      const s = setup.open(prefix);

      const session = 'session:alice';
      const shard: ClusterShard = await c.shardOf(prefix + session);
      expect(shard.replicas).toHaveLength(1);
      const oldPrimary = shard.primary;
      const newPrimary = shard.replicas[0]!;
      const [usedTx, openTx, counter, index, probeKey] = await Promise.all(
        ['tx-used', 'tx-open', 'counter', 'index', 'probe'].map((base) =>
          keyOn(c, prefix, oldPrimary, base),
        ),
      );

      const sessionValue = JSON.stringify({ sub: 'alice', rooms: ['board'], exp: 1_900_000_000 });
      await s.put(session, sessionValue, 600);
      await s.put(usedTx!, 'used', 600);
      await s.put(openTx!, 'open', 600);
      for (let i = 1; i <= 3; i++) expect(await s.increment(counter!, 600)).toBe(i);
      await s.indexAdd(index!, 'alice', 600);
      expect(await s.take(usedTx!)).toBe('used'); // consumed before the failover
      expect(await redisCommand(oldPrimary, 'GET', prefix + session)).toBe(sessionValue);

      const load = probe(s, probeKey!);
      const recordKey = await keyOn(c, prefix, oldPrimary, 'record');
      const records = probe(s.withReplicatedWrites({ replicas: 1, timeoutMs: 300 }), recordKey);
      await waitUntil('the probes to run', async () => load.successesSince(0) >= 5 && records.successesSince(0) >= 5, 5000);
      const startedAt = Date.now();
      await c.failover(newPrimary);
      const promotedAt = Date.now();
      await waitUntil(
        `${ROUNDS_AFTER} successful put/get rounds after the failover`,
        async () => load.successesSince(promotedAt) >= ROUNDS_AFTER && records.successesSince(promotedAt) >= ROUNDS_AFTER,
        10_000,
      );
      const { attempts, lost } = await load.stop();
      const replicated = await records.stop();
      console.info(`cluster planned failover: ${describeAttempts('replicated put/get on the shard', replicated.attempts, startedAt)}`);
      // The old primary is now the new one's replica: replicated writes go on, redirected by MOVED.
      expectFailFast(replicated.attempts);
      expect(replicated.attempts.filter((a) => a.error).length).toBeLessThanOrEqual(2);
      expect(replicated.lost).toEqual([]);
      console.info(
        `cluster planned failover: promotion took ${promotedAt - startedAt} ms; ` +
          describeAttempts('put/get on the shard', attempts, startedAt),
      );
      expectFailFast(attempts);
      // A planned failover hands over in order (the replica catches up before it is promoted):
      // at most an operation or two fails, and nothing acknowledged is lost, even without WAIT.
      expect(attempts.filter((a) => a.error).length).toBeLessThanOrEqual(2);
      expect(lost).toEqual([]);

      // The roles swapped.
      expect((await c.shardOf(prefix + session)).primary).toBe(newPrimary);
      expect(((await redisCommand(oldPrimary, 'ROLE')) as unknown[])[0]).toBe('slave');

      // Everything written before is there, read through the same store.
      expect(await s.get(session)).toBe(sessionValue);
      expect(await s.take(usedTx!)).toBeNull(); // the take was replicated: still consumed
      await expectTakenOnce(s, openTx!, 'open');
      expect(await s.increment(counter!, 600)).toBe(4);
      expect(await s.indexMembers(index!)).toEqual(['alice']);

      // New writes land on the new primary; the old one only redirects.
      await s.put(session, 'renewed', 600);
      await s.put('session:new', 'fresh', 600);
      const fresh = await c.shardOf(`${prefix}session:new`);
      expect(await redisCommand(newPrimary, 'GET', prefix + session)).toBe('renewed');
      expect(await redisCommand(fresh.primary, 'GET', `${prefix}session:new`)).toBe('fresh');
      await expect(redisCommand(oldPrimary, 'GET', prefix + session)).rejects.toThrow(
        new RegExp(`^MOVED \\d+ 127\\.0\\.0\\.1:${newPrimary}$`),
      );
      expect(await redisCommand(newPrimary, 'GET', prefix + counter!)).toBe('4');
      await expect(s.ping()).resolves.toBeUndefined();
    },
    40_000,
  );
});

describe('RedisStore on a Cluster, primary killed', () => {
  const setup = replicatedCluster();

  it(
    'fails fast while the replica is elected, then works again with the replicated data',
    async () => {
      const c = setup.cluster();
      const prefix = `jsgtest:cluster-crash:${process.pid}:`;
      const s = setup.open(prefix);

      const session = 'session:bob';
      const shard = await c.shardOf(prefix + session);
      expect(shard.replicas).toHaveLength(1);
      const doomed = shard.primary;
      const heir = shard.replicas[0]!;
      const otherPrimary = (await c.topology()).find(
        (node) => node.role === 'master' && node.slots.length && node.port !== doomed,
      )!.port;
      const [openTx, counter, probeKey, otherKey, outValue, outCounter, outIndex, recordKey] =
        await Promise.all([
          keyOn(c, prefix, doomed, 'tx-open'),
          keyOn(c, prefix, doomed, 'counter'),
          keyOn(c, prefix, doomed, 'probe'),
          keyOn(c, prefix, otherPrimary, 'probe-elsewhere'),
          keyOn(c, prefix, doomed, 'outage-value'),
          keyOn(c, prefix, doomed, 'outage-counter'),
          keyOn(c, prefix, doomed, 'outage-index'),
          keyOn(c, prefix, doomed, 'record'),
        ]);
      // Operator and security state: writes acknowledged only once the replica has them.
      const records = s.withReplicatedWrites({ replicas: 1, timeoutMs: 300 });

      await s.put(session, 'bob', 600);
      await s.put(openTx!, 'open', 600);
      expect(await s.increment(counter!, 600)).toBe(1);
      expect(await s.increment(counter!, 600)).toBe(2);
      // Replicated before the crash (only to make the test deterministic: see docs/store.md).
      expect(await c.waitForReplication(doomed)).toBe(1);

      const onShard = probe(s, probeKey!);
      const elsewhere = probe(s, otherKey!);
      const replicated = probe(records, recordKey!);
      await waitUntil(
        'the probes to run',
        async () => onShard.successesSince(0) >= 5 && elsewhere.successesSince(0) >= 5 && replicated.successesSince(0) >= 5,
        5000,
      );
      const killedAt = Date.now();
      await c.server(doomed).kill();
      // Every kind of operation on the dead shard, at once: each settles in time, none hangs.
      const burst: Attempt[] = [];
      const all = (op: string, run: () => Promise<unknown>) =>
        attempt(burst, op, run).catch(() => undefined);
      await Promise.all([
        all('put', () => s.put(outValue!, 'v', 60)),
        all('putIfAbsent', () => s.putIfAbsent(outValue!, 'v', 60)),
        all('get', () => s.get(outValue!)),
        all('take', () => s.take(outValue!)),
        all('delete', () => s.delete(outValue!)),
        all('increment', () => s.increment(outCounter!, 60)),
        all('indexAdd', () => s.indexAdd(outIndex!, 'm', 60)),
        all('indexMembers', () => s.indexMembers(outIndex!)),
        all('indexRemove', () => s.indexRemove(outIndex!, 'm')),
        all('ping', () => s.ping()),
      ]);
      await c.waitForPrimary(heir, 20_000);
      const promotedAt = Date.now();
      await waitUntil(
        `${ROUNDS_AFTER} successful put/get rounds on both shards after the promotion`,
        async () =>
          onShard.successesSince(promotedAt) >= ROUNDS_AFTER &&
          elsewhere.successesSince(promotedAt) >= ROUNDS_AFTER,
        10_000,
      );
      // The promoted replica has no replica of its own: replicated writes there are refused
      // (StoreNotReplicatedError, 503 in the API) until one is back. The old primary restarts and
      // rejoins as its replica.
      await c.server(doomed).restart();
      await waitUntil(
        'the old primary to rejoin as a replica of the promoted one',
        async () => (await c.waitForReplication(heir, 1, 500).catch(() => 0)) === 1,
        20_000,
      );
      const rejoinedAt = Date.now();
      await waitUntil(
        `${ROUNDS_AFTER} successful replicated put/get rounds once a replica is back`,
        async () => replicated.successesSince(rejoinedAt) >= ROUNDS_AFTER,
        10_000,
      );
      const [killed, other, record] = await Promise.all([onShard.stop(), elsewhere.stop(), replicated.stop()]);
      const [shardAttempts, otherAttempts, recordAttempts] = [killed.attempts, other.attempts, record.attempts];
      const firstBack = shardAttempts.find((a) => a.op === 'get' && !a.error && a.at > killedAt);
      console.info(
        `cluster primary killed: replica promoted ${promotedAt - killedAt} ms after the kill ` +
          `(as seen by every node), first put/get on its slots done ` +
          `${firstBack ? firstBack.at + firstBack.ms - killedAt : 'never'} ms after the kill; ` +
          `${describeAttempts('killed shard', shardAttempts, killedAt)}; ` +
          `${describeAttempts('other shard', otherAttempts, killedAt)}; ` +
          `${describeAttempts('replicated writes on the killed shard', recordAttempts, killedAt)}; ` +
          `acknowledged writes lost: ${killed.lost.length} transient (${killed.lost.join(', ') || 'none'}), ${record.lost.length} replicated`,
      );
      console.info(
        `cluster primary killed, all operations at once on the dead shard: ` +
          burst.map((a) => `${a.op} ${a.error ? 'failed' : 'ok'} in ${a.ms} ms`).join(', '),
      );
      expectFailFast(burst);
      expect(burst.filter((a) => a.op !== 'ping' && !a.error)).toEqual([]);
      expectFailFast(shardAttempts);
      expectFailFast(otherAttempts);
      expectFailFast(recordAttempts);
      expect(shardAttempts.some((a) => a.error)).toBe(true); // the outage was seen at all
      // The guarantee per kind (docs/store.md): a transient write acknowledged just before the
      // kill may be lost (killed.lost, reported above, not asserted); a replicated one never is,
      // and nothing on the other shard is.
      expect(record.lost).toEqual([]);
      expect(other.lost).toEqual([]);
      const refusedWithoutReplica = recordAttempts.filter((a) => a.error instanceof StoreNotReplicatedError && a.at > promotedAt && a.at < rejoinedAt);
      expect(refusedWithoutReplica.length).toBeGreaterThan(0);

      // The same store, never recreated: the replicated data is there and usable.
      expect(await s.get(session)).toBe('bob');
      await expectTakenOnce(s, openTx!, 'open');
      expect(await s.increment(counter!, 600)).toBe(3);
      await s.put(session, 'bob again', 600);
      expect(await redisCommand(heir, 'GET', prefix + session)).toBe('bob again');
      expect(await redisCommand(heir, 'GET', prefix + counter!)).toBe('3');
      await expect(s.ping()).resolves.toBeUndefined();
    },
    40_000,
  );
});
