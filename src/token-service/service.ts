import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { JitsiTarget } from '../tokens/target.js';
import { SsoClients } from './clients.js';
import { ephemeralIdTokenKey, readIdTokenKey, type IdTokenKey } from '../keys/id-token-key.js';

/**
 * The token service of Jitsi's inline sign-in (`config.sso.tokenService`), built once at start-up:
 * its clients (one per target with `sso`), its ID-token key and its settings. The authorization
 * endpoint is the login entry (GET /login with `code_challenge`, see authorize.ts); the token
 * endpoint is POST /token (token-endpoint.ts); routes.ts is the HTTP edge.
 */
export class TokenService {
  readonly clients: SsoClients;
  readonly key: IdTokenKey;
  readonly issuer: string;
  readonly settings: Config['tokenService'];

  constructor(config: Config, targets: Iterable<JitsiTarget>, logger: Logger) {
    this.clients = new SsoClients(targets);
    this.settings = config.tokenService;
    this.issuer = config.tokenService.issuer ?? config.publicUrl;
    const configured = config.tokenService.signingKey ? readIdTokenKey(config.tokenService.signingKey, 'tokenService.signingKey').key : undefined;
    if (configured) {
      this.key = configured;
    } else {
      this.key = ephemeralIdTokenKey();
      if (this.clients.size > 0 && config.store.kind === 'redis') {
        logger.warn('tokenService.signingKey is not set: each replica signs ID tokens with its own start-up key; set it so every replica publishes the same JWKS');
      }
    }
  }

  jwks(): { keys: IdTokenKey['jwk'][] } {
    return { keys: [this.key.jwk] };
  }
}
