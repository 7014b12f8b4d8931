import { createHash } from 'node:crypto';
import { GatewayError, type ErrorCode } from '../../errors/gateway-error.js';
import type { Identity } from '../../identity/identity.js';
import { idpMisconfigured } from '../misconfigured.js';
import type { BackchannelLogout, IdentityProvider, LoginFinish, LoginRequest, LoginResult, LoginStart } from '../provider.js';
import { claimsTooLarge } from '../claims-limit.js';
import { boundedGet } from './http.js';
import { parseCas1Response, parseServiceResponse, type CasAttributes, type CasValidation } from './response.js';
import type { CasProviderSettings, CasVersion } from './settings.js';
import { parseLogoutRequest, SloError, sloXmlFromBody } from './slo.js';

/**
 * CAS provider kind (protocol 1.0, 2.0, 3.0).
 *
 * Login: the browser goes to `<baseUrl>/login?service=<callbackUrl>?tx=<transaction id>`; CAS sends
 * it back to that service URL with `ticket=ST-…`; the gateway validates the ticket server-side with
 * exactly the same service string, then maps `cas:user` and the attributes to an Identity. The
 * service ticket is the session index for single logout.
 */

export interface CasProviderDeps {
  log: {
    info(obj: Record<string, unknown>, msg: string): void;
    warn(obj: Record<string, unknown>, msg: string): void;
    error(obj: Record<string, unknown>, msg: string): void;
  };
  fetch?: typeof fetch;
}

/** The login transaction id carried in the service URL. */
export const TX_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** A service ticket as the gateway accepts it at the callback (CAS: MUST start with ST-). */
export const SERVICE_TICKET_PATTERN = /^ST-[A-Za-z0-9._-]{1,253}$/;

export const VALIDATE_PATHS: Record<CasVersion, string> = {
  '3.0': '/p3/serviceValidate',
  '2.0': '/serviceValidate',
  '1.0': '/validate',
};

interface FailureMapping {
  code: ErrorCode;
  message: (displayName: string) => string;
  level?: 'info' | 'warn' | 'error';
  /** The log line: what the code means for the operator and what to check. */
  operator: string;
}

const startAgain = 'Please go back to the meeting link and sign in again.';

/** How each CAS failure code reaches the person (and the log). */
export const CAS_FAILURES: Record<string, FailureMapping> = {
  INVALID_TICKET: {
    operator: 'CAS answered INVALID_TICKET: the ticket is unknown to the CAS server, already validated or expired before validation (Apereo CAS service tickets live 10 s by default); when it happens to everyone, check that all CAS nodes share one ticket registry and that the gateway validates at the same CAS as the browser signs in (baseUrl)',
    code: 'login_expired',
    message: (idp) => `Your sign-in at ${idp} could not be confirmed: the sign-in ticket is unknown, already used or expired. ${startAgain}`,
    level: 'warn',
  },
  INVALID_TICKET_SPEC: {
    operator: 'CAS answered INVALID_TICKET_SPEC: the ticket does not meet the validation request (e.g. renew asked but the login was single sign-on); check renew',
    code: 'login_expired',
    message: (idp) => `Your sign-in at ${idp} could not be confirmed: the sign-in ticket does not meet the requirements of this service. ${startAgain}`,
    level: 'warn',
  },
  INVALID_SERVICE: {
    operator: 'CAS answered INVALID_SERVICE: the ticket was issued for another service URL than the one validated (the gateway validates with exactly the service it sent to /login); one occurrence is a ticket brought to the wrong sign-in, refused; if it happens to everyone, the CAS server or a proxy rewrites the service URL (check publicUrl and the service registry entry)',
    code: 'login_expired',
    message: (idp) => `Your sign-in at ${idp} was issued for a different address and cannot be used here. ${startAgain}`,
    level: 'warn',
  },
  INVALID_REQUEST: {
    operator: 'CAS answered INVALID_REQUEST: the validation request lacked service or ticket (a bug or a proxy stripping the query)',
    code: 'idp_error',
    message: (idp) => `${idp} refused the sign-in check as incomplete. Please try again; if it keeps happening, tell your administrator.`,
  },
  UNAUTHORIZED_SERVICE: {
    operator: 'CAS answered UNAUTHORIZED_SERVICE: the service URL is not registered at the CAS server; register <publicUrl>/auth/<provider>/callback (as a prefix or pattern: the gateway adds ?tx=…)',
    code: 'access_denied',
    message: (idp) => `${idp} does not allow signing in to this service. If you think this is wrong, contact your administrator.`,
    level: 'warn',
  },
  UNAUTHORIZED_SERVICE_PROXY: {
    operator: 'CAS answered UNAUTHORIZED_SERVICE_PROXY: the service is not allowed proxy authentication',
    code: 'idp_error',
    message: (idp) => `${idp} refused the sign-in check (proxy authentication not allowed). Tell your administrator.`,
  },
  INVALID_PROXY_CALLBACK: {
    operator: 'CAS answered INVALID_PROXY_CALLBACK',
    code: 'idp_error',
    message: (idp) => `${idp} refused the sign-in check (invalid proxy callback). Tell your administrator.`,
  },
  INTERNAL_ERROR: {
    operator: 'CAS answered INTERNAL_ERROR: see the CAS server logs',
    code: 'idp_error',
    message: (idp) => `${idp} had an internal error while confirming your sign-in. Please try again in a moment.`,
  },
};

