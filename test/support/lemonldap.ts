/**
 * A real LemonLDAP::NG (Debian 12 packages) as CAS server and OpenID Connect provider for tests,
 * on 127.0.0.1. `ensureLemonldap()` runs test/support/lemonldap/up.sh (which installs the packages
 * when missing and running as root, ~20-70 s the first time; later calls with the same settings
 * take well under a second and reuse the running instance), and `casLogin()` logs in without a
 * browser the way the login form does. See test/support/lemonldap/README.md.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const LEMONLDAP_DIR = join(HERE, 'lemonldap');

export interface LemonldapOptions {
  /** Port on 127.0.0.1 (one independent instance per port). Default 8899. */
  port?: number;
  /** Host name used in all URLs. Default 127.0.0.1. */
  host?: string;
  /** Service URL prefixes registered for the CAS application. */
  casServices?: string[];
  /** none: any service gets tickets; error: only casServices; faketicket: bogus ticket for others. */
  casAccessControl?: 'none' | 'error' | 'faketicket';
  /** CAS back-channel single logout (the portal POSTs logoutRequest to each validated service URL). */
  casSingleLogout?: boolean;
  /** Seconds within which a renew=true login does not re-ask the password (LemonLDAP default 5). */
  forceAuthnInterval?: number;
  oidcRedirectUris?: string[];
  oidcPostLogoutRedirectUris?: string[];
  oidcClientId?: string;
  oidcClientSecret?: string;
  oidcRequirePkce?: boolean;
  oidcGroupsAlways?: boolean;
  oidcIdTokenClaims?: boolean;
  /** Anti-CSRF token on the login form (default true). */
  requireToken?: boolean;
  /** The SAML 2.0 IdP (off unless given), with the SP under test registered from its metadata. */
  saml?: LemonldapSamlOptions;
  stateDir?: string;
  logLevel?: 'error' | 'warn' | 'notice' | 'info' | 'debug';
  /** Any other IDP_* variable for up.sh. */
  env?: Record<string, string>;
  /** Upper bound for up.sh (install + start). Default 10 min. */
  timeoutMs?: number;
}

export interface LemonldapSamlOptions {
  /** The SP's metadata URL (fetched by up.sh: the SP must answer then) or file. */
  spMetadataUrl?: string;
  spMetadataFile?: string;
  /** AuthnRequests and LogoutRequests must be signed (the IdP metadata then says WantAuthnRequestsSigned). */
  signedRequests?: boolean;
  /** `assertion`: assertions encrypted to the SP certificate. */
  encrypt?: 'none' | 'assertion';
  nameIdFormat?: 'persistent' | 'transient' | 'email' | 'unspecified';
  /** `oid`: attribute Names are urn:oid:… with FriendlyNames; `basic`: plain names. */
  attributeNames?: 'basic' | 'oid';
}

export interface LemonldapInstance {
  baseUrl: string;
  /** CAS base URL, `<baseUrl>/cas`. */
  casUrl: string;
  oidcIssuer: string;
  oidcDiscoveryUrl: string;
  clientId: string;
  clientSecret: string;
  port: number;
  stateDir: string;
  /** SAML IdP metadata URL and entityID (when saml was given). */
  samlMetadataUrl?: string;
  samlEntityId?: string;
  /** Whether this call started (or restarted) the instance, as opposed to finding it running. */
  started: boolean;
  /** Stops the instance if this call started it (or always with force). */
  stop(options?: { force?: boolean }): Promise<void>;
}

