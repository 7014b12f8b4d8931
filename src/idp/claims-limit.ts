import { GatewayError } from '../errors/gateway-error.js';

/**
 * An IdP that says more about a person than `maxClaimsBytes` (a 300 kB claim, thousands of
 * attributes) gets the login refused with a clear page, before anything is stored: sessions stay
 * small, and the person and the operator are told why.
 */
export function claimsTooLarge(provider: string, displayName: string, what: string, bytes: number, limit: number): GatewayError {
  return new GatewayError('idp_error', `${displayName} sent more about you than this service accepts. Please tell your administrator.`, {
    level: 'warn',
    operatorMessage: `${provider}: the ${what} is ${bytes} bytes, over maxClaimsBytes (${limit}); release fewer claims or attributes to the gateway, or raise providers.${provider}.maxClaimsBytes`,
    detail: { provider, what, bytes, limit },
  });
}

/** Bytes of a JSON value as the gateway would store it. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
