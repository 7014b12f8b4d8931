import { z } from 'zod';

/**
 * The gate in front of Jitsi (src/gate/, docs/jitsi.md "A gate in front of every Jitsi
 * component"): a forward-auth check for the reverse proxy in front of each Jitsi host. Absent: no
 * gate routes at all.
 */
export const gateSchema = z
  .strictObject({
    /**
     * Key of the gate pass cookie's HMAC, the same on every replica (at least 32 random bytes;
     * cookieSecretFile to read it from a mounted Secret). Changing it voids every pass: browsers get
     * a new one through the sign-in, without the IdP while their gateway session lasts.
     */
    cookieSecret: z.string().optional(),
    /** Base name of the pass cookie on the Jitsi host; the target's name is appended (`jsg_gate_meet`). */
    cookieName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or -').default('jsg_gate'),
    /**
     * How long the check trusts a pass cookie without asking the store, in seconds: the bound
     * within which a logout or a revoked session stops passing the gate.
     */
    recheckSeconds: z.number().int().min(5).max(900).default(60),
  })
  .optional();
export type GateConfig = NonNullable<z.infer<typeof gateSchema>>;
