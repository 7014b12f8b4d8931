import type { Config } from '../config/schema.js';
import type { IdentityProvider } from '../idp/provider.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReadinessCheck } from '../observability/readiness.js';
import type { PageRenderer } from '../pages/renderer.js';
import type { JitsiTarget } from '../tokens/target.js';
import type { Drain } from './drain.js';

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
  pages: PageRenderer;
  targets: ReadonlyMap<string, JitsiTarget>;
  providers: ReadonlyMap<string, IdentityProvider>;
  readiness: readonly ReadinessCheck[];
  drain: Drain;
}
