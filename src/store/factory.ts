import type { StoreConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { instrumentStore } from './instrumented.js';
import { MemoryStore } from './memory.js';
import { createRedisStore } from './redis.js';
import type { Store } from './store.js';

/** The store chosen by config, timed into the store latency metric. */
export function createStore(config: StoreConfig, logger: Logger, metrics: Metrics): Store {
  let store: Store;
  if (config.kind === 'redis' && config.redis) {
    const { url, username, password, tls, sentinel, cluster, commandTimeoutMs } = config.redis;
    store = createRedisStore(
      { prefix: config.prefix, url, username, password, tls, sentinel, cluster, commandTimeoutMs },
      logger.child({ component: 'store' }),
    );
  } else {
    store = new MemoryStore({ prefix: config.prefix });
  }
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
