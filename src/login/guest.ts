import { personKeyOf } from '../identity/person.js';
import { joinsAsGuest, mintForRoom, type MintDeps, type MintInput } from '../mint/mint.js';
import type { Logger } from '../observability/logger.js';
import type { IssuedToken } from '../tokens/target.js';
import type { ReturnMode } from './request.js';

/**
 * mintForRoom for a flow that ends in the meeting: undefined when the person goes back to the
 * meeting as a guest (joinsAsGuest). Popups (inline) get the refusal: they cannot join anything.
 */
export async function mintOrJoinAsGuest(
  services: MintDeps & { logger: Logger },
  input: MintInput,
  mode: ReturnMode,
): Promise<IssuedToken | undefined> {
  try {
    return await mintForRoom(services, input);
  } catch (error) {
    if (mode === 'inline' || mode === 'sso' || !joinsAsGuest(services, error)) throw error;
    services.logger.info({ person: personKeyOf(input.identity), room: input.location.room, tenant: input.location.tenant, requestId: input.requestId }, 'may join but not host: back to the meeting without a token (policy.hosts.others: guest)');
    return undefined;
  }
}
