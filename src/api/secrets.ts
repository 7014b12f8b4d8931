import { createHash, hash as oneShotHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * API client secrets are configured as hashes, never as the secret:
 * - `sha256:<hex>`: SHA-256 of the secret; right for long random secrets (openssl rand -base64 32),
 *   which is what API clients should get. Cheap to verify on every request.
 * - `scrypt:<N>:<r>:<p>:<salt>:<hash>` (base64url): for secrets a person chose. Verified once per
 *   process and secret, then remembered as a SHA-256 digest so the hot path stays cheap.
 * Every comparison is constant-time.
 */
export type SecretHash =
  | { kind: 'sha256'; digest: Buffer }
  | { kind: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer };

/** Longest secret accepted from a request (before any hashing). */
export const MAX_SECRET_LENGTH = 512;

export function parseSecretHash(text: string): SecretHash {
  const parts = text.trim().split(':');
  if (parts[0] === 'sha256' && parts.length === 2 && /^[0-9a-f]{64}$/.test(parts[1] ?? '')) {
    return { kind: 'sha256', digest: Buffer.from(parts[1] ?? '', 'hex') };
  }
  if (parts[0] === 'scrypt' && parts.length === 6) {
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    const salt = Buffer.from(parts[4] ?? '', 'base64url');
    const hash = Buffer.from(parts[5] ?? '', 'base64url');
    const powerOfTwo = Number.isInteger(N) && N >= 1024 && N <= 2 ** 20 && (N & (N - 1)) === 0;
    if (powerOfTwo && r >= 1 && r <= 32 && p >= 1 && p <= 16 && salt.length >= 8 && hash.length >= 16) {
      return { kind: 'scrypt', N, r, p, salt, hash };
    }
  }
  throw new Error('secret hash must be sha256:<hex> or scrypt:<N>:<r>:<p>:<salt>:<hash> (N a power of two ≥ 1024)');
}

/** SHA-256 of a string (crypto.hash where the runtime has it: about twice as fast as createHash). */
export const sha256: (secret: string) => Buffer =
  typeof oneShotHash === 'function'
    ? (secret) => oneShotHash('sha256', secret, 'buffer')
    : (secret) => createHash('sha256').update(secret, 'utf8').digest();

function scrypt(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const scryptOptions = (hash: Extract<SecretHash, { kind: 'scrypt' }>): ScryptOptions => ({
  N: hash.N,
  r: hash.r,
  p: hash.p,
  maxmem: 256 * hash.N * hash.r + 1024 * 1024,
});

/** Constant-time check of a presented secret against a configured hash. */
export async function verifySecret(secret: string, hash: SecretHash): Promise<boolean> {
  if (secret.length === 0 || secret.length > MAX_SECRET_LENGTH) return false;
  if (hash.kind === 'sha256') return timingSafeEqual(sha256(secret), hash.digest);
  const derived = await scrypt(secret, hash.salt, hash.hash.length, scryptOptions(hash));
  return timingSafeEqual(derived, hash.hash);
}

/** The value for `secretHash` in the config (used by docs, tests and operators' scripts). */
export async function hashApiSecret(secret: string, kind: 'sha256' | 'scrypt' = 'sha256'): Promise<string> {
  if (kind === 'sha256') return `sha256:${sha256(secret).toString('hex')}`;
  const salt = randomBytes(16);
  const params = { kind: 'scrypt' as const, N: 16384, r: 8, p: 1, salt, hash: Buffer.alloc(32) };
  const hash = await scrypt(secret, salt, 32, scryptOptions(params));
  return `scrypt:${params.N}:${params.r}:${params.p}:${salt.toString('base64url')}:${hash.toString('base64url')}`;
}

/** A new random API secret (32 bytes, base64url). */
export function generateApiSecret(): string {
  return randomBytes(32).toString('base64url');
}
