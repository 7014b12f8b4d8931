import type { ApiRouteDeps } from './api/deps.js';
import type { Config } from './config/schema.js';
import type { StandInDeps } from './demo/jitsi.js';
import type { HttpDeps } from './http/deps.js';
import type { Drain } from './http/drain.js';
import type { IdentityProvider } from './idp/provider.js';
import type { InviteRouteDeps } from './invites/routes.js';
import type { LoginDeps } from './login/deps.js';
import type { LoginStartLimiter } from './login/login-starts.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { MintDeps } from './mint/mint.js';
import type { ReadinessCheck } from './observability/readiness.js';
import type { Audit } from './observability/audit.js';
import type { PageRenderer } from './pages/renderer.js';
import type { PageRouteDeps } from './pages/routes.js';
import type { Policy } from './policy/policy.js';
import type { SessionDeps } from './session/session.js';
import type { Store } from './store/store.js';
import type { JitsiTarget } from './tokens/target.js';
import type { TokenServiceDeps } from './token-service/deps.js';
import type { TokenService } from './token-service/service.js';

/**
 * Everything the gateway's parts use, built once at start-up by the composition root
 * (src/gateway.ts); they never read config files or create clients themselves. No part imports
 * this bag: each declares the narrow interface of what it uses (below), and the root hands it
 * this, which provides them all.
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
  /** The hashes of the pages' own inline scripts (src/pages/scripts.ts): every page's CSP allows them. */
  pageScriptHashes: readonly string[];
  /** A request path as log lines show it: invite ids become references (src/invites/reference.ts). */
  loggablePath: (path: string) => string;
}

/**
 * Compile-time check that Services provides what each part declares it uses: a part that asks for
 * something new fails to compile here until the root provides it.
 */
type Provides<S extends Deps, Deps> = S;
export type ServicesProvide = [
  Provides<Services, HttpDeps>,
  Provides<Services, PageRouteDeps>,
  Provides<Services, StandInDeps>,
  Provides<Services, SessionDeps>,
  Provides<Services, MintDeps>,
  Provides<Services, TokenServiceDeps>,
  Provides<Services, LoginDeps>,
  Provides<Services, InviteRouteDeps>,
  Provides<Services, ApiRouteDeps>,
];
