import { GatewayError } from '../errors/gateway-error.js';

/**
 * A sign-in that fails because the gateway and the IdP disagree on settings (client
 * authentication, issuer, keys, claims, registered URLs, clocks): no retry by the person helps. The
 * person is told sign-in is misconfigured (page reason `misconfigured`); the operator's log line
 * names the cause in configuration terms and the fix.
 */
export interface Misconfiguration {
  provider: string;
  displayName: string;
  /** What is wrong, for the operator: "the IdP refused the gateway's client authentication (...)". */
  problem: string;
  /** What to change: "check the secret and clientAuth". */
  fix: string;
  detail?: Record<string, unknown>;
}

export function idpMisconfigured(what: Misconfiguration): GatewayError {
  return new GatewayError(
    'idp_error',
    `Sign-in with ${what.displayName} is misconfigured: the gateway and ${what.displayName} do not agree on their settings. Starting again will not help; please tell your administrator.`,
    {
      level: 'error',
      operatorMessage: `${what.provider}: ${what.problem}; ${what.fix}`,
      detail: { provider: what.provider, misconfigured: true, ...what.detail },
      context: { reason: 'misconfigured' },
    },
  );
}
