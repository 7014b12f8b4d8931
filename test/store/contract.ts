/**
 * The one behavioural suite every Store backend must pass (see src/store/store.ts). Each backend's
 * test file calls runStoreContract with a factory; the factory receives the key prefix to use, so
 * runs never see each other's keys and the prefix-isolation test can ask for a second and third
 * store on the same backend.
 *
 * Tests run concurrently (distinct keys), so the ~1.4 s waits for 1-second TTLs overlap and the
 * whole suite takes about two seconds per backend.
 */
import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, it } from 'vitest';

import type { Store } from '../../src/store/store.js';

export interface StoreUnderTest {
  store: Store;
  cleanup(): Promise<void>;
}

/** Wait that is safely past a 1-second TTL. */
const PAST_ONE_SECOND = 1400;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function runStoreContract(
  name: string,
  make: (prefix: string) => Promise<StoreUnderTest>,
): void {
  describe.concurrent(`Store contract: ${name}`, () => {
    const run = randomBytes(4).toString('hex');
    let subject: StoreUnderTest | undefined;
    const extra: StoreUnderTest[] = [];

    beforeAll(async () => {
      subject = await make(`jsgtest:${run}:`);
    }, 30_000);

    afterAll(async () => {
      await Promise.all([subject, ...extra].map((s) => s?.cleanup()));
    }, 30_000);

    const store = (): Store => {
      if (!subject) throw new Error('store was not created');
      return subject.store;
    };

    it('reports its kind', ({ expect }) => {
      expect(['memory', 'redis']).toContain(store().kind);
    });

    it('ping resolves while the backend is up', async ({ expect }) => {
      await expect(store().ping()).resolves.toBeUndefined();
    });

    it('put then get returns the value; missing keys are null', async ({ expect }) => {
      const s = store();
      await expect(s.put('pg:a', 'one', 60)).resolves.toBeUndefined();
      expect(await s.get('pg:a')).toBe('one');
      expect(await s.get('pg:missing')).toBeNull();

      await s.put('pg:a', 'two', 60);
      expect(await s.get('pg:a')).toBe('two');

      const json = JSON.stringify({ room: 'ärger', nested: { list: [1, 2, 3] }, quote: '"\n' });
      await s.put('pg:json', json, 60);
      expect(await s.get('pg:json')).toBe(json);

      await s.put('pg:empty', '', 60);
      expect(await s.get('pg:empty')).toBe('');

      const big = 'x'.repeat(64 * 1024);
      await s.put('pg:big', big, 60);
      expect(await s.get('pg:big')).toBe(big);
    });

    it('keys with separators, braces, spaces and non-ASCII work', async ({ expect }) => {
      const s = store();
      const keys = ['k:with:colons', 'k:{tag}:x', 'k with spaces', 'k:ärger:🙂', 'k:*?[]'];
      for (const [i, key] of keys.entries()) await s.put(key, `v${i}`, 60);
      for (const [i, key] of keys.entries()) expect(await s.get(key)).toBe(`v${i}`);
    });

    it('values expire after their TTL', async ({ expect }) => {
      const s = store();
      await s.put('ttl:short', 'gone soon', 1);
      await s.put('ttl:long', 'stays', 10);
      expect(await s.get('ttl:short')).toBe('gone soon');
      await sleep(PAST_ONE_SECOND);
      expect(await s.get('ttl:short')).toBeNull();
      expect(await s.take('ttl:short')).toBeNull();
      expect(await s.delete('ttl:short')).toBe(false);
      expect(await s.get('ttl:long')).toBe('stays');
    });

    it('replacing a value replaces its TTL (longer and shorter)', async ({ expect }) => {
      const s = store();
      await s.put('rep:extended', 'v1', 1);
      await s.put('rep:extended', 'v2', 10);
      await s.put('rep:shortened', 'v1', 10);
      await s.put('rep:shortened', 'v2', 1);
      await sleep(PAST_ONE_SECOND);
      expect(await s.get('rep:extended')).toBe('v2');
      expect(await s.get('rep:shortened')).toBeNull();
    });

    it('putIfAbsent stores only when absent and keeps the first value and TTL', async ({
      expect,
    }) => {
      const s = store();
      expect(await s.putIfAbsent('pia:a', 'first', 1)).toBe(true);
      expect(await s.putIfAbsent('pia:a', 'second', 10)).toBe(false);
      expect(await s.get('pia:a')).toBe('first');

      await s.put('pia:existing', 'put', 60);
      expect(await s.putIfAbsent('pia:existing', 'other', 60)).toBe(false);
      expect(await s.get('pia:existing')).toBe('put');

      await sleep(PAST_ONE_SECOND);
      // The refused call did not extend the TTL; once expired the key is absent again.
      expect(await s.get('pia:a')).toBeNull();
      expect(await s.putIfAbsent('pia:a', 'third', 10)).toBe(true);
      expect(await s.get('pia:a')).toBe('third');
    });

    it('putIfAbsent: of 50 concurrent callers exactly one wins', async ({ expect }) => {
      const s = store();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => s.putIfAbsent('pia:race', `v${i}`, 60)),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await s.get('pia:race')).toBe(`v${winners[0]}`);
    });

    it('take returns the value once and removes it', async ({ expect }) => {
      const s = store();
      await s.put('take:a', 'tx', 60);
      expect(await s.take('take:a')).toBe('tx');
      expect(await s.take('take:a')).toBeNull();
      expect(await s.get('take:a')).toBeNull();
      expect(await s.take('take:missing')).toBeNull();
      // The key can be used again afterwards.
      expect(await s.putIfAbsent('take:a', 'again', 60)).toBe(true);
      expect(await s.take('take:a')).toBe('again');
    });

    it('take: of 50 concurrent callers exactly one gets the value', async ({ expect }) => {
      const s = store();
      for (let round = 0; round < 3; round++) {
        const key = `take:race:${round}`;
        await s.put(key, `login-${round}`, 60);
        const results = await Promise.all(Array.from({ length: 50 }, () => s.take(key)));
        const values = results.filter((v) => v !== null);
        expect(values).toEqual([`login-${round}`]);
        expect(await s.get(key)).toBeNull();
      }
    });

    it('replace swaps the value of an existing key and returns the old one; an absent key stays absent', async ({ expect }) => {
      const s = store();
      await s.put('repl:a', 'tx', 60);
      expect(await s.replace('repl:a', 'used', 60)).toBe('tx');
      expect(await s.get('repl:a')).toBe('used');
      expect(await s.replace('repl:a', 'used', 60)).toBe('used');
      // Nothing is stored for a key that does not exist (no marker for made-up ids).
      expect(await s.replace('repl:missing', 'used', 60)).toBeNull();
      expect(await s.get('repl:missing')).toBeNull();
      await expect(s.replace('repl:a', 'v', 0)).rejects.toBeInstanceOf(RangeError);
    });

    it('replace sets the new TTL (shorter here) and finds nothing once the key expired', async ({ expect }) => {
      const s = store();
      await s.put('repl:ttl', 'long', 60);
      expect(await s.replace('repl:ttl', 'short', 1)).toBe('long');
      await s.put('repl:gone', 'soon', 1);
      await sleep(PAST_ONE_SECOND);
      expect(await s.get('repl:ttl')).toBeNull();
      expect(await s.replace('repl:gone', 'late', 60)).toBeNull();
      expect(await s.get('repl:gone')).toBeNull();
    });

    it('replace: of 50 concurrent callers exactly one gets the original value', async ({ expect }) => {
      const s = store();
      for (let round = 0; round < 3; round++) {
        const key = `repl:race:${round}`;
        await s.put(key, `login-${round}`, 60);
        const results = await Promise.all(Array.from({ length: 50 }, () => s.replace(key, 'used', 60)));
        expect(results.filter((v) => v !== 'used')).toEqual([`login-${round}`]);
        expect(await s.get(key)).toBe('used');
      }
    });

    it('delete reports whether the key existed', async ({ expect }) => {
      const s = store();
      await s.put('del:a', 'v', 60);
      expect(await s.delete('del:a')).toBe(true);
      expect(await s.get('del:a')).toBeNull();
      expect(await s.delete('del:a')).toBe(false);
      expect(await s.delete('del:never')).toBe(false);
    });

    it('increment counts from 1', async ({ expect }) => {
      const s = store();
      expect(await s.increment('inc:a', 60)).toBe(1);
      expect(await s.increment('inc:a', 60)).toBe(2);
      expect(await s.increment('inc:a', 60)).toBe(3);
      expect(await s.increment('inc:b', 60)).toBe(1);
    });

    it('increment uses a fixed window: later increments do not extend the TTL', async ({
      expect,
    }) => {
      const s = store();
      expect(await s.increment('inc:window', 1)).toBe(1);
      expect(await s.increment('inc:window', 10)).toBe(2);
      expect(await s.increment('inc:window', 10)).toBe(3);
      await sleep(PAST_ONE_SECOND);
      // The window of the first increment (1 s) ended: a new window starts at 1.
      expect(await s.increment('inc:window', 10)).toBe(1);
    });

    it('increment: 100 concurrent increments yield 1..100, each once', async ({ expect }) => {
      const s = store();
      const values = await Promise.all(
        Array.from({ length: 100 }, () => s.increment('inc:race', 60)),
      );
      expect([...values].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expect(await s.increment('inc:race', 60)).toBe(101);
    });

    it('index: add, members, remove', async ({ expect }) => {
      const s = store();
      expect(await s.indexMembers('idx:a')).toEqual([]);
      await s.indexAdd('idx:a', 'session-1', 60);
      await s.indexAdd('idx:a', 'session-2', 60);
      await s.indexAdd('idx:a', 'session-1', 60); // a set: no duplicates
      expect((await s.indexMembers('idx:a')).sort()).toEqual(['session-1', 'session-2']);

      await s.indexRemove('idx:a', 'session-1');
      expect(await s.indexMembers('idx:a')).toEqual(['session-2']);
      await s.indexRemove('idx:a', 'not-a-member');
      await s.indexRemove('idx:missing', 'x');
      expect(await s.indexMembers('idx:a')).toEqual(['session-2']);
      await s.indexRemove('idx:a', 'session-2');
      expect(await s.indexMembers('idx:a')).toEqual([]);

      // Indexes are separate from each other.
      await s.indexAdd('idx:b', 'other', 60);
      expect(await s.indexMembers('idx:a')).toEqual([]);
      expect(await s.indexMembers('idx:b')).toEqual(['other']);
    });

    it('index: the set expires; adding again resets its TTL', async ({ expect }) => {
      const s = store();
      await s.indexAdd('idx:ttl', 'a', 1);
      await s.indexAdd('idx:reset', 'a', 1);
      await s.indexAdd('idx:reset', 'b', 10);
      await sleep(PAST_ONE_SECOND);
      expect(await s.indexMembers('idx:ttl')).toEqual([]);
      expect((await s.indexMembers('idx:reset')).sort()).toEqual(['a', 'b']);
    });

    it('index: 50 concurrent adds all land', async ({ expect }) => {
      const s = store();
      await Promise.all(Array.from({ length: 50 }, (_, i) => s.indexAdd('idx:race', `m${i}`, 60)));
      const members = await s.indexMembers('idx:race');
      expect(members).toHaveLength(50);
      expect(new Set(members)).toEqual(new Set(Array.from({ length: 50 }, (_, i) => `m${i}`)));
    });

    it('invalid TTLs are rejected with RangeError and store nothing', async ({ expect }) => {
      const s = store();
      for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(s.put('bad:ttl', 'v', ttl)).rejects.toBeInstanceOf(RangeError);
        await expect(s.putIfAbsent('bad:ttl', 'v', ttl)).rejects.toBeInstanceOf(RangeError);
        await expect(s.increment('bad:ttl:counter', ttl)).rejects.toBeInstanceOf(RangeError);
        await expect(s.indexAdd('bad:ttl:index', 'm', ttl)).rejects.toBeInstanceOf(RangeError);
      }
      expect(await s.get('bad:ttl')).toBeNull();
      expect(await s.increment('bad:ttl:counter', 60)).toBe(1);
      expect(await s.indexMembers('bad:ttl:index')).toEqual([]);
    });

    it('stores with different prefixes on the same backend do not see each other', async ({
      expect,
    }) => {
      const a = await make(`jsgtest:${run}:iso-a:`);
      extra.push(a);
      const b = await make(`jsgtest:${run}:iso-b:`);
      extra.push(b);

      await a.store.put('shared', 'from-a', 60);
      expect(await b.store.get('shared')).toBeNull();
      expect(await b.store.putIfAbsent('shared', 'from-b', 60)).toBe(true);
      expect(await a.store.get('shared')).toBe('from-a');
      expect(await b.store.take('shared')).toBe('from-b');
      expect(await a.store.get('shared')).toBe('from-a');
      expect(await b.store.delete('shared')).toBe(false);
      expect(await a.store.delete('shared')).toBe(true);

      expect(await a.store.increment('counter', 60)).toBe(1);
      expect(await a.store.increment('counter', 60)).toBe(2);
      expect(await b.store.increment('counter', 60)).toBe(1);

      await a.store.indexAdd('index', 'a-member', 60);
      expect(await b.store.indexMembers('index')).toEqual([]);
      await b.store.indexAdd('index', 'b-member', 60);
      expect(await a.store.indexMembers('index')).toEqual(['a-member']);

      // And neither sees the main store's keys (a third prefix on the same backend).
      await store().put('iso:main', 'main', 60);
      expect(await a.store.get('iso:main')).toBeNull();
      expect(await b.store.get('iso:main')).toBeNull();
    });
  });
}