function run(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(LEMONLDAP_DIR, script)], { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const tail = stderr.split('\n').slice(-25).join('\n');
        reject(new Error(`${script} failed (${error.code ?? error.signal ?? error.message}):\n${tail}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

function optionEnv(options: LemonldapOptions): Record<string, string> {
  const env: Record<string, string> = {};
  const flag = (value: boolean | undefined) => (value ? '1' : '0');
  if (options.port !== undefined) env.IDP_PORT = String(options.port);
  if (options.host !== undefined) env.IDP_HOST = options.host;
  if (options.casServices) env.IDP_CAS_SERVICES = options.casServices.join(' ');
  if (options.casAccessControl) env.IDP_CAS_ACCESS_CONTROL = options.casAccessControl;
  if (options.casSingleLogout !== undefined) env.IDP_CAS_SLO = flag(options.casSingleLogout);
  if (options.forceAuthnInterval !== undefined) env.IDP_FORCE_AUTHN_INTERVAL = String(options.forceAuthnInterval);
  if (options.oidcRedirectUris) env.IDP_OIDC_REDIRECT_URIS = options.oidcRedirectUris.join(' ');
  if (options.oidcPostLogoutRedirectUris) env.IDP_OIDC_POST_LOGOUT_REDIRECT_URIS = options.oidcPostLogoutRedirectUris.join(' ');
  if (options.oidcClientId) env.IDP_OIDC_CLIENT_ID = options.oidcClientId;
  if (options.oidcClientSecret) env.IDP_OIDC_CLIENT_SECRET = options.oidcClientSecret;
  if (options.oidcRequirePkce !== undefined) env.IDP_OIDC_REQUIRE_PKCE = flag(options.oidcRequirePkce);
  if (options.oidcGroupsAlways !== undefined) env.IDP_OIDC_GROUPS_ALWAYS = flag(options.oidcGroupsAlways);
  if (options.oidcIdTokenClaims !== undefined) env.IDP_OIDC_ID_TOKEN_CLAIMS = flag(options.oidcIdTokenClaims);
  if (options.requireToken !== undefined) env.IDP_REQUIRE_TOKEN = flag(options.requireToken);
  if (options.stateDir) env.IDP_STATE_DIR = options.stateDir;
  if (options.logLevel) env.IDP_LOG_LEVEL = options.logLevel;
  if (options.saml) {
    const saml = options.saml;
    env.IDP_SAML = '1';
    if (saml.spMetadataUrl) env.IDP_SAML_SP_METADATA_URL = saml.spMetadataUrl;
    if (saml.spMetadataFile) env.IDP_SAML_SP_METADATA_FILE = saml.spMetadataFile;
    if (saml.signedRequests !== undefined) env.IDP_SAML_SP_SIGNED_REQUESTS = flag(saml.signedRequests);
    if (saml.encrypt) env.IDP_SAML_SP_ENCRYPT = saml.encrypt;
    if (saml.nameIdFormat) env.IDP_SAML_NAMEID_FORMAT = saml.nameIdFormat;
    if (saml.attributeNames) env.IDP_SAML_ATTRIBUTE_NAMES = saml.attributeNames;
  }
  return { ...env, ...options.env };
}

/** Parses up.sh's KEY=VALUE lines (the equivalent of `eval "$(up.sh)"`). */
export function parseEnvLines(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[match[1] as string] = match[2] as string;
  }
  return out;
}

/** Installs (if needed), configures and starts LemonLDAP::NG; resolves once it answers. */
export async function ensureLemonldap(options: LemonldapOptions = {}): Promise<LemonldapInstance> {
  // Only the IDP_* variables of this call: settings from the caller's environment would make the
  // instance differ from what the options say.
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('IDP_')) base[key] = value;
  const env = { ...base, ...optionEnv(options) };
  const { stdout } = await run('up.sh', env, options.timeoutMs ?? 600_000);
  const vars = parseEnvLines(stdout);
  const need = (key: string): string => {
    const value = vars[key];
    if (!value) throw new Error(`up.sh did not print ${key}; output was:\n${stdout}`);
    return value;
  };
  const port = Number(need('IDP_PORT'));
  const stateDir = need('IDP_STATE_DIR');
  const started = vars.IDP_STARTED === '1';
  const saml = vars.IDP_SAML_METADATA_URL && vars.IDP_SAML_ENTITY_ID ? { samlMetadataUrl: vars.IDP_SAML_METADATA_URL, samlEntityId: vars.IDP_SAML_ENTITY_ID } : {};
  return {
    ...saml,
    baseUrl: need('IDP_BASE_URL'),
    casUrl: need('IDP_CAS_BASE_URL'),
    oidcIssuer: need('IDP_OIDC_ISSUER'),
    oidcDiscoveryUrl: need('IDP_OIDC_DISCOVERY'),
    clientId: need('IDP_OIDC_CLIENT_ID'),
    clientSecret: need('IDP_OIDC_CLIENT_SECRET'),
    port,
    stateDir,
    started,
    async stop(stopOptions = {}) {
      if (!started && !stopOptions.force) return;
      await run('down.sh', { ...base, IDP_PORT: String(port), IDP_STATE_DIR: stateDir }, 120_000);
    },
  };
}

// ------------------------------------------------------------------ login helpers ---

/** A tiny cookie jar: name → value, for one host (LemonLDAP's cookies are all for 127.0.0.1). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  constructor(header?: string) {
    if (header) {
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0) this.cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
      }
    }
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', val = ''] = attribute.split('=');
        const k = key.trim().toLowerCase();
        if (k === 'max-age') return Number(val) <= 0;
        if (k === 'expires') return Date.parse(val.trim()) < Date.now();
        return false;
      });
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export interface CasLoginResult {
  /** The service ticket (`ST-…`) from the Location header. */
  ticket: string;
  /** The full redirect target: `<service>?ticket=…` (or `&ticket=`). */
  location: string;
  /** Cookie header with the SSO session (`lemonldap=…`), for casLoginWithCookie. */
  cookie: string;
  /** Whether the login form had to be filled in (false: single sign-on with the cookie). */
  formShown: boolean;
}

interface HtmlForm {
  id: string | undefined;
  action: string;
  method: string;
  inputs: { name: string; type: string; value: string }[];
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(tag)?.slice(1).find((v) => v !== undefined);
}

const decodeHtml = (value: string) =>
  value.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[e] ?? _m);

function formsOf(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = match[1] ?? '';
    const inputs: HtmlForm['inputs'] = [];
    for (const input of (match[2] ?? '').matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (!name) continue;
      inputs.push({ name, type: (attr(input[0], 'type') ?? 'text').toLowerCase(), value: decodeHtml(attr(input[0], 'value') ?? '') });
    }
    forms.push({ id: attr(open, 'id'), action: decodeHtml(attr(open, 'action') ?? ''), method: (attr(open, 'method') ?? 'get').toLowerCase(), inputs });
  }
  return forms;
}

function ticketFrom(location: string): string {
  const ticket = new URL(location).searchParams.get('ticket');
  if (!ticket) throw new Error(`redirect without a ticket: ${location}`);
  return ticket;
}

/**
 * Follows a CAS login URL the way a person with a browser would, without a browser: GET the URL
 * (with the SSO cookie, if any); if LemonLDAP::NG shows the login form, POST user, password and
 * the form's hidden fields (the anti-CSRF token among them) to the form's action (`#`: the same
 * URL, query included); if it asks to confirm a re-authentication (`renew=true` with a session:
 * the "Upgrade session" page), confirm it first. Redirects within the IdP are followed; the first
 * redirect elsewhere is the way back to the service, with the ticket.
 */
export async function formLogin(loginUrl: string, user: string, password: string, cookie?: string): Promise<CasLoginResult> {
  const result = await formLoginTo(loginUrl, user, password, cookie);
  return { ...result, ticket: ticketFrom(result.location) };
}

/**
 * The same walk through LemonLDAP::NG's forms for any protocol: returns the first redirect that
 * leaves the IdP (OIDC: `<redirect_uri>?code=…&state=…`; CAS: the service with its ticket).
 */
export async function formLoginTo(loginUrl: string, user: string, password: string, cookie?: string): Promise<Omit<CasLoginResult, 'ticket'>> {
  const jar = new CookieJar(cookie);
  const idpOrigin = new URL(loginUrl).origin;
  let formShown = false;
  let url = loginUrl;
  let init: RequestInit = { method: 'GET' };
  for (let step = 0; step < 10; step++) {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...jarHeaders(jar), ...(init.headers as Record<string, string> | undefined) } });
    jar.store(response);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = absolute(response.headers.get('location'), url);
      if (new URL(location).origin === idpOrigin) {
        url = location;
        init = { method: 'GET' };
        continue;
      }
      return { location, cookie: jar.header(), formShown };
    }
    const html = await response.text();
    const forms = response.status === 200 ? formsOf(html) : [];
    const login = forms.find((form) => form.inputs.some((input) => input.type === 'password'));
    const confirm = forms.find((form) => form.id === 'upgrd');
    const form = login ?? confirm;
    if (!form) {
      throw new Error(`${init.method} ${url}: expected a login form or a redirect, got HTTP ${response.status}${trmsg(html)}`);
    }
    if (login && formShown) throw new Error(`${url}: the login form came back after posting the credentials${trmsg(html)}`);
    const fields = new URLSearchParams();
    for (const input of form.inputs) {
      if (['submit', 'button', 'checkbox', 'radio'].includes(input.type)) continue;
      if (input.name === 'user' && login) fields.set('user', user);
      else if (input.name === 'password' && login) fields.set('password', password);
      else fields.append(input.name, input.value);
    }
    if (login) {
      formShown = true;
      if (!fields.has('user')) fields.set('user', user);
    }
    const target = new URL(form.action || '#', url);
    target.hash = '';
    url = target.href;
    init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() };
  }
  throw new Error(`${loginUrl}: no redirect to the service after 10 steps`);
}

