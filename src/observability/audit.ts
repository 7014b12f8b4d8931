import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { JitsiClaims } from '../tokens/claims.js';
import type { PersonKey } from '../identity/person.js';

export interface TokenIssuedEvent {
  target: string;
  /** Who asked: an identity provider's name, "api:<client>", "invite", "cli". */
  provider: string;
  claims: JitsiClaims;
  /** The person who signed in (provider-qualified), for tokens minted after an SSO login. */
  person?: PersonKey | undefined;
  /** For guest tokens: the invite's reference (src/invites/reference.ts), never its id. */
  invite?: string | undefined;
  requestId?: string | undefined;
}

/**
 * The audit trail: one log line per token issued (subject, room, tenant, role, provider, jti,
 * exp; never the token or a secret) and the tokens-issued counter.
 */
export class Audit {
  /** Counter children bound per target, role and provider (bounded: config names and roles). */
  private readonly issued = new Map<string, { inc(): void }>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  tokenIssued(event: TokenIssuedEvent): void {
    const { claims } = event;
    const role = claims.context.user.moderator === true ? 'moderator' : 'participant';
    const key = `${event.target}\u0000${role}\u0000${event.provider}`;
    let counter = this.issued.get(key);
    if (!counter) {
      counter = this.metrics.tokensIssued.labels({ target: event.target, role, provider: event.provider });
      if (this.issued.size < 10_000) this.issued.set(key, counter);
    }
    counter.inc();
    this.logger.info(
      {
        audit: 'token_issued',
        requestId: event.requestId,
        target: event.target,
        provider: event.provider,
        person: event.person,
        invite: event.invite,
        user: claims.context.user.id,
        email: claims.context.user.email,
        room: claims.room,
        tenant: claims.context.tenant,
        sub: claims.sub,
        role,
        jti: claims.jti,
        exp: claims.exp,
      },
      'token issued',
    );
  }
}
