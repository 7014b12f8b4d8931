/**
 * The gateway in front of a REAL CAS server (LemonLDAP::NG, test/support/lemonldap.ts) for the
 * gateway-level CAS tests (test/login/cas-*.test.ts): the provider settings (one provider per CAS
 * protocol version), a policy fed by the CAS groups, and a scripted browser that goes
 * gateway → LemonLDAP's login form → gateway callback with one cookie jar for 127.0.0.1.
 */
import { CookieJar, formLogin, formLoginTo } from './lemonldap.js';
import { ScriptedBrowser, type Step } from '../login/harness.js';

/** LemonLDAP's Demo users (password = login). */
export const CAS_USERS = {
  dwho: { id: 'dwho', name: 'Doctor Who', email: 'dwho@badwolf.org', groups: ['timelords', 'users'] },
  rtyler: { id: 'rtyler', name: 'Rose Tyler', email: 'rtyler@badwolf.org', groups: ['earthlings', 'users'] },
  msmith: { id: 'msmith', name: 'Mickey Smith', email: 'msmith@badwolf.org', groups: ['earthlings', 'users'] },
} as const;
export type CasUser = keyof typeof CAS_USERS;

export const CAS_VERSIONS = { cas3: '3.0', cas2: '2.0', cas1: '1.0' } as const;
export type CasProviderName = keyof typeof CAS_VERSIONS;

/** cas3 / cas2 / cas1 (one per protocol version) against `casUrl`, plus any extra providers. */
export function casProviders(casUrl: string, extra: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
  const providers: Record<string, unknown> = {};
  for (const [name, version] of Object.entries(CAS_VERSIONS)) {
    providers[name] = { kind: 'cas', displayName: `LemonLDAP CAS ${version}`, baseUrl: casUrl, version, timeoutMs: 5000 };
  }
  for (const [name, settings] of Object.entries(extra)) providers[name] = { kind: 'cas', baseUrl: casUrl, ...settings };
  return providers;
}

/**
 * Policy from the configuration, fed by the CAS groups: Time Lords moderate; nobody else may
 * enter rooms called tardis-*; everyone else is a participant. Every provider here is the same
 * LemonLDAP server, so each one's groups count (policy.defaultProviders).
 */
export const casPolicy = (providers: Record<string, unknown>) => ({
  defaultProviders: Object.keys(providers),
  rules: [
    { name: 'time lords moderate', when: { groups: 'timelords' }, allow: { role: 'moderator' } },
    { name: 'tardis crew only', when: { room: 'tardis-*' }, deny: 'Only Time Lords may fly the TARDIS.' },
  ],
  default: { allow: { role: 'participant' } },
});

export interface CasJourney {
  /** The gateway's first answer (303 to `<cas>/login?service=…`). */
  start: Step;
  /** `<cas>/login?service=…[&renew=true]`. */
  casLoginUrl: string;
  /** The service URL LemonLDAP sent the browser back to: `<publicUrl>/auth/<p>/callback?tx=…&ticket=ST-…`. */
  callbackUrl: string;
  ticket: string;
  /** Whether LemonLDAP showed its login form (false: CAS single sign-on with its cookie). */
  formShown: boolean;
}

/**
 * A scripted browser that also passes LemonLDAP::NG's login form (formLogin: anti-CSRF token,
 * the renew "upgrade session" page), keeping LemonLDAP's SSO cookie in the same jar as the
 * gateway's cookies (cookies are per host, not per port, as in a real browser).
 */
export class CasBrowser extends ScriptedBrowser {
  /** gateway /login → 303 to CAS → LemonLDAP (form or SSO) → the callback URL, not yet followed. */
  async toCallback(loginUrl: string, user: CasUser = 'dwho'): Promise<CasJourney> {
    const start = await this.request(loginUrl);
    if (start.status !== 303 || !start.location) throw new Error(`expected a redirect to CAS, got HTTP ${start.status}: ${start.body.slice(0, 300)}`);
    return { start, ...(await this.atCas(start.location, user)) };
  }

  /** At `<cas>/login?…`: log in (or SSO) and return where LemonLDAP sends the browser back. */
  async atCas(casLoginUrl: string, user: CasUser = 'dwho'): Promise<Omit<CasJourney, 'start'>> {
    const sent = this.cookieHeader(casLoginUrl);
    const result = await formLogin(casLoginUrl, user, user, sent || undefined);
    this.adopt(sent, result.cookie);
    return { casLoginUrl, callbackUrl: result.location, ticket: result.ticket, formShown: result.formShown };
  }

  /** At any LemonLDAP::NG login URL (OIDC authorize, CAS login): where it sends the browser back. */
  async atIdp(idpUrl: string, user: CasUser = 'dwho'): Promise<{ location: string; formShown: boolean }> {
    const sent = this.cookieHeader(idpUrl);
    const result = await formLoginTo(idpUrl, user, user, sent || undefined);
    this.adopt(sent, result.cookie);
    return { location: result.location, formShown: result.formShown };
  }

  /** The whole journey: gateway → CAS → callback → the gateway's final answer. */
  async casLogin(loginUrl: string, user: CasUser = 'dwho'): Promise<CasJourney & { final: Step }> {
    const journey = await this.toCallback(loginUrl, user);
    const final = await this.request(journey.callbackUrl);
    return { ...journey, final };
  }

  /** LemonLDAP's SSO cookie header (for casLogout / casLoginWithCookie). */
  lemonldapCookie(): string {
    const cookie = this.cookies.get('lemonldap');
    if (!cookie) throw new Error('no LemonLDAP session cookie in this browser');
    return `lemonldap=${cookie.value}`;
  }

  /** A second browser that has only this one's LemonLDAP cookie (no gateway session). */
  withOnlyCasSession(): CasBrowser {
    const other = new CasBrowser();
    const cookie = this.cookies.get('lemonldap');
    if (cookie) other.cookies.set('lemonldap', { ...cookie });
    return other;
  }

  /** Takes over the cookies formLogin's own jar set or changed. */
  private adopt(sentHeader: string, jarHeader: string): void {
    const before = new CookieJar(sentHeader);
    const after = new CookieJar(jarHeader);
    for (const part of jarHeader.split(';')) {
      const name = part.slice(0, part.indexOf('=')).trim();
      const value = after.get(name);
      if (!name || value === undefined || before.get(name) === value) continue;
      this.cookies.set(name, { value, path: '/', expires: Number.POSITIVE_INFINITY });
    }
  }
}

/** The SAML-ish logoutRequest a CAS server POSTs for single logout (LemonLDAP::NG's format). */
export function logoutRequestXml(ticket: string): string {
  return (
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${ticket}" Version="2.0" IssueInstant="${new Date().toISOString()}">` +
    `<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</saml:NameID>` +
    `<samlp:SessionIndex>${ticket}</samlp:SessionIndex></samlp:LogoutRequest>`
  );
}

/** POSTs `logoutRequest=<xml>` (form-encoded) or a raw body to a gateway URL, as a CAS server would. */
export async function postSlo(url: string, body: string, contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body, redirect: 'manual' });
  return { status: response.status, body: await response.text() };
}