const UNKNOWN_FAILURE: FailureMapping = {
    operator: 'CAS answered an unknown failure code',
  code: 'idp_error',
  message: (idp) => `${idp} could not confirm your sign-in. Please try again; if it keeps happening, tell your administrator.`,
};

export function createCasProvider(name: string, settings: CasProviderSettings, deps: CasProviderDeps): IdentityProvider {
  return new CasProvider(name, settings, deps);
}

class CasProvider implements IdentityProvider {
  readonly kind = 'cas' as const;
  readonly displayName: string;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(
    readonly name: string,
    private readonly settings: CasProviderSettings,
    private readonly deps: CasProviderDeps,
  ) {
    this.displayName = settings.displayName ?? name;
    this.baseUrl = settings.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = deps.fetch ?? globalThis.fetch;
  }

  transactionId(params: URLSearchParams): string | undefined {
    const values = params.getAll('tx');
    if (values.length !== 1) return undefined;
    const tx = values[0] as string;
    return TX_PATTERN.test(tx) ? tx : undefined;
  }

  async startLogin(request: LoginRequest): Promise<LoginStart> {
    if (!TX_PATTERN.test(request.transactionId)) {
      throw new GatewayError('internal_error', 'The sign-in could not be started.', {
        detail: { provider: this.name, problem: 'transaction id does not match the CAS tx pattern' },
      });
    }
    const service = buildServiceUrl(request.callbackUrl, request.transactionId);
    const renew = this.settings.renew || request.forceLogin === true;
    const query = new URLSearchParams({ service });
    if (renew) query.set('renew', 'true');
    else if (this.settings.gateway) query.set('gateway', 'true');
    for (const [key, value] of Object.entries(this.settings.loginParams)) query.append(key, value);
    const secrets: Record<string, string> = { service };
    if (renew) secrets.renew = 'true';
    return { redirectUrl: `${this.baseUrl}/login?${query.toString()}`, secrets };
  }

  async finishLogin(finish: LoginFinish): Promise<LoginResult> {
    const service = finish.secrets.service;
    if (!service) {
      throw new GatewayError('internal_error', 'The sign-in could not be completed.', {
        detail: { provider: this.name, problem: 'transaction has no CAS service URL (secrets.service)' },
      });
    }
    const tickets = finish.params.getAll('ticket');
    if (tickets.length === 0) {
      if (this.settings.gateway && finish.secrets.renew !== 'true') {
        throw new GatewayError('access_denied', `You are not signed in at ${this.displayName}. Sign in there first, then open the meeting link again.`, {
          detail: { provider: this.name, reason: 'cas_gateway_no_session' },
          context: { reason: 'not_signed_in' },
        });
      }
      throw new GatewayError('invalid_request', `The answer from ${this.displayName} did not contain a sign-in ticket. ${startAgain}`, {
        detail: { provider: this.name, reason: 'no ticket parameter' },
      });
    }
    const ticket = tickets[0] as string;
    if (tickets.length > 1 || !SERVICE_TICKET_PATTERN.test(ticket)) {
      throw new GatewayError('invalid_request', `The sign-in ticket from ${this.displayName} is not valid. ${startAgain}`, {
        detail: {
          provider: this.name,
          reason: tickets.length > 1 ? 'more than one ticket parameter' : 'ticket has an invalid format',
          ticketLength: ticket.length,
        },
      });
    }

    const renew = this.settings.renew || finish.secrets.renew === 'true';
    const version = this.settings.version;
    const query = new URLSearchParams({ service, ticket });
    if (renew) query.set('renew', 'true');
    const path = VALIDATE_PATHS[version];
    const body = await boundedGet(`${this.baseUrl}${path}?${query.toString()}`, {
      provider: this.name,
      displayName: this.displayName,
      timeoutMs: this.settings.timeoutMs,
      maxBytes: this.settings.maxResponseBytes,
      fetch: this.fetchImpl,
      purpose: 'CAS ticket validation',
      logUrl: `${this.baseUrl}${path}`,
    });

    const result: CasValidation = version === '1.0' ? parseCas1Response(body) : parseServiceResponse(body);
    const ticketRef = ticketFingerprint(ticket);
    if (result.ok === 'malformed') {
      throw new GatewayError('idp_error', `${this.displayName} sent an answer the gateway cannot read. Please try again; if it keeps happening, tell your administrator.`, {
        detail: { provider: this.name, version, reason: result.reason, bytes: body.length, ticket: ticketRef },
      });
    }
    if (result.ok === false) {
      const mapping = CAS_FAILURES[result.code] ?? UNKNOWN_FAILURE;
      throw new GatewayError(mapping.code, mapping.message(this.displayName), {
        detail: { provider: this.name, version, casCode: result.code, casMessage: result.message.split(ticket).join(`<ticket ${ticketRef}>`), ticket: ticketRef, service: service.split('?')[0] },
        operatorMessage: `${this.name}: ${mapping.operator}`,
        ...(mapping.level ? { level: mapping.level } : {}),
      });
    }

    const identity = this.toIdentity(result.user, result.attributes);
    return { identity, sessionIndexes: [ticket] };
  }