export interface SamlPost {
  /** Where the IdP's auto-submitting form posts (the SP's ACS). */
  action: string;
  /** The form's fields: SAMLResponse and RelayState. */
  fields: URLSearchParams;
  /** Cookie header with the IdP's SSO session, for later SSO and logout. */
  cookie: string;
  formShown: boolean;
}

/**
 * SP-initiated SAML sign-in without a browser: GET the SP's redirect to the IdP's SSO endpoint; if
 * the login form comes, POST the credentials to the same URL (query included); LemonLDAP::NG then
 * answers with its auto-submitting form (`<form id="form" action="<ACS>">` with SAMLResponse and
 * RelayState), which is returned for the caller to POST like the page's script would.
 */
export async function samlFormLogin(ssoUrl: string, user: string, password: string, cookie?: string): Promise<SamlPost> {
  const jar = new CookieJar(cookie);
  let url = ssoUrl;
  let init: RequestInit = { method: 'GET' };
  let formShown = false;
  for (let step = 0; step < 10; step++) {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...jarHeaders(jar), ...(init.headers as Record<string, string> | undefined) } });
    jar.store(response);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      url = absolute(response.headers.get('location'), url);
      init = { method: 'GET' };
      continue;
    }
    const html = await response.text();
    const forms = response.status === 200 ? formsOf(html) : [];
    const post = forms.find((form) => form.inputs.some((input) => input.name === 'SAMLResponse'));
    if (post) {
      const fields = new URLSearchParams();
      for (const input of post.inputs) if (input.name === 'SAMLResponse' || input.name === 'RelayState') fields.append(input.name, input.value);
      return { action: new URL(post.action, url).href, fields, cookie: jar.header(), formShown };
    }
    const login = forms.find((form) => form.inputs.some((input) => input.type === 'password'));
    if (!login || formShown) throw new Error(`${init.method} ${url}: expected the login form or the SAML POST form, got HTTP ${response.status}${trmsg(html)}`);
    formShown = true;
    const fields = new URLSearchParams();
    for (const input of login.inputs) {
      if (['submit', 'button', 'checkbox', 'radio'].includes(input.type)) continue;
      if (input.name === 'user') fields.set('user', user);
      else if (input.name === 'password') fields.set('password', password);
      else fields.append(input.name, input.value);
    }
    if (!fields.has('user')) fields.set('user', user);
    const target = new URL(login.action || '#', url);
    target.hash = '';
    url = target.href;
    init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() };
  }
  throw new Error(`${ssoUrl}: no SAML POST form after 10 steps`);
}

