/**
 * The provider kinds this build ships, registered lazily with the provider registry. Each kind's
 * module exports a ProviderFactory as `createProvider`.
 */
import { registerProviderKind } from './registry.js';

registerProviderKind('oidc', async () => (await import('./oidc/index.js')).createProvider);
/** The demo's built-in development IdP (an embedded oidc-provider); refuses to run outside mode: demo. */
registerProviderKind('dev', async () => (await import('../demo/idp/kind.js')).createProvider);
registerProviderKind('cas', async () => (await import('./cas/index.js')).createProvider);
registerProviderKind('saml', async () => (await import('./saml/index.js')).createProvider);
