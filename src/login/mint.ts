import { GatewayError } from '../http/errors.js';
import type { Identity } from '../identity/identity.js';
import { personKeyOf } from '../identity/person.js';
import type { Decision } from '../policy/policy.js';
import type { Services } from '../services.js';
import type { IssuedToken, JitsiTarget, RoomLocation } from '../tokens/target.js';

/**
 * Identity + room → token: the policy decides (for every room, also when a session is reused),
 * the target signs, the audit trail records. The only place the login flows mint.
 */
export async function mintForRoom(
  services: Services,
  input: { identity: Identity; target: JitsiTarget; location: RoomLocation; requestId: string | undefined },
): Promise<IssuedToken> {
  const { identity, target, location } = input;
  const decision = await decideOrRefuse(services, identity, location);
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

/** The policy's decision for this person and room; a refusal is a 403 GatewayError carrying the policy's message. */
export async function decideOrRefuse(services: Services, identity: Identity, location: RoomLocation): Promise<Extract<Decision, { allow: true }>> {
  const decision = await services.policy.decide({ identity, location });
  if (!decision.allow) {
    throw new GatewayError(403, 'access_denied', decision.message || 'You are not allowed to join this meeting.', {
      detail: { person: personKeyOf(identity), room: location.room, tenant: location.tenant, rule: decision.rule },
      context: { reason: 'policy' },
      level: 'info',
    });
  }
  return decision;
}
