import { GatewayError } from '../errors/gateway-error.js';
import type { LoginDeps } from './deps.js';

/**
 * An identity provider that cannot be reached makes ITS sign-in unavailable (the provider's
 * "Sign-in with X is unavailable" page, logged at warn by the error handler), counted per provider
 * in jsg_identity_provider_unavailable_total. It does not make the replica unready.
 */
export async function countUnavailable<T>(services: Pick<LoginDeps, 'metrics'>, provider: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'idp_unavailable') services.metrics.providerUnavailable.inc({ provider });
    throw error;
  }
}