  async logoutUrl(_session: { logoutHint?: string }, returnUrl: string): Promise<string | undefined> {
    const target = this.settings.logoutReturnUrl ?? returnUrl;
    return `${this.baseUrl}/logout?${new URLSearchParams({ service: target }).toString()}`;
  }

  async backchannelLogout(body: string, contentType: string): Promise<BackchannelLogout> {
    let ticket: string;
    try {
      ticket = parseLogoutRequest(sloXmlFromBody(body, contentType));
    } catch (error) {
      throw new GatewayError('invalid_request', 'This is not a valid CAS logout request.', {
        detail: { provider: this.name, reason: error instanceof SloError ? error.message : 'cannot be read', bytes: body.length },
      });
    }
    this.deps.log.info({ ticket: ticketFingerprint(ticket) }, 'CAS back-channel logout request received');
    return { sessionIndexes: [ticket] };
  }

  async ready(): Promise<{ ok: boolean; detail?: string }> {
    // CAS has no discovery document or keys to load: nothing to be ready for. Whether the server
    // answers is checked by every login (with a time limit), not by the gateway's readiness, so that
    // a CAS outage does not take the whole gateway (token API included) out of service.
    return { ok: true };
  }

  private toIdentity(user: string, attributes: CasAttributes): Identity {
    let bytes = Buffer.byteLength(user, 'utf8');
    for (const [name, values] of attributes) for (const value of values) bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
    if (bytes > this.settings.maxClaimsBytes) throw claimsTooLarge(this.name, this.displayName, 'user and attributes', bytes, this.settings.maxClaimsBytes);
    const mapping = this.settings.attributes;
    const pick = (spec: string | undefined): string[] => {
      if (!spec) return [];
      for (const alternative of spec.split('|')) {
        const key = alternative === 'cas:user' ? alternative : alternative.replace(/^cas:/, '');
        if (key === 'cas:user') return [user];
        const values = attributes.get(key)?.map((value) => value.trim()).filter((value) => value !== '');
        if (values && values.length > 0) return values;
      }
      return [];
    };
    const id = pick(mapping.id)[0];
    if (!id) {
      throw idpMisconfigured({
        provider: this.name,
        displayName: this.displayName,
        problem: `the CAS answer lacks the attribute the gateway needs for the person's id ("${mapping.id}"); it sent ${[...attributes.keys()].join(', ') || 'no attributes'}`,
        fix: 'set attributes.id to an attribute the CAS server releases, or release it for this service at the CAS server',
        detail: { attributes: [...attributes.keys()] },
      });
    }
    const claims: Record<string, unknown> = {};
    for (const [key, values] of attributes) {
      Object.defineProperty(claims, key, { value: values.length === 1 ? values[0] : [...values], enumerable: true, writable: true, configurable: true });
    }
    const identity: Identity = {
      provider: this.name,
      id,
      groups: [...new Set(pick(mapping.groups))],
      claims,
    };
    const name = pick(mapping.name)[0];
    if (name) identity.name = name;
    const email = pick(mapping.email)[0];
    if (email) {
      identity.email = email;
      identity.emailVerified = this.settings.emailsAuthoritative;
    }
    const avatar = pick(mapping.avatar)[0];
    if (avatar && isHttpUrl(avatar)) identity.avatar = avatar;
    return identity;
  }
}

/**
 * `<callbackUrl>?tx=<id>` (or `&tx=` when the callback already has a query). Built only from the
 * configured callback URL the flow passes in, never from request headers.
 */
export function buildServiceUrl(callbackUrl: string, transactionId: string): string {
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    throw new GatewayError('internal_error', 'The sign-in could not be started.', { detail: { problem: 'callbackUrl is not an absolute URL' } });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash || url.searchParams.has('tx') || url.searchParams.has('ticket')) {
    throw new GatewayError('internal_error', 'The sign-in could not be started.', {
      detail: { problem: 'callbackUrl must be http(s) without fragment, tx or ticket parameters' },
    });
  }
  url.searchParams.append('tx', transactionId);
  return url.href;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A short, non-reversible reference to a ticket for logs (tickets are never logged). */
export function ticketFingerprint(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url').slice(0, 12);
}
