import type { Config } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Identity } from '../identity/identity.js';
import { personKeyOf } from '../identity/person.js';
import type { Audit } from '../observability/audit.js';
import type { Decision, Policy, PreparedDecision } from '../policy/policy.js';
import type { IssuedToken, JitsiTarget, RoomLocation } from '../tokens/target.js';

/** What minting uses: the policy that decides, its hosts settings, the audit trail. */
export interface MintDeps {
  config: Pick<Config, 'policy'>;
  policy: Policy;
  audit: Audit;
}

export interface MintInput {
  identity: Identity;
  target: JitsiTarget;
  location: RoomLocation;
  requestId: string | undefined;
  /** The policy's store reads for this room, when the caller started them ahead (Policy.prepare). */
  prepared?: PreparedDecision | undefined;
}

/**
 * Identity + room → token: the policy decides (for every room, also when a session is reused),
 * the target signs, the audit trail records. The only place the login flows and the token service mint.
 */
export async function mintForRoom(services: MintDeps, input: MintInput): Promise<IssuedToken> {
  const { identity, target, location } = input;
  const decision = await decideOrRefuse(services, identity, location, input.prepared);
  const issued = target.issue({
    location,
    user: {
      id: identity.id,
      name: identity.name,
      email: identity.email,
      avatar: identity.avatar,
      moderator: decision.role === 'moderator',
      affiliation: decision.affiliation,
      lobbyBypass: decision.lobbyBypass,
    },
    features: decision.features,
    ttlSeconds: decision.ttlSeconds,
  });
  services.audit.tokenIssued({ target: target.name, provider: identity.provider, person: personKeyOf(identity), claims: issued.claims, requestId: input.requestId });
  return issued;
}

/**
 * The policy's decision for this person and room; a refusal is a 403 GatewayError carrying the
 * policy's message. With policy.hosts, somebody let in who may not host is refused too, as
 * `notAHost` (the redirect flows may send them back to the meeting as a guest instead).
 */
export async function decideOrRefuse(
  services: MintDeps,
  identity: Identity,
  location: RoomLocation,
  prepared?: PreparedDecision,
): Promise<Extract<Decision, { allow: true }>> {
  const decision = await services.policy.decide({ identity, location, prepared });
  if (!decision.allow) {
    throw new GatewayError('access_denied', decision.message || 'You are not allowed to join this meeting.', {
      detail: { person: personKeyOf(identity), room: location.room, tenant: location.tenant, rule: decision.rule },
      context: { reason: 'policy' },
      level: 'info',
    });
  }
  if (decision.host === false) {
    throw new GatewayError('access_denied', services.config.policy.hosts?.message ?? 'Only the hosts of this meeting sign in here.', {
      detail: { person: personKeyOf(identity), room: location.room, tenant: location.tenant, rule: decision.rule, reason: 'may join but not host (policy.hosts)' },
      context: { reason: NOT_A_HOST },
      level: 'info',
    });
  }
  return decision;
}

const NOT_A_HOST = 'not_host';

/**
 * Whether this refusal only means "not a host" and policy.hosts.others is `guest`: then a flow that
 * redirects to the meeting sends the person there without a token, to join on the guest domain
 * and wait for a host like any guest.
 */
export function joinsAsGuest(services: Pick<MintDeps, 'config'>, error: unknown): boolean {
  return error instanceof GatewayError && error.context?.reason === NOT_A_HOST && services.config.policy.hosts?.others === 'guest';
}
