import { MemoryStore } from './memory.js';
import { type Store, StoreWritesRefusedError } from './store.js';

export interface CounterLog {
  warn(obj: object, msg: string): void;
}

/**
 * The view of the store for rate-limit counters and caches (API rate limits, secret-check
 * attempts, the verified-secret mark): shared through the store like everything else, but kept
 * apart from security state in one respect. When the primary refuses writes for want of replicas
 * (NOREPLICAS, Redis' `min-replicas-to-write`), a counter is counted in this process instead and
 * a cache write is skipped, with one warning a minute: a read-only API call must not answer 503
 * because its rate-limit counter could not be written. Any other store failure passes through.
 */
export function countersView(store: Store, log?: CounterLog): Store {
  const local = new MemoryStore({ prefix: '' });
  let warnedAt = 0;
  const warn = (error: unknown) => {
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    log?.warn({ reason: error instanceof Error ? error.message : String(error) }, 'the store refuses writes for want of replicas: rate limits are counted per replica until it accepts them again');
  };
  return {
    ...bind(store),
    async increment(key, ttlSeconds) {
      try {
        return await store.increment(key, ttlSeconds);
      } catch (error) {
        if (!(error instanceof StoreWritesRefusedError)) throw error;
        warn(error);
        return local.increment(key, ttlSeconds);
      }
    },
    async put(key, value, ttlSeconds) {
      try {
        await store.put(key, value, ttlSeconds);
      } catch (error) {
        if (!(error instanceof StoreWritesRefusedError)) throw error;
        warn(error);
      }
    },
    async close() {
      await local.close();
      await store.close();
    },
  };
}

function bind(store: Store): Store {
  return {
    kind: store.kind,
    put: (key, value, ttl) => store.put(key, value, ttl),
    putIfAbsent: (key, value, ttl) => store.putIfAbsent(key, value, ttl),
    get: (key) => store.get(key),
    take: (key) => store.take(key),
    replace: (key, value, ttl) => store.replace(key, value, ttl),
    delete: (key) => store.delete(key),
    increment: (key, ttl) => store.increment(key, ttl),
    indexAdd: (index, member, ttl) => store.indexAdd(index, member, ttl),
    indexMembers: (index) => store.indexMembers(index),
    indexRemove: (index, member) => store.indexRemove(index, member),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
