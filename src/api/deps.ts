import type { Config } from '../config/schema.js';
import type { Audit } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PageRenderer } from '../pages/renderer.js';
import type { Policy } from '../policy/policy.js';
import type { SessionDeps } from '../session/session.js';
import type { Store } from '../store/store.js';
import type { JitsiTarget } from '../tokens/target.js';

/**
 * What the API's edges use (the JSON API for backends, the moderator's invite page): the
 * operations' parts (targets, policy, audit, the replicated store of rooms and invites), the
 * counter store for rate limits, sessions for people in a browser. The composition root's
 * Services provides it.
 */
export interface ApiRouteDeps extends SessionDeps {
  config: Config;
  publicUrl: string;
  basePath: string;
  logger: Logger;
  metrics: Metrics;
  audit: Audit;
  /** Room registry and invites: writes wait for replicas (docs/store.md). */
  replicatedStore: Store;
  /** Rate-limit counters. */
  counterStore: Store;
  targets: ReadonlyMap<string, JitsiTarget>;
  defaultTarget: JitsiTarget;
  policy: Policy;
  pages: PageRenderer;
}
