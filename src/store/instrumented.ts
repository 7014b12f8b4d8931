import type { Store } from './store.js';

/** Called once per store operation with its name, duration in seconds and outcome. */
export type StoreObserver = (op: string, seconds: number, ok: boolean) => void;

type Operation = Exclude<keyof Store, 'kind'>;

const OPERATIONS = [
  'put',
  'putIfAbsent',
  'get',
  'take',
  'replace',
  'delete',
  'increment',
  'indexAdd',
  'indexMembers',
  'indexRemove',
  'ping',
  'close',
] as const satisfies readonly Operation[];

/**
 * Wraps a store so that every operation is timed (monotonic clock) and reported to `observe`, e.g.
 * a Prometheus histogram labelled by operation and outcome. Results and errors pass through
 * unchanged; an observer that throws never breaks the operation.
 */
export function instrumentStore(store: Store, observe: StoreObserver): Store {
  const timed = <A extends unknown[], R>(op: Operation, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      // performance.now(): the same monotonic clock as hrtime, without two BigInts per operation.
      const started = performance.now();
      let ok = false;
      try {
        const result = await fn.apply(store, args);
        ok = true;
        return result;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        try {
          observe(op, seconds, ok);
        } catch {
          // Metrics must never turn a successful operation into a failure.
        }
      }
    };

  const wrapped = { kind: store.kind } as { -readonly [K in keyof Store]: Store[K] };
  for (const op of OPERATIONS) {
    (wrapped as Record<Operation, unknown>)[op] = timed(
      op,
      store[op] as (...args: unknown[]) => Promise<unknown>,
    );
  }
  return wrapped;
}
