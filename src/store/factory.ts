import type { StoreConfig } from './settings.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { instrumentStore } from './instrumented.js';
import { countersView } from './counters.js';
import { MemoryStore } from './memory.js';
import type { Store } from './store.js';

/**
 * The three views of the one configured store, by what a lost write costs (docs/store.md):
 * - `store`: transient state (login transactions, sessions, refresh handles): no wait;
 * - `replicated`: operator and security state (room registry, invites, invite use counters):
 *   writes wait for `store.redis.replicatedWrites.replicas` replicas (Redis WAIT);
 * - `counters`: rate-limit counters and caches: no wait, and counted per process while the
 *   primary refuses writes for want of replicas (src/store/counters.ts).
 * All three share one connection and are timed into the store latency metric.
 *
 * The Redis store's module (and ioredis, the largest module graph the gateway loads: ~35 ms of
 * CPU at start-up) is loaded only when the configuration names Redis.
 */
export interface Stores {
  store: Store;
  replicated: Store;
  counters: Store;
}

export async function createStores(config: StoreConfig, logger: Logger, metrics: Metrics): Promise<Stores> {
  const log = logger.child({ component: 'store' });
  if (config.kind === 'redis' && config.redis) {
    const { createRedisStore } = await import('./redis.js');
    const { url, username, password, tls, sentinel, cluster, commandTimeoutMs } = config.redis;
    const redis = createRedisStore({ prefix: config.prefix, url, username, password, tls, sentinel, cluster, commandTimeoutMs }, log);
    const store = instrument(redis, metrics);
    return {
      store,
      replicated: instrument(redis.withReplicatedWrites(replicatedWrites(config.redis)), metrics),
      counters: countersView(store, log),
    };
  }
  const store = instrument(new MemoryStore({ prefix: config.prefix }), metrics);
  return { store, replicated: store, counters: store };
}

/** How many replicas must confirm operator and security writes: see docs/store.md. */
export function replicatedWrites(redis: NonNullable<StoreConfig['redis']>): { replicas: number; timeoutMs: number } {
  const configured = redis.replicatedWrites;
  // A Sentinel or Cluster set-up exists to fail over, so it has replicas; a single server has none.
  const replicas = configured?.replicas ?? (redis.url !== undefined ? 0 : 1);
  return { replicas, timeoutMs: configured?.timeoutMs ?? Math.min(500, Math.floor(redis.commandTimeoutMs / 2)) };
}

/** The store chosen by config, timed into the store latency metric. */
export async function createStore(config: StoreConfig, logger: Logger, metrics: Metrics): Promise<Store> {
  return (await createStores(config, logger, metrics)).store;
}

function instrument(store: Store, metrics: Metrics): Store {
  const backend = store.kind;
  // Histogram children bound once per operation and outcome (label lookup is most of an observe).
  const bound = new Map<string, { observe(value: number): void }>();
  return instrumentStore(store, (operation, seconds, ok) => {
    const key = ok ? operation : `${operation}!`;
    let child = bound.get(key);
    if (!child) {
      child = metrics.storeDuration.labels({ operation, backend, outcome: ok ? 'ok' : 'error' });
      bound.set(key, child);
    }
    child.observe(seconds);
  });
}
