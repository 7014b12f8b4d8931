import * as client from 'openid-client';
import { GatewayError } from '../../errors/gateway-error.js';
import { idpMisconfigured } from '../misconfigured.js';
import type { OidcProviderSettings } from './settings.js';

/**
 * The IdP's metadata, loaded once and kept: discovery is never on the login path. Loaded at start
 * in the background (start-up never fails because the IdP is briefly down), retried with backoff
 * while it fails, refreshed every `discoveryRefreshSeconds` (a failed refresh keeps the last good
 * metadata). A login that arrives while nothing is loaded tries once more on the spot (shared
 * by concurrent logins, at most once a second) and otherwise gets 502 "IdP unavailable".
 */

export interface DiscoveryLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** The endpoints the gateway uses, after split-horizon rewriting. */
export interface ResolvedMetadata {
  metadata: client.ServerMetadata;
  /** Where the discovery document was read. */
  discoveryUrl: string;
  /** Whether any endpoint is plain http (then openid-client must be told to allow it). */
  insecure: boolean;
}

const MAX_DISCOVERY_BYTES = 512 * 1024;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;
const ON_DEMAND_INTERVAL_MS = 1000;

/**
 * A discovery document that was fetched but does not fit the configuration (another issuer, a
 * missing endpoint, plain http): retrying does not help, the operator must change a setting.
 */
export class DiscoveryMismatchError extends Error {
  override readonly name = 'DiscoveryMismatchError';
  constructor(
    message: string,
    /** What the operator should change. */
    readonly fix: string,
  ) {
    super(message);
  }
}

const ISSUER_FIX =
  'set issuer to the value of "issuer" in the discovery document, character for character (a trailing slash included or not); behind a proxy, make the IdP publish its public URL';
const ENDPOINT_FIX = 'the IdP must publish it in its discovery document, or set it under endpoints';
const HTTP_FIX = 'use https at the IdP, or set allowHttp: true for an in-cluster address';

/** What to check when the discovery document cannot be fetched at all. */
export const UNREACHABLE_FIX =
  'check that the gateway reaches the IdP at this address (DNS, firewall, proxy, TLS trust); inside a cluster set backchannelUrl to the address the gateway uses; a 404 means issuer or discoveryUrl is wrong';

/** `<issuer without trailing slash>/.well-known/openid-configuration`, on the back channel when configured. */
export function discoveryUrlFor(settings: OidcProviderSettings): string {
  if (settings.discoveryUrl) return settings.discoveryUrl;
  const base = settings.backchannelUrl ?? settings.issuer.replace(/\/+$/, '');
  return `${base}/.well-known/openid-configuration`;
}

/** Pure: validates a discovery document and applies backchannelUrl and explicit endpoints. */
export function resolveMetadata(document: unknown, settings: OidcProviderSettings, discoveryUrl: string): ResolvedMetadata {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error('the discovery document is not a JSON object');
  }
  const doc = document as Record<string, unknown>;
  if (doc.issuer !== settings.issuer) {
    throw new DiscoveryMismatchError(
      `the discovery document names issuer ${JSON.stringify(doc.issuer)}, not the configured ${JSON.stringify(settings.issuer)} (they must match exactly, trailing slash included)`,
      ISSUER_FIX,
    );
  }
  const issuerBase = settings.issuer.replace(/\/+$/, '');
  const backchannel = (value: unknown): string | undefined => {
    if (typeof value !== 'string' || value === '') return undefined;
    if (settings.backchannelUrl && (value === issuerBase || value.startsWith(`${issuerBase}/`))) {
      return settings.backchannelUrl + value.slice(issuerBase.length);
    }
    return value;
  };
  const frontchannel = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const endpoints = settings.endpoints ?? {};
  const metadata: Record<string, unknown> = { ...doc, issuer: settings.issuer };
  const authorization = endpoints.authorization ?? frontchannel(doc.authorization_endpoint);
  const token = endpoints.token ?? backchannel(doc.token_endpoint);
  const jwks = endpoints.jwks ?? backchannel(doc.jwks_uri);
  const userinfo = endpoints.userinfo ?? backchannel(doc.userinfo_endpoint);
  const endSession = endpoints.endSession ?? frontchannel(doc.end_session_endpoint);
  if (!authorization) throw new DiscoveryMismatchError('the discovery document has no authorization_endpoint', ENDPOINT_FIX);
  if (!token) throw new DiscoveryMismatchError('the discovery document has no token_endpoint', ENDPOINT_FIX);
  if (!jwks) throw new DiscoveryMismatchError('the discovery document has no jwks_uri', ENDPOINT_FIX);
  metadata.authorization_endpoint = authorization;
  metadata.token_endpoint = token;
  metadata.jwks_uri = jwks;
  if (userinfo) metadata.userinfo_endpoint = userinfo;
  else delete metadata.userinfo_endpoint;
  if (endSession) metadata.end_session_endpoint = endSession;
  else delete metadata.end_session_endpoint;
  const used = [authorization, token, jwks, userinfo, endSession, discoveryUrl].filter((url): url is string => url !== undefined);
  for (const url of used) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`the discovery document has an invalid URL: ${url.slice(0, 200)}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`unsupported URL scheme in ${url.slice(0, 200)}`);
    if (parsed.protocol === 'http:' && !settings.allowHttp && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
      throw new DiscoveryMismatchError(`the IdP reports a plain http endpoint (${url.slice(0, 200)})`, HTTP_FIX);
    }
  }
  return { metadata: metadata as unknown as client.ServerMetadata, discoveryUrl, insecure: used.some((url) => url.startsWith('http:')) };
}

/** Reads the discovery document with a time and size limit. */
export async function fetchDiscovery(url: string, timeoutMs: number, fetchImpl: typeof fetch = fetch, abort?: AbortSignal): Promise<unknown> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const response = await fetchImpl(url, {
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal: abort ? AbortSignal.any([timeout, abort]) : timeout,
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`${url} answered HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_DISCOVERY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`${url} is larger than ${MAX_DISCOVERY_BYTES} bytes`);
  }
  const text = await response.text();
  if (text.length > MAX_DISCOVERY_BYTES) throw new Error(`${url} is larger than ${MAX_DISCOVERY_BYTES} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${url} is not JSON`);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer in time';
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return `${error.message} (${cause.code})`;
    return error.message;
  }
  return String(error);
}

