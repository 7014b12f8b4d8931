import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { IdentityProvider } from './provider.js';

export interface ProviderDeps {
  config: Config;
  logger: Logger;
  /** The gateway's metrics, for a kind's own counters (SAML metadata refresh failures). */
  metrics?: Metrics;
}

/** Builds one provider from its settings; one factory per kind (oidc, cas, saml, dev). */
export type ProviderFactory = (name: string, settings: Record<string, unknown>, deps: ProviderDeps) => Promise<IdentityProvider>;

const factories = new Map<string, () => Promise<ProviderFactory>>();

/** Provider kinds register here (lazy, so a kind's dependencies load only when used). */
export function registerProviderKind(kind: string, load: () => Promise<ProviderFactory>): void {
  factories.set(kind, load);
}

export async function createProviders(config: Config, logger: Logger, metrics?: Metrics): Promise<Map<string, IdentityProvider>> {
  const providers = new Map<string, IdentityProvider>();
  for (const [name, settings] of Object.entries(config.providers)) {
    const load = factories.get(settings.kind);
    if (!load) throw new Error(`providers.${name}: provider kind "${settings.kind}" is not available in this build`);
    const factory = await load();
    providers.set(name, await factory(name, settings as Record<string, unknown>, { config, logger: logger.child({ provider: name }), ...(metrics ? { metrics } : {}) }));
  }
  return providers;
}
