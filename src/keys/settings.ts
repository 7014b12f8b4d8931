import { z } from 'zod';

/** One RS* key of a Jitsi target's keyring (`targets.<name>.keys`); src/keys/keyring.ts reads and checks them. */
export const keySchema = z.strictObject({
  /** Key id, in the token header; a new key always gets a new kid (Prosody caches keys per kid forever). */
  kid: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'must use only letters, digits and . _ : -'),
  /**
   * next: published, not signing yet (publish before use); active: signs new tokens (exactly one);
   * retiring: published, no longer signing (keep until every token it signed has expired).
   */
  status: z.enum(['next', 'active', 'retiring']),
  /** PKCS#8 PEM (RS*). */
  privateKey: z.string().optional(),
  /** SPKI PEM (or publicKeyFile); derived from privateKey when absent (a `retiring` key may keep only its public key). */
  publicKey: z.string().optional(),
});
export type KeyConfig = z.infer<typeof keySchema>;
