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
  return instrumentStore(store, (operation, seconds, ok) => {
    metrics.storeDuration.observe({ operation, backend, outcome: ok ? 'ok' : 'error' }, seconds);
  });
}
