import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { boundedGet } from '../cas/http.js';
import { MetadataError, type IdpMetadata } from './metadata.js';
import { readMetadataIndex, threadOf } from './metadata-read.js';
import type { SamlProviderSettings } from './settings.js';

/**
 * Keeps the IdP's current metadata: inline or from a file (read once), or from a URL (fetched at
 * start-up, then again every `refreshSeconds` in the background). A failed refresh keeps the last
 * good copy, is logged and counted (onRefreshFailure); expired metadata (validUntil in the past)
 * is not used. Until a first copy is loaded, logins answer 502 and the provider is not ready.
 */

export interface MetadataSourceDeps {
  provider: string;
  displayName: string;
  log: { info(obj: Record<string, unknown>, msg: string): void; warn(obj: Record<string, unknown>, msg: string): void };
  fetch?: typeof fetch;
  onRefreshFailure?: () => void;
  onLoaded?: (metadata: IdpMetadata) => void;
  /** Documents at least this large are verified and parsed in a worker thread (default 256 KiB; tests lower it). */
  offThreadFromBytes?: number;
}

/**
 * What is kept of the metadata: one IdP, or for a federation (an aggregate and no configured
 * entityId) every member IdP by entityID.
 */
interface MetadataIndex {
  federation: boolean;
  entities: Map<string, IdpMetadata>;
  /** The aggregate's own validUntil (federation) or the one IdP's. */
  validUntil?: number | undefined;
  /** SHA-256 of the signed content. */
  digest: string;
}

export class MetadataSource {
  private current: MetadataIndex | undefined;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private loading: Promise<void> | undefined;
  private lastThread: number | undefined;

  /** Federation certificates the metadata must be signed with (none: not checked). */
  private readonly signers: string[];

  constructor(
    private readonly settings: SamlProviderSettings['idp'],
    private readonly deps: MetadataSourceDeps,
  ) {
    this.signers = [...(settings.metadataSigningCertificates ?? []), ...(settings.metadataSigningCertificateFiles ?? []).map((file) => readFileSync(file, 'utf8'))];
  }

  /** First load; never throws (the provider starts without metadata and retries). */
  async start(): Promise<void> {
    await this.load();
    if (this.settings.metadataUrl) this.schedule(this.current ? this.settings.refreshSeconds * 1000 : 30_000);
  }

  /**
   * The metadata to use now, or undefined (never loaded, expired, or not a member). A federation
   * answers only for the member named by `entityId`; a single IdP ignores it unless it differs.
   */
  get(entityId?: string): IdpMetadata | undefined {
    const index = this.current;
    if (!index || this.expired(index)) return undefined;
    let metadata: IdpMetadata | undefined;
    if (index.federation) metadata = entityId === undefined ? undefined : index.entities.get(entityId);
    else {
      metadata = index.entities.values().next().value;
      if (entityId !== undefined && metadata?.entityId !== entityId) return undefined;
    }
    if (metadata?.validUntil !== undefined && metadata.validUntil <= Date.now()) return undefined;
    return metadata;
  }

  /** The member IdPs of a federation (undefined: a single IdP, or nothing loaded). */
  members(): ReadonlyMap<string, IdpMetadata> | undefined {
    const index = this.current;
    return index?.federation && !this.expired(index) ? index.entities : undefined;
  }

  /** The federation certificates from the settings (inline and files). */
  signingCertificates(): string[] {
    return [...this.signers];
  }

  /** The thread the last document was read on (0: the main thread; more: a worker), for tests and the bench. */
  lastReadThread(): number | undefined {
    return this.lastThread;
  }

  /** Whether the metadata is a federation's (known once loaded). */
  isFederation(): boolean {
    return this.current?.federation === true;
  }

  private expired(index: MetadataIndex): boolean {
    return index.validUntil !== undefined && index.validUntil <= Date.now();
  }

  problem(): string | undefined {
    if (this.current && this.expired(this.current)) return 'IdP metadata expired (validUntil passed) and no newer copy could be loaded';
    return this.current ? undefined : (this.lastError ?? 'IdP metadata not loaded yet');
  }

  /** Loads once more now (also what the timer does). */
  load(): Promise<void> {
    this.loading ??= this.attempt().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.load().finally(() => this.schedule(this.current ? this.settings.refreshSeconds * 1000 : 30_000));
    }, ms);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    const started = Date.now();
    try {
      const raw = await this.read();
      const read = await readMetadataIndex({ raw, signers: this.signers, entityId: this.settings.entityId }, this.deps.offThreadFromBytes);
      this.lastThread = read.threadId;
      const parsed = read.index;
      const federation = parsed.aggregate && parsed.entities.length > 1;
      if (federation) {
        // A federation's members are trusted only because the federation signed the list, and only
        // while the federation says it is current.
        if (this.signers.length === 0) throw new MetadataError('an aggregate of several IdPs without idp.entityId is a federation: set idp.metadataSigningCertificates (the federation certificate)');
        if (parsed.validUntil === undefined) throw new MetadataError('the federation aggregate has no validUntil (an aggregate without an end date is refused)');
      }
      const first = parsed.entities[0] as IdpMetadata;
      const validUntil = federation ? parsed.validUntil : first.validUntil;
      if (validUntil !== undefined && validUntil <= Date.now()) throw new MetadataError('metadata has expired (validUntil is in the past)');
      const index: MetadataIndex = { federation, entities: new Map(parsed.entities.map((idp) => [idp.entityId, idp])), validUntil, digest: parsed.digest };
      const changed = this.current?.digest !== parsed.digest;
      this.current = index;
      this.lastError = undefined;
      if (changed) {
        if (!federation) this.deps.onLoaded?.(first);
        if (federation) this.deps.log.info({ idps: parsed.entities.length, skipped: parsed.skipped, worker: read.threadId !== 0, elapsedMs: Date.now() - started }, 'SAML federation metadata loaded');
        else this.deps.log.info({ entityId: first.entityId, certificates: first.signingCertificates.length, elapsedMs: Date.now() - started }, 'SAML IdP metadata loaded');
      }
    } catch (error) {
      this.lastThread = threadOf(error) ?? this.lastThread;
      const reason = error instanceof Error ? error.message : String(error);
      this.lastError = `IdP metadata cannot be loaded: ${reason}`;
      this.deps.onRefreshFailure?.();
      this.deps.log.warn(
        { source: this.describe(), reason, keepsPrevious: this.current !== undefined },
        this.current ? 'SAML IdP metadata refresh failed; the last good copy stays in use' : 'SAML IdP metadata cannot be loaded',
      );
    }
  }

  private describe(): string {
    return this.settings.metadataUrl ?? this.settings.metadataFile ?? 'inline';
  }

  private async read(): Promise<string> {
    const { metadataUrl, metadataFile, metadata, maxMetadataBytes } = this.settings;
    if (metadata !== undefined) return metadata;
    if (metadataFile !== undefined) {
      const content = await readFile(metadataFile, 'utf8');
      if (Buffer.byteLength(content) > maxMetadataBytes) throw new MetadataError(`${metadataFile} is larger than ${maxMetadataBytes} bytes`);
      return content;
    }
    return boundedGet(metadataUrl as string, {
      provider: this.deps.provider,
      displayName: this.deps.displayName,
      timeoutMs: this.settings.timeoutMs,
      maxBytes: maxMetadataBytes,
      fetch: this.deps.fetch ?? globalThis.fetch,
      purpose: 'SAML metadata download',
      logUrl: metadataUrl as string,
    });
  }
}
