import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

// prom-client's entry module requires its default metrics eagerly, and with them
// @opentelemetry/api (some 50 modules): ~20 ms of CPU at every start-up, before the first
// scrape needs any of it. The four classes the gateway declares its metrics with are taken from
// their own modules (the same module instances the entry module exports, so a kind that imports
// 'prom-client' registers on these registries alike); the defaults load at the first scrape.
const require = createRequire(import.meta.url);
const Registry = require('prom-client/lib/registry') as typeof PromClient.Registry;
const Counter = require('prom-client/lib/counter') as typeof PromClient.Counter;
const Gauge = require('prom-client/lib/gauge') as typeof PromClient.Gauge;
const Histogram = require('prom-client/lib/histogram') as typeof PromClient.Histogram;
type Counter<T extends string> = PromClient.Counter<T>;
type Histogram<T extends string> = PromClient.Histogram<T>;

/**
 * A registry that registers the Node.js and process metrics (prom-client's defaults) when it is
 * first read, so their module graph is not loaded at start-up. Cumulative ones (CPU seconds,
 * start time, memory) are the process's own from its start either way; event-loop lag and GC
 * durations are observed from the first scrape on.
 */
class GatewayRegistry extends Registry {
  private defaults: Promise<void> | undefined;

  constructor(private readonly withDefaults: boolean) {
    super();
  }

  override async metrics(): Promise<string> {
    if (this.withDefaults) await (this.defaults ??= import('prom-client').then(({ collectDefaultMetrics }) => collectDefaultMetrics({ register: this })));
    return super.metrics();
  }
}

/**
 * Prometheus metrics of one gateway instance, on its own registry (several gateways can live in
 * one test process). Names follow Prometheus conventions; label values are bounded (route
 * templates, not paths; error codes, not messages). The gateway's own metrics are prefixed
 * `jsg_`; the Node.js and process metrics keep the names every dashboard and alert expects
 * (`process_*`, `nodejs_*`).
 */
export class Metrics {
  readonly registry: PromClient.Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly tokensIssued: Counter<'target' | 'role' | 'provider'>;
  readonly storeDuration: Histogram<'operation' | 'backend' | 'outcome'>;
  readonly errors: Counter<'kind'>;
  /** Sign-ins that could not start or finish because the provider was unreachable. */
  readonly providerUnavailable: Counter<'provider'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.registry = new GatewayRegistry(options.defaultMetrics ?? false);
    const registers = [this.registry];
    this.httpRequests = new Counter({ name: 'jsg_http_requests_total', help: 'HTTP requests by route template, method and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'jsg_http_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.tokensIssued = new Counter({ name: 'jsg_tokens_issued_total', help: 'Jitsi tokens issued by target, role and provider', labelNames: ['target', 'role', 'provider'], registers });
    this.storeDuration = new Histogram({
      name: 'jsg_store_operation_duration_seconds',
      help: 'State store operation latency',
      labelNames: ['operation', 'backend', 'outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.errors = new Counter({ name: 'jsg_errors_total', help: 'Rejected requests and failures by kind (error code)', labelNames: ['kind'], registers });
    this.providerUnavailable = new Counter({ name: 'jsg_identity_provider_unavailable_total', help: 'Sign-ins refused because the identity provider could not be reached, by provider', labelNames: ['provider'], registers });
  }

  /**
   * jsg_signing_key_info{target,kid,status} = 1 for every RS* key the gateway publishes, so an
   * alert can see a key left `retiring` long after every token it signed has expired, or replicas
   * that disagree on the active key.
   */
  describeKeys(targets: Iterable<{ name: string; keys: ReadonlyArray<{ kid: string; status: string }> }>): void {
    const gauge = new Gauge({ name: 'jsg_signing_key_info', help: 'Published signing keys by target, kid and status (always 1)', labelNames: ['target', 'kid', 'status'], registers: [this.registry] });
    for (const target of targets) for (const key of target.keys) gauge.set({ target: target.name, kid: key.kid, status: key.status }, 1);
  }

  /**
   * jsg_identity_provider_up{provider}: 1 while the provider can serve sign-ins (its metadata is
   * loaded), read at every scrape. Providers are not readiness checks; this is what alerts watch.
   */
  watchProviders(providers: ReadonlyMap<string, { readonly name: string; ready(): Promise<{ ok: boolean }> }>): void {
    new Gauge({
      name: 'jsg_identity_provider_up',
      help: 'Whether the identity provider can serve sign-ins now (1) or not (0)',
      labelNames: ['provider'],
      registers: [this.registry],
      async collect() {
        await Promise.all(
          [...providers.values()].map(async (provider) => {
            const ok = await provider.ready().then((status) => status.ok, () => false);
            this.set({ provider: provider.name }, ok ? 1 : 0);
          }),
        );
      },
    });
  }
}