/** `GET <casUrl>/login?service=…`, fill in the form: the ticket, the redirect and the SSO cookie. */
export async function casLogin(casUrl: string, service: string, user: string, password: string): Promise<{ ticket: string; cookie: string; location: string }> {
  const result = await formLogin(`${casUrl}/login?${new URLSearchParams({ service })}`, user, password);
  return { ticket: result.ticket, cookie: result.cookie, location: result.location };
}

/**
 * Single sign-on: `GET <casUrl>/login?service=…` with the SSO cookie from an earlier login. Fails
 * if the server shows the form instead of redirecting at once. `casUrlOrLoginUrl` may also be a
 * complete login URL (e.g. a provider's redirect URL), then `service` is ignored.
 */
export async function casLoginWithCookie(casUrlOrLoginUrl: string, service: string | undefined, cookie: string): Promise<{ ticket: string; cookie: string; location: string }> {
  const url = service === undefined ? casUrlOrLoginUrl : `${casUrlOrLoginUrl}/login?${new URLSearchParams({ service })}`;
  const jar = new CookieJar(cookie);
  const response = await fetch(url, { redirect: 'manual', headers: jarHeaders(jar) });
  jar.store(response);
  if (response.status !== 302) {
    throw new Error(`GET ${url} with the SSO cookie: expected an immediate redirect, got HTTP ${response.status}${trmsg(await response.text())}`);
  }
  const location = absolute(response.headers.get('location'), url);
  return { ticket: ticketFrom(location), cookie: jar.header(), location };
}

/** `GET <casUrl>/logout?service=…` with the SSO cookie: ends the CAS session (and triggers SLO). */
export async function casLogout(casUrl: string, cookie: string, service?: string): Promise<Response> {
  const url = `${casUrl}/logout${service ? `?${new URLSearchParams({ service })}` : ''}`;
  const response = await fetch(url, { redirect: 'manual', headers: { cookie } });
  await response.body?.cancel();
  return response;
}

function jarHeaders(jar: CookieJar): Record<string, string> {
  const header = jar.header();
  return header ? { cookie: header } : {};
}

function absolute(location: string | null, base: string): string {
  if (!location) throw new Error('redirect without a Location header');
  return new URL(location, base).href;
}

function trmsg(html: string): string {
  const code = /trmsg="(\d+)"/.exec(html)?.[1];
  return code ? ` (LemonLDAP::NG message code ${code})` : '';
}
