import type { ProviderFactory } from '../registry.js';
import { OidcProvider } from './provider.js';
import { oidcProviderSchema } from './settings.js';

export { OidcProvider } from './provider.js';
export type { OidcProviderDeps } from './provider.js';
export { oidcProviderSchema, CLIENT_AUTH_METHODS } from './settings.js';
export type { OidcProviderSettings, OidcProviderInput, ClientAuthMethod } from './settings.js';
export { resolveMetadata, discoveryUrlFor } from './discovery.js';
export { verifyLogoutToken, logoutTokenFromBody, BACKCHANNEL_LOGOUT_EVENT } from './logout-token.js';

/** The `oidc` provider kind, listed in src/idp/kinds.ts (imported only when a provider uses it). */
export const createProvider: ProviderFactory = async (name, settings, deps) => {
  const parsed = oidcProviderSchema.safeParse(settings);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(provider)'}: ${issue.message}`).join('; ');
    throw new Error(`providers.${name}: ${problems}`);
  }
  return OidcProvider.create(name, parsed.data, { log: deps.logger });
};
