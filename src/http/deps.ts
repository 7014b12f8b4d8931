import type { Config } from '../config/schema.js';
import type { IdentityProvider } from '../idp/provider.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReadinessCheck } from '../observability/readiness.js';
import type { JitsiTarget } from '../tokens/target.js';
import type { Drain } from './drain.js';
import type { ErrorPages } from './errors.js';

/**
 * What the HTTP edge itself uses (the app, its middleware, the operations and key routes, the
 * listeners). The composition root's Services provides it; features declare their own needs.
 */
export interface HttpDeps {
  config: Config;
  /** publicUrl's path ('' or '/sso'): routes are mounted there. */
  basePath: string;
  logger: Logger;
  metrics: Metrics;
  /** Error pages for people (the pages feature's renderer). */
  pages: ErrorPages;
  targets: ReadonlyMap<string, JitsiTarget>;
  providers: ReadonlyMap<string, IdentityProvider>;
  readiness: readonly ReadinessCheck[];
  drain: Drain;
  /**
   * What the edge needs to know of the features, handed in by the composition root: the hashes of
   * the pages' own inline scripts (allowed by every page's Content-Security-Policy), and a request
   * path as log lines may show it (an invite link's id is its secret: src/invites/reference.ts).
   */
  pageScriptHashes: readonly string[];
  loggablePath: (path: string) => string;
}
