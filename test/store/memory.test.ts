import { describe, expect, it } from 'vitest';

import { instrumentStore } from '../../src/store/instrumented.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreUnavailableError, type Store } from '../../src/store/store.js';
import { runStoreContract } from './contract.js';

runStoreContract('memory', async (prefix) => {
  const store = new MemoryStore({ prefix });
  return { store, cleanup: () => store.close() };
});

// The decorator must be transparent: the same contract holds through it.
runStoreContract('memory, instrumented', async (prefix) => {
  const store = instrumentStore(new MemoryStore({ prefix }), () => {});
  return { store, cleanup: () => store.close() };
});

describe('MemoryStore specifics', () => {
  it('the sweep removes expired entries nobody reads again', async () => {
    const store = new MemoryStore();
    await store.put('a', '1', 1);
    await store.put('b', '2', 60);
    await store.indexAdd('i', 'm', 1);
    await store.increment('c', 1);
    expect(store.size).toBe(4);
    store.sweep(Date.now() + 1500);
    expect(store.size).toBe(1);
    expect(await store.get('b')).toBe('2');
    await store.close();
  });

  it('the periodic sweep runs by itself', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 50 });
    await store.put('a', '1', 1);
    expect(store.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(store.size).toBe(0);
    await store.close();
  });

  it('after close operations fail with StoreUnavailableError', async () => {
    const store = new MemoryStore();
    await store.put('a', '1', 60);
    await store.close();
    await expect(store.get('a')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close(); // idempotent
  });

  it('a non-numeric value cannot be incremented', async () => {
    const store = new MemoryStore();
    await store.put('a', 'text', 60);
    await expect(store.increment('a', 60)).rejects.toThrow(/not an integer/);
    await store.close();
  });
});

describe('instrumentStore', () => {
  it('times every operation and reports its outcome', async () => {
    const observed: { op: string; seconds: number; ok: boolean }[] = [];
    const inner = new MemoryStore();
    const store = instrumentStore(inner, (op, seconds, ok) => observed.push({ op, seconds, ok }));
    expect(store.kind).toBe('memory');

    await store.put('k', 'v', 60);
    await store.putIfAbsent('k', 'v', 60);
    await store.get('k');
    await store.take('k');
    await store.delete('k');
    await store.increment('c', 60);
    await store.indexAdd('i', 'm', 60);
    await store.indexMembers('i');
    await store.indexRemove('i', 'm');
    await store.ping();
    await expect(store.put('k', 'v', 0)).rejects.toBeInstanceOf(RangeError);
    await store.close();

    expect(observed.map((o) => o.op)).toEqual([
      'put',
      'putIfAbsent',
      'get',
      'take',
      'delete',
      'increment',
      'indexAdd',
      'indexMembers',
      'indexRemove',
      'ping',
      'put',
      'close',
    ]);
    expect(observed.map((o) => o.ok)).toEqual([...Array(10).fill(true), false, true]);
    for (const o of observed) {
      expect(o.seconds).toBeGreaterThanOrEqual(0);
      expect(o.seconds).toBeLessThan(1);
    }
  });

  it('measures the real duration and passes errors through unchanged', async () => {
    const failure = new StoreUnavailableError('down');
    const slow: Store = {
      kind: 'redis',
      put: () => new Promise((resolve) => setTimeout(resolve, 120)),
      putIfAbsent: async () => true,
      get: async () => 'value',
      take: async () => null,
      replace: async () => null,
      delete: async () => false,
      increment: async () => 7,
      indexAdd: async () => {},
      indexMembers: async () => ['a'],
      indexRemove: async () => {},
      ping: async () => {
        throw failure;
      },
      close: async () => {},
    };
    const observed: [string, number, boolean][] = [];
    const store = instrumentStore(slow, (...args) => observed.push(args));
    expect(store.kind).toBe('redis');
    await store.put('k', 'v', 1);
    expect(await store.get('k')).toBe('value');
    expect(await store.increment('c', 1)).toBe(7);
    await expect(store.ping()).rejects.toBe(failure);
    expect(observed[0]![0]).toBe('put');
    expect(observed[0]![1]).toBeGreaterThanOrEqual(0.1);
    expect(observed[0]![1]).toBeLessThan(1);
    expect(observed.at(-1)).toEqual(['ping', expect.any(Number), false]);
  });

  it('an observer that throws does not break the operation', async () => {
    const store = instrumentStore(new MemoryStore(), () => {
      throw new Error('metrics broken');
    });
    await store.put('k', 'v', 60);
    expect(await store.get('k')).toBe('v');
    await store.close();
  });
});
