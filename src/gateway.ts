import type Koa from 'koa';
import type { LoadedConfig } from './config/load.js';
import { createApp, type RouteFactory } from './http/app.js';
import { Drain } from './http/drain.js';
import { EarlyRoutes } from './http/early.js';
import { FixedAnswers } from './http/fixed-answers.js';
import { keyRoutes, publishedKeys } from './http/routes/keys.js';
import { PROVIDER_KINDS } from './idp/kinds.js';
import { createProviders, providerLoaders } from './idp/registry.js';
import { Audit } from './observability/audit.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import type { PageRenderer } from './pages/renderer.js';
import { createPages } from './pages/pages.js';
import { pageRoutes } from './pages/routes.js';
import { PAGE_SCRIPT_HASHES } from './pages/scripts.js';
import type { Policy } from './policy/policy.js';
import { createPolicy } from './policy/engine.js';
import { apiRoutes } from './api/routes.js';
import { inviteManagerRoutes } from './api/invite-manager.js';
import { loggablePath } from './invites/reference.js';
import { inviteRoutes } from './invites/routes.js';
import { LoginStartLimiter } from './login/login-starts.js';
import { callbackEarly, loginRoutes, loginStartEarly } from './login/routes.js';
import type { ReadinessCheck } from './observability/readiness.js';
import type { Services } from './services.js';
import { createStores } from './store/factory.js';
import type { Store } from './store/store.js';
import { createTargets } from './tokens/targets.js';
import { tokenServiceRoutes } from './token-service/routes.js';
import { TokenService } from './token-service/service.js';
import { Gate } from './gate/gate.js';
import { gateCheck } from './gate/check.js';
import { gateRoutes } from './gate/routes.js';

/**
 * The features of the gateway, in the order their routes are tried. Each is a RouteFactory:
 * request → provider → identity → policy → token → redirect lives in src/login/.
 */
const FEATURES: RouteFactory<Services>[] = [keyRoutes, apiRoutes, inviteRoutes, inviteManagerRoutes, pageRoutes, loginRoutes, tokenServiceRoutes];

export interface Gateway {
  app: Koa;
  /** The published keys, answered before Koa (src/http/fixed-answers.ts). */
  answers: FixedAnswers;
  /** Routes the listener answers before Koa (src/http/early.ts): the login start and the callbacks. */
  early?: EarlyRoutes;
  services: Services;
  close(): Promise<void>;
}

export interface GatewayOptions {
  logger?: Logger;
  /** Use this store instead of the configured one (tests). */
  store?: Store;
  pages?: PageRenderer;
  policy?: Policy;
  /** Extra route factories (the demo's stand-in Jitsi page, tests). */
  extraFeatures?: RouteFactory<Services>[];
}

/** The composition root: config in, a ready-to-listen Koa app and its services out. */
export async function createGateway(loaded: LoadedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const { config } = loaded;
  const logger = options.logger ?? createLogger(config.log.level);
  for (const warning of loaded.warnings) logger.warn({ config: loaded.source }, warning);
  const metrics = new Metrics({ defaultMetrics: true });
  // A store given by a test serves all three kinds of state.
  const stores = options.store ? { store: options.store, replicated: options.store, counters: options.store } : await createStores(config.store, logger, metrics);
  const store = stores.store;
  const targets = createTargets(config);
  metrics.describeKeys(Object.entries(config.targets).map(([name, target]) => ({ name, keys: target.algorithm.startsWith('RS') ? target.keys : [] })));
  const defaultTarget = targets.get(config.defaultTarget ?? '') ?? [...targets.values()][0];
  if (!defaultTarget) throw new Error('no Jitsi target configured');
  // The demo's development IdP (kind dev) reads the whole configuration, so it is supplied here;
  // like every kind, its implementation is imported only when a provider uses it.
  const loaders = providerLoaders(PROVIDER_KINDS, { dev: async () => (await import('./demo/idp/kind.js')).devProviderFactory(config) });
  const providers = await createProviders(config.providers, loaders, { config, logger, metrics });
  const publicUrl = config.publicUrl;
  const basePath = new URL(publicUrl).pathname.replace(/\/+$/, '');

  const drain = new Drain();
  metrics.watchProviders(providers);
  const readiness: ReadinessCheck[] = [
    {
      name: 'store',
      async check() {
        await store.ping();
        return { ok: true, detail: store.kind };
      },
    },
    {
      name: 'keys',
      async check() {
        const loadedTargets = [...targets.values()].filter((target) => target.signer !== undefined).length;
        return { ok: loadedTargets === targets.size, detail: `${loadedTargets}/${targets.size} targets can sign` };
      },
    },
    {
      name: 'shutdown',
      async check() {
        return { ok: !drain.active, detail: drain.describe() };
      },
    },
    // Identity providers are not readiness checks (src/observability/readiness.ts): an unreachable IdP
    // makes its own sign-in answer "unavailable" (and jsg_identity_provider_up 0), nothing more.
  ];

  const services: Services = {
    config,
    publicUrl,
    basePath,
    logger,
    metrics,
    audit: new Audit(logger, metrics),
    store,
    replicatedStore: stores.replicated,
    counterStore: stores.counters,
    targets,
    defaultTarget,
    providers,
    policy: options.policy ?? createPolicy(config, stores.replicated, logger),
    pages: options.pages ?? createPages(config.ui, { basePath }),
    loginStarts: new LoginStartLimiter(config.session.loginStartsPerMinute),
    tokenService: new TokenService(config, targets.values(), logger),
    readiness,
    drain,
    pageScriptHashes: PAGE_SCRIPT_HASHES,
    loggablePath,
  };
  // The gate in front of Jitsi (docs/jitsi.md): its check answers before routing, on every proxied request.
  const gate = config.gate ? new Gate(services, config.gate) : undefined;
  const early = new EarlyRoutes(services, [loginStartEarly(services), ...callbackEarly(services)]);
  const answers = new FixedAnswers(services.metrics.httpRequests, publishedKeys(services));
  const app = createApp(
    services,
    answers,
    [...FEATURES, ...(gate ? [gateRoutes(gate)] : []), ...(options.extraFeatures ?? [])],
    gate ? [gateCheck(gate)] : [],
    early.observer,
  );

  return {
    app,
    answers,
    early,
    services,
    async close() {
      await Promise.allSettled([...providers.values()].map((provider) => provider.close?.()));
      await store.close();
    },
  };
}
