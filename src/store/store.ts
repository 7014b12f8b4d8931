/**
 * The one storage contract of the gateway. Every piece of state (login transactions, sessions,
 * refresh handles, room registry, invites, rate-limit counters) goes through it, so the in-memory
 * backend (single process, the embedded default) and Redis (production, many replicas) are
 * interchangeable and pass the same behavioural suite (test/store/contract.ts).
 *
 * Keys are plain strings chosen by the callers ("tx:<id>", "session:<id>", ...); the backend adds
 * the configured prefix. Values are strings (callers serialise JSON). TTLs are whole seconds > 0.
 */
export interface Store {
  /** Which backend this is, for logs, metrics and /readyz. */
  readonly kind: 'memory' | 'redis';

  /** Stores `value` under `key` for `ttlSeconds`, replacing any previous value and TTL. */
  put(key: string, value: string, ttlSeconds: number): Promise<void>;

  /** Stores only if the key does not exist yet. Returns true when stored. */
  putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;

  /** The value, or null when absent or expired. */
  get(key: string): Promise<string | null>;

  /** Atomically reads and deletes (GETDEL): of concurrent callers, exactly one gets the value. */
  take(key: string): Promise<string | null>;

  /**
   * Replaces the value and TTL of a key that exists and returns the value it had; when the key is
   * absent, stores nothing and returns null (Redis `SET key value XX GET EX ttl`, one command).
   * Atomic: of concurrent callers, exactly one gets the value that was there before the first
   * replacement. A login transaction becomes its own "already used" marker this way.
   */
  replace(key: string, value: string, ttlSeconds: number): Promise<string | null>;

  /** Deletes the key. Returns true when it existed. */
  delete(key: string): Promise<boolean>;

  /**
   * Atomically increments a counter and returns the new value. The TTL is set when the counter is
   * created and not extended by later increments (a fixed window).
   */
  increment(key: string, ttlSeconds: number): Promise<number>;

  /** Adds `member` to the set `index` and (re)sets the set's TTL: a secondary index. */
  indexAdd(index: string, member: string, ttlSeconds: number): Promise<void>;

  /** Members of the set `index` (empty when absent). */
  indexMembers(index: string): Promise<string[]>;

  /** Removes `member` from the set `index`. */
  indexRemove(index: string, member: string): Promise<void>;

  /** Resolves when the backend answers; rejects otherwise. Used by /readyz. */
  ping(): Promise<void>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** Thrown by a backend when it cannot answer (connection lost, timeout). Rendered as 503. */
export class StoreUnavailableError extends Error {
  override readonly name: string = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Validates a TTL once, at the contract boundary, so both backends behave the same. */
export function assertTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
}

/**
 * A write the primary executed, but fewer replicas than required confirmed it within the
 * timeout (Redis WAIT): it may or may not survive a failover. Rendered as 503
 * `store_not_replicated`; repeating the request is the remedy (see docs/store.md).
 */
export class StoreNotReplicatedError extends StoreUnavailableError {
  override readonly name = 'StoreNotReplicatedError';
}

/**
 * The primary refused a write for want of replicas (NOREPLICAS: `min-replicas-to-write`). Reads
 * still work. Rendered as 503 like any unavailability; rate-limit counters count per process
 * instead (src/store/counters.ts), so reads are not refused because of their counter.
 */
export class StoreWritesRefusedError extends StoreUnavailableError {
  override readonly name = 'StoreWritesRefusedError';
}
