import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * Random values for cookies, transaction ids, PKCE verifiers and nonces, from the same CSPRNG as
 * crypto.randomBytes, drawn from a pool refilled 4 KiB at a time (what Node's own randomUUID does):
 * a synchronous randomBytes call costs several microseconds of fixed overhead, several of them run
 * per login. Every byte is handed out once and zeroed in the pool as soon as it has been encoded.
 */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_SIZE);
let offset = POOL_SIZE;

/** `bytes` fresh random bytes (at most 256), base64url-encoded. */
export function randomBase64url(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes <= 0) throw new RangeError('randomBase64url: a positive whole number of bytes');
  if (bytes > 256) return randomBytes(bytes).toString('base64url');
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const end = offset + bytes;
  const value = pool.toString('base64url', offset, end);
  pool.fill(0, offset, end);
  offset = end;
  return value;
}
