import { z } from 'zod';
import { casProviderSchema } from './cas/settings.js';
import { oidcProviderSchema } from './oidc/settings.js';
import type { ProviderKind } from './registry.js';
import { samlProviderSchema } from './saml/settings.js';

/**
 * The provider kinds this build ships, in the order messages name them. Adding a kind is one entry
 * here: src/config/providers.ts composes `providers` from these settings schemas. Each kind's
 * implementation (SAML: node-saml, xml-crypto, xmldom, fast-xml-parser and its worker; CAS:
 * fast-xml-parser; OIDC: openid-client) is imported only when a configured provider uses it.
 */

/**
 * `dev`: the demo's development IdP (src/demo/idp/kind.ts). It serves its own pages and reads the
 * whole configuration, so its implementation lives above idp and the composition root supplies it
 * (src/gateway.ts); the configuration accepts these settings, the kind checks them strictly when
 * it starts.
 */
const devProviderSettings = z.looseObject({
  kind: z.literal('dev'),
  displayName: z.string().optional(),
  preset: z.string().optional(),
});

export const PROVIDER_KINDS = [
  { settings: oidcProviderSchema, load: async () => (await import('./oidc/index.js')).createProvider },
  { settings: casProviderSchema, load: async () => (await import('./cas/index.js')).createProvider },
  { settings: samlProviderSchema, load: async () => (await import('./saml/index.js')).createProvider },
  { settings: devProviderSettings },
] as const satisfies readonly ProviderKind[];
