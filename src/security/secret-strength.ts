import { deflateRawSync } from 'node:zlib';

/**
 * Whether a shared secret an operator configured (a target's HS app_secret, the gate's cookie key)
 * looks random enough to sign with: checked when the configuration loads (src/tokens/checks.ts,
 * src/config/checks.ts), so a weak one refuses start-up with the reason.
 */

/** Minimum HS secret length: 32 bytes (256 bits), as for HS256 keys in RFC 7518 §3.2. */
export const MIN_SECRET_BYTES = 32;

const KNOWN_WEAK = [
  'changeme', 'change-me', 'secret', 'password', 'jitsi', 'my_jitsi_app_secret', 'example', 'default', 'please-change',
];

/** Why a shared secret is too weak, or undefined when it is acceptable. */
export function secretWeakness(secret: string): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) return `is ${bytes} bytes long; at least ${MIN_SECRET_BYTES} random bytes are required`;
  const lower = secret.toLowerCase();
  if (KNOWN_WEAK.some((weak) => lower.replaceAll(/[^a-z_-]/g, '').startsWith(weak) && lower.length < 48)) {
    return 'looks like a default or example value';
  }
  if (new Set(secret).size < 10) return 'has too few distinct characters to be random';
  return patternWeakness(secret);
}

/**
 * Patterned secrets that are long enough and have enough distinct characters: a block repeated
 * (`<16 characters>` four times, `passwordpassword…`), or a run through the alphabet
 * (`abc…XYZ0…9`). Two estimates: how far DEFLATE compresses the secret (repetition compresses; 32
 * random bytes in base64 or hex stay above 40 bytes), and how many neighbouring characters are
 * consecutive (about 3 % in base64, 12 % in hex, nearly all in a run).
 */
function patternWeakness(secret: string): string | undefined {
  const compressed = deflateRawSync(Buffer.from(secret, 'utf8'), { level: 9 }).length;
  if (compressed < MIN_SECRET_BYTES) {
    return `is patterned: it compresses to ${compressed} bytes (repeated blocks or words), far less than ${MIN_SECRET_BYTES} random bytes`;
  }
  let steps = 0;
  for (let i = 1; i < secret.length; i += 1) if (Math.abs(secret.charCodeAt(i) - secret.charCodeAt(i - 1)) === 1) steps += 1;
  if (steps > 0.4 * (secret.length - 1)) return 'is patterned: mostly runs of consecutive characters (abc…, 123…), not random';
  return undefined;
}
