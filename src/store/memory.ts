import { assertTtl, type Store, StoreUnavailableError } from './store.js';

export interface MemoryStoreOptions {
  /** Added in front of every key, as the Redis backend does. Default: none. */
  prefix?: string;
  /** How often expired entries are swept out in the background. Default: 30 s. */
  sweepIntervalMs?: number;
}

interface Entry {
  value: string;
  expiresAt: number;
}

interface IndexEntry {
  members: Set<string>;
  expiresAt: number;
}

/**
 * The embedded, single-process backend. State lives in Maps; expiry is checked lazily on every
 * access and a background sweep (an unref'd timer, so it never keeps the process alive) removes
 * entries nobody asks for again. Every operation runs to completion without awaiting anything, so
 * all of them are atomic by construction on Node's single thread.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;

  private readonly prefix: string;
  private readonly values = new Map<string, Entry>();
  private readonly indexes = new Map<string, IndexEntry>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.prefix = options.prefix ?? '';
    const interval = options.sweepIntervalMs ?? 30_000;
    this.timer = setInterval(() => this.sweep(), interval);
    this.timer.unref();
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    assertTtl(ttlSeconds);
    this.assertOpen();
    this.values.set(this.prefix + key, { value, expiresAt: expiry(ttlSeconds) });
  }

  async putIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    assertTtl(ttlSeconds);
    this.assertOpen();
    if (this.live(this.prefix + key)) return false;
    this.values.set(this.prefix + key, { value, expiresAt: expiry(ttlSeconds) });
    return true;
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.live(this.prefix + key)?.value ?? null;
  }

  async take(key: string): Promise<string | null> {
    this.assertOpen();
    const entry = this.live(this.prefix + key);
    if (!entry) return null;
    this.values.delete(this.prefix + key);
    return entry.value;
  }

  async replace(key: string, value: string, ttlSeconds: number): Promise<string | null> {
    assertTtl(ttlSeconds);
    this.assertOpen();
    const entry = this.live(this.prefix + key);
    if (!entry) return null;
    const previous = entry.value;
    entry.value = value;
    entry.expiresAt = expiry(ttlSeconds);
    return previous;
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    const existed = this.live(this.prefix + key) !== undefined;
    this.values.delete(this.prefix + key);
    return existed;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    assertTtl(ttlSeconds);
    this.assertOpen();
    const entry = this.live(this.prefix + key);
    if (!entry) {
      this.values.set(this.prefix + key, { value: '1', expiresAt: expiry(ttlSeconds) });
      return 1;
    }
    const current = Number(entry.value);
    if (!Number.isSafeInteger(current)) {
      throw new TypeError(`value of "${key}" is not an integer counter`);
    }
    entry.value = String(current + 1);
    return current + 1;
  }

  async indexAdd(index: string, member: string, ttlSeconds: number): Promise<void> {
    assertTtl(ttlSeconds);
    this.assertOpen();
    const entry = this.liveIndex(this.prefix + index);
    if (entry) {
      entry.members.add(member);
      entry.expiresAt = expiry(ttlSeconds);
    } else {
      this.indexes.set(this.prefix + index, {
        members: new Set([member]),
        expiresAt: expiry(ttlSeconds),
      });
    }
  }

  async indexMembers(index: string): Promise<string[]> {
    this.assertOpen();
    return [...(this.liveIndex(this.prefix + index)?.members ?? [])];
  }

  async indexRemove(index: string, member: string): Promise<void> {
    this.assertOpen();
    const entry = this.liveIndex(this.prefix + index);
    if (!entry) return;
    entry.members.delete(member);
    // Like a Redis set, an index with no members does not exist.
    if (entry.members.size === 0) this.indexes.delete(this.prefix + index);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.values.clear();
    this.indexes.clear();
  }

  /** Removes every expired entry. Runs periodically; exposed for tests. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.values) {
      if (entry.expiresAt <= now) this.values.delete(key);
    }
    for (const [key, entry] of this.indexes) {
      if (entry.expiresAt <= now) this.indexes.delete(key);
    }
  }

  /** Number of stored values and indexes, expired or not: for tests of the sweep. */
  get size(): number {
    return this.values.size + this.indexes.size;
  }

  private live(fullKey: string): Entry | undefined {
    const entry = this.values.get(fullKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.values.delete(fullKey);
      return undefined;
    }
    return entry;
  }

  private liveIndex(fullKey: string): IndexEntry | undefined {
    const entry = this.indexes.get(fullKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.indexes.delete(fullKey);
      return undefined;
    }
    return entry;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('memory store is closed');
  }
}

function expiry(ttlSeconds: number): number {
  return Date.now() + ttlSeconds * 1000;
}
