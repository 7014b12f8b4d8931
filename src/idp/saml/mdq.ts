import { GatewayError } from '../../errors/gateway-error.js';
import { boundedGet } from '../cas/http.js';
import { MetadataError, parseIdpMetadata, type IdpMetadata } from './metadata.js';
import { verifyMetadataSignature } from './metadata-signature.js';
import { parseXmlDocument } from '../cas/xml.js';

/**
 * Metadata Query protocol (MDQ, draft-young-md-query-saml): one IdP's metadata on demand,
 * `GET <base>/entities/<url-encoded entityID>`, instead of the whole aggregate. Each answer must be
 * signed by the federation's certificate (checked like an aggregate: one enveloped signature over
 * the root, only the signed bytes read), be the EntityDescriptor asked for, and be current; it is
 * kept until its validUntil or cacheDuration (at most `maxCacheSeconds`), whichever comes first.
 * An entity the service does not know (404) or whose answer fails the checks is remembered as
 * unknown for `negativeCacheSeconds`, so hostile hints cannot make the gateway hammer the service;
 * concurrent lookups of one entity share one request; the cache holds at most `maxEntries`.
 */

export interface MdqSettings {
  baseUrl: string;
  signers: string[];
  timeoutMs: number;
  maxBytes: number;
  maxCacheSeconds: number;
  negativeCacheSeconds: number;
  maxEntries: number;
}

export interface MdqDeps {
  provider: string;
  displayName: string;
  log: { warn(obj: Record<string, unknown>, msg: string): void };
  fetch?: typeof fetch;
}

interface Entry {
  metadata: IdpMetadata | undefined;
  until: number;
}

/** xs:duration as MDQ answers use it (PnYnMnDTnHnMnS), in ms; undefined when absent or malformed. */
export function parseDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (!match || value.trim() === 'P' || value.trim().endsWith('T')) return undefined;
  const [, y, mo, d, h, mi, s] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return ((((y ?? 0) * 365 + (mo ?? 0) * 30 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (mi ?? 0)) * 60_000 + (s ?? 0) * 1000;
}

export class MdqSource {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<IdpMetadata | undefined>>();

  constructor(
    private readonly settings: MdqSettings,
    private readonly deps: MdqDeps,
  ) {}

  /** The IdP's current metadata, or undefined when the service does not vouch for it. Throws GatewayError when the service cannot be reached. */
  async lookup(entityId: string): Promise<IdpMetadata | undefined> {
    const cached = this.cache.get(entityId);
    if (cached && cached.until > Date.now() && (cached.metadata?.validUntil === undefined || cached.metadata.validUntil > Date.now())) return cached.metadata;
    let pending = this.inflight.get(entityId);
    if (!pending) {
      pending = this.fetchEntity(entityId).finally(() => this.inflight.delete(entityId));
      this.inflight.set(entityId, pending);
    }
    return pending;
  }

  private remember(entityId: string, metadata: IdpMetadata | undefined, until: number): void {
    this.cache.delete(entityId);
    if (this.cache.size >= this.settings.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(entityId, { metadata, until });
  }

  private async fetchEntity(entityId: string): Promise<IdpMetadata | undefined> {
    const url = `${this.settings.baseUrl.replace(/\/+$/, '')}/entities/${encodeURIComponent(entityId)}`;
    const now = Date.now();
    let raw: string;
    try {
      raw = await boundedGet(url, {
        provider: this.deps.provider,
        displayName: this.deps.displayName,
        timeoutMs: this.settings.timeoutMs,
        maxBytes: this.settings.maxBytes,
        fetch: this.deps.fetch ?? globalThis.fetch,
        purpose: 'SAML MDQ lookup',
        logUrl: url.slice(0, 300),
      });
    } catch (error) {
      if (error instanceof GatewayError && error.detail?.status === 404) {
        this.remember(entityId, undefined, now + this.settings.negativeCacheSeconds * 1000);
        return undefined;
      }
      throw error;
    }
    try {
      const xml = verifyMetadataSignature(raw, this.settings.signers);
      const root = parseXmlDocument(xml);
      if (root.local !== 'EntityDescriptor') throw new MetadataError(`the answer is a ${root.qname}, not one EntityDescriptor`);
      const metadata = parseIdpMetadata(xml, entityId);
      if (metadata.validUntil === undefined) throw new MetadataError('the answer has no validUntil');
      if (metadata.validUntil <= now) throw new MetadataError('the answer has expired (validUntil is in the past)');
      const cacheFor = Math.min(parseDuration(root.attributes.cacheDuration) ?? Number.POSITIVE_INFINITY, this.settings.maxCacheSeconds * 1000);
      this.remember(entityId, metadata, Math.min(metadata.validUntil, now + cacheFor));
      return metadata;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.log.warn({ provider: this.deps.provider, entityId: entityId.slice(0, 200), reason }, 'SAML MDQ answer refused');
      this.remember(entityId, undefined, now + this.settings.negativeCacheSeconds * 1000);
      return undefined;
    }
  }
}
