import type { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { IdentityProvider } from './provider.js';

/**
 * The provider registry: what a provider kind is, and how the configured providers are built from
 * the kinds. A kind owns its settings schema (zod only, light: loaded with the configuration, which
 * composes the schemas in src/config/providers.ts) and its implementation, imported only when a
 * configured provider uses the kind. The kinds this build ships are listed in src/idp/kinds.ts.
 */

/** What a kind knows of the gateway around it. */
export interface ProviderHost {
  /** The gateway's public base URL (no trailing slash). */
  publicUrl: string;
}

export interface ProviderDeps {
  config: ProviderHost;
  logger: Logger;
  /** The gateway's metrics, for a kind's own counters (SAML metadata refresh failures). */
  metrics?: Metrics;
}

/** Builds one provider from its settings; one factory per kind (oidc, cas, saml, dev). */
export type ProviderFactory = (name: string, settings: Record<string, unknown>, deps: ProviderDeps) => Promise<IdentityProvider>;

/** Imports a kind's implementation (so its dependencies load only when a provider uses the kind). */
export type ProviderLoader = () => Promise<ProviderFactory>;

/** One provider kind: the schema of its settings (`kind: <name>` discriminates) and its implementation. */
export interface ProviderKind<Settings extends z.ZodObject = z.ZodObject> {
  readonly settings: Settings;
  /** Absent for a kind whose implementation the composition root supplies (the demo's `dev`). */
  readonly load?: ProviderLoader;
}

/** The settings schemas of `kinds`, in order, typed one by one (what z.discriminatedUnion takes). */
export function kindSettings<const Kinds extends readonly [ProviderKind, ...ProviderKind[]]>(kinds: Kinds): { -readonly [I in keyof Kinds]: Kinds[I]['settings'] } {
  return kinds.map((kind) => kind.settings) as { -readonly [I in keyof Kinds]: Kinds[I]['settings'] };
}

/** The loaders of `kinds`, by kind name, with `extra` (implementations supplied from above idp) added. */
export function providerLoaders(kinds: readonly ProviderKind[], extra: Readonly<Record<string, ProviderLoader>> = {}): Map<string, ProviderLoader> {
  const loaders = new Map<string, ProviderLoader>();
  for (const kind of kinds) if (kind.load) loaders.set(kindName(kind), kind.load);
  for (const [name, load] of Object.entries(extra)) loaders.set(name, load);
  return loaders;
}

/** The value of a kind's `kind` literal. */
export function kindName(kind: ProviderKind): string {
  const literal = kind.settings.shape.kind as z.ZodLiteral<string> | undefined;
  if (literal === undefined) throw new Error('a provider kind\'s settings need a `kind` literal');
  return literal.value;
}

export async function createProviders(
  providers: Readonly<Record<string, { kind: string }>>,
  loaders: ReadonlyMap<string, ProviderLoader>,
  deps: ProviderDeps,
): Promise<Map<string, IdentityProvider>> {
  const created = new Map<string, IdentityProvider>();
  for (const [name, settings] of Object.entries(providers)) {
    const load = loaders.get(settings.kind);
    if (!load) throw new Error(`providers.${name}: provider kind "${settings.kind}" is not available in this build`);
    const factory = await load();
    created.set(name, await factory(name, settings as Record<string, unknown>, { config: deps.config, logger: deps.logger.child({ provider: name }), ...(deps.metrics ? { metrics: deps.metrics } : {}) }));
  }
  return created;
}
