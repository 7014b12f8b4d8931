/**
 * How many slow secret hashes (scrypt) may run at once in this process. scrypt runs on libuv's
 * thread pool (4 threads by default), which also serves DNS lookups, file reads and other crypto:
 * a flood of wrong secrets that occupied every thread made a CAS login on the same process wait
 * for its DNS lookup until it timed out. Hashing beyond the limit is refused at once (the caller
 * answers 429), never queued, so the pool always keeps threads for everything else.
 */
export class HashGate {
  private running = 0;

  constructor(readonly limit: number) {}

  /** A release function when a slot is free, else undefined (refuse the request). */
  tryEnter(): (() => void) | undefined {
    if (this.running >= this.limit) return undefined;
    this.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
    };
  }

  get inUse(): number {
    return this.running;
  }
}

/** One gate per process: the thread pool it protects is per process too. */
export const SECRET_HASHING = new HashGate(2);
