import type { MintDeps } from '../mint/mint.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import type { TokenService } from './service.js';

/**
 * What the token service (Jitsi's inline sign-in, config.sso) uses: its clients and keys, the
 * transient-state store (codes, refresh tokens, sessions) and minting. The composition root's
 * Services provides it.
 */
export interface TokenServiceDeps extends MintDeps {
  publicUrl: string;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  tokenService: TokenService;
}
