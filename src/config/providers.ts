import { z } from 'zod';

/**
 * Identity providers (name → settings). Each kind adds its own strict schema here; the OIDC and CAS
 * flows own those definitions. `kind` selects the implementation in src/idp/.
 */
export const providerSchema = z.looseObject({
  kind: z.enum(['oidc', 'cas', 'dev']),
  /** Shown on the provider chooser. */
  displayName: z.string().optional(),
  /** A preset from providers/ (keycloak, entra-id, ...) whose defaults apply under these settings. */
  preset: z.string().optional(),
});

export const providersSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'provider names must be lowercase letters, digits, dashes'), providerSchema)
  .default({});
