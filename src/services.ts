import type { Config } from './config/schema.js';
import type { Drain } from './http/drain.js';
import type { IdentityProvider } from './idp/provider.js';
import type { LoginStartLimiter } from './login/login-starts.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { ReadinessCheck } from './observability/readiness.js';
import type { Audit } from './observability/audit.js';
import type { PageRenderer } from './pages/renderer.js';
import type { Policy } from './policy/policy.js';
import type { Store } from './store/store.js';
import type { JitsiTarget } from './tokens/target.js';
import type { TokenService } from './token-service/service.js';

/**
 * Everything a route needs, built once at start-up by the composition root (src/gateway.ts).
 * Routes receive this bag; they never read config files or create clients themselves.
 */
export interface Services {
  config: Config;
  /** `publicUrl` without trailing slash, and its path ('' or '/sso'): routes are mounted there. */
  publicUrl: string;
  basePath: string;
  logger: Logger;
  metrics: Metrics;
  audit: Audit;
  /**
   * The state store, by what a lost write costs (docs/store.md, src/store/factory.ts):
   * `store` for transient state (login transactions, sessions, refresh handles), whose writes do
   * not wait for replicas; `replicatedStore` for operator and security state (room registry,
   * invites, invite use counters), whose writes wait for store.redis.replicatedWrites replicas;
   * `counterStore` for rate-limit counters and caches, which keep counting per process when the
   * primary refuses writes for want of replicas. One connection behind all three.
   */
  store: Store;
  replicatedStore: Store;
  counterStore: Store;
  targets: ReadonlyMap<string, JitsiTarget>;
  defaultTarget: JitsiTarget;
  providers: ReadonlyMap<string, IdentityProvider>;
  policy: Policy;
  pages: PageRenderer;
  /** New login transactions per client address (session.loginStartsPerMinute). */
  loginStarts: LoginStartLimiter;
  /** Jitsi's inline sign-in (config.sso): clients, ID-token key, settings. */
  tokenService: TokenService;
  /** store, keys, shutdown (src/observability/readiness.ts). */
  readiness: ReadinessCheck[];
  /** Set on SIGTERM: readiness 503, `Connection: close` on every response (src/http/drain.ts). */
  drain: Drain;
}