export interface LoadedMetadata extends ResolvedMetadata {
  loadedAt: number;
}

export class DiscoveryCache {
  private current: LoadedMetadata | undefined;
  private lastError: string | undefined;
  /** Set when the last failure was a document that does not fit the settings (not an outage). */
  private lastMismatch: DiscoveryMismatchError | undefined;
  private inflight: Promise<LoadedMetadata> | undefined;
  private lastAttempt = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Aborted by close(): a shutdown never waits for a discovery request's time-out. */
  private readonly aborter = new AbortController();
  private readonly listeners: Array<(loaded: LoadedMetadata) => void> = [];

  constructor(
    private readonly provider: string,
    private readonly displayName: string,
    private readonly settings: OidcProviderSettings,
    private readonly log: DiscoveryLog,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Called with every newly loaded metadata (the provider rebuilds its client configuration). */
  onLoad(listener: (loaded: LoadedMetadata) => void): void {
    this.listeners.push(listener);
  }

  /** Starts loading in the background; never throws. */
  start(): void {
    void this.attempt().catch(() => undefined);
  }

  /** The loaded metadata, or a 502 idp_unavailable GatewayError. */
  async get(): Promise<LoadedMetadata> {
    if (this.current) return this.current;
    if (this.inflight) return this.wrap(this.inflight);
    if (Date.now() - this.lastAttempt < ON_DEMAND_INTERVAL_MS) throw this.unavailable();
    return this.wrap(this.attempt());
  }

  /** Loaded metadata without waiting (undefined until the first success). */
  peek(): LoadedMetadata | undefined {
    return this.current;
  }

  status(): { ok: boolean; detail?: string } {
    if (this.current) {
      const stale = this.lastError ? `; last refresh failed: ${this.lastError}` : '';
      return { ok: true, detail: `discovery loaded from ${this.current.discoveryUrl}${stale}` };
    }
    return { ok: false, detail: this.lastError ? `discovery failed: ${this.lastError}` : 'discovery not loaded yet' };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.aborter.abort(new Error('the gateway is shutting down'));
  }

  private async wrap(promise: Promise<LoadedMetadata>): Promise<LoadedMetadata> {
    try {
      return await promise;
    } catch {
      throw this.unavailable();
    }
  }

  private unavailable(): GatewayError {
    if (this.lastMismatch) {
      return idpMisconfigured({ provider: this.provider, displayName: this.displayName, problem: this.lastMismatch.message, fix: this.lastMismatch.fix, detail: { stage: 'discovery' } });
    }
    return new GatewayError('idp_unavailable', `Sign-in with ${this.displayName} is unavailable right now: ${this.displayName} cannot be reached. Please try again in a moment.`, {
      level: 'warn',
      detail: { provider: this.provider, reason: this.lastError ?? 'discovery not loaded' },
      retryAfterSeconds: 5,
    });
  }

  private attempt(): Promise<LoadedMetadata> {
    if (this.inflight) return this.inflight;
    this.lastAttempt = Date.now();
    const url = discoveryUrlFor(this.settings);
    this.inflight = (async () => {
      try {
        const document = await fetchDiscovery(url, this.settings.timeoutMs, this.fetchImpl, this.aborter.signal);
        const loaded: LoadedMetadata = { ...resolveMetadata(document, this.settings, url), loadedAt: Date.now() };
        const first = this.current === undefined;
        this.current = loaded;
        this.lastError = undefined;
        this.lastMismatch = undefined;
        this.failures = 0;
        for (const listener of this.listeners) listener(loaded);
        if (first) this.log.info({ discoveryUrl: url }, 'identity provider metadata loaded');
        this.schedule(this.settings.discoveryRefreshSeconds * 1000);
        return loaded;
      } catch (error) {
        if (this.closed) throw error;
        this.lastError = describe(error);
        this.lastMismatch = error instanceof DiscoveryMismatchError ? error : undefined;
        this.failures += 1;
        const retryMs = this.current ? Math.min(this.settings.discoveryRefreshSeconds * 1000, MAX_RETRY_MS) : Math.min(FIRST_RETRY_MS * 2 ** (this.failures - 1), MAX_RETRY_MS);
        const fields = { discoveryUrl: url, reason: this.lastError, retryInMs: retryMs, keepingPrevious: this.current !== undefined };
        if (this.lastMismatch) {
          this.log.warn({ ...fields, misconfigured: true, fix: this.lastMismatch.fix }, `${this.provider}: the discovery document does not fit the configuration: ${this.lastMismatch.message}; ${this.lastMismatch.fix}`);
        } else {
          this.log.warn({ ...fields, fix: UNREACHABLE_FIX }, `${this.provider}: identity provider metadata could not be loaded from ${url} (${this.lastError}); ${UNREACHABLE_FIX}`);
        }
        this.schedule(retryMs);
        throw error;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt().catch(() => undefined), ms);
    this.timer.unref();
  }
}
