import { randomBytes } from 'node:crypto';
import { SAML, ValidateInResponseTo, type CacheProvider, type SamlConfig } from '@node-saml/node-saml';
import { GatewayError } from '../../errors/gateway-error.js';
import type { BackchannelLogout, FrontchannelLogout, IdentityProvider, LoginFinish, LoginRequest, LoginResult, LoginStart, ProviderDocument, ProviderMember } from '../provider.js';
import { attributeClaims, MissingIdError, samlIdentity } from './attributes.js';
import { BEARER, instant, readAssertion, readResponseEnvelope, SamlDocumentError, screenDocument, STATUS_SUCCESS, type AssertionContent, type NameId } from './assertion.js';
import type { IdpMetadata } from './metadata.js';
import { MetadataSource } from './metadata-source.js';
import { MdqSource } from './mdq.js';
import { peekRedirectIssuer, readLogoutRequest, readLogoutResponse, readRedirectMessage } from './redirect-binding.js';
import { NAMEID_FORMATS, type SamlProviderSettings } from './settings.js';
import { spMetadataXml } from './sp-metadata.js';

/**
 * SAML 2.0 provider kind (Web Browser SSO profile, Single Logout).
 *
 * Login: the browser goes to the IdP's HTTP-Redirect SSO endpoint with an AuthnRequest (signed when
 * the IdP wants it) and `RelayState` = the login transaction id; the IdP POSTs the Response to the
 * ACS, `<publicUrl>/auth/<name>/callback` (the login flow turns that POST into its callback). The
 * AuthnRequest's ID is kept in the transaction: the assertion must answer exactly it.
 *
 * What a Response must pass, in this order: the screen (no DTD, entity, comment or processing
 * instruction), Status Success, Destination = ACS, then node-saml (xml-crypto ≥ 6.0.1): the
 * required signatures by a certificate from the IdP metadata, decryption, Conditions time window
 * with the configured skew, Audience = the SP entityID. Then, on the signed assertion only: Issuer =
 * the IdP's entityID, a bearer SubjectConfirmation with Recipient = ACS, InResponseTo = the
 * AuthnRequest ID and NotOnOrAfter in the future, an AuthnStatement. The assertion ID goes back to
 * the flow, which refuses it a second time until it expires (in the store: across replicas).
 *
 * Single Logout (HTTP-Redirect, signed both ways) at `<publicUrl>/auth/<name>/logout`; the SP
 * metadata at `<publicUrl>/auth/<name>/metadata`.
 */

export interface SamlProviderDeps {
  log: {
    info(obj: Record<string, unknown>, msg: string): void;
    warn(obj: Record<string, unknown>, msg: string): void;
    error(obj: Record<string, unknown>, msg: string): void;
  };
  /** `<publicUrl>` without trailing slash. */
  publicUrl: string;
  /** PEM certificates of the SP key: the current one, and the next one during a rollover. */
  certificates: string[];
  fetch?: typeof fetch;
  onMetadataRefreshFailure?: () => void;
}

/** RelayState as the gateway sends it: the login transaction id. */
const RELAY_STATE = /^[A-Za-z0-9_-]{1,128}$/;
/** Base64 as a SAMLResponse form field carries it (line breaks allowed). */
const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}[\r\n]*$/;

/** node-saml needs a cache for InResponseTo only when it checks it itself; the transaction does that here. */
const NO_CACHE: CacheProvider = {
  saveAsync: async () => null,
  getAsync: async () => null,
  removeAsync: async () => null,
};

const startAgain = 'Please go back to the meeting link and sign in again.';

export function createSamlProvider(name: string, settings: SamlProviderSettings, deps: SamlProviderDeps): SamlProvider {
  return new SamlProvider(name, settings, deps);
}

export class SamlProvider implements IdentityProvider {
  readonly kind = 'saml' as const;
  readonly displayName: string;
  readonly callbackBinding = 'form_post' as const;
  readonly acceptsUnsolicited: boolean;
  readonly entityId: string;
  readonly acsUrl: string;
  readonly sloUrl: string;
  readonly metadataUrl: string;
  private readonly source: MetadataSource;
  private readonly memberCache = new WeakMap<object, Map<string, ProviderMember>>();
  /** The federation's MDQ service, when the metadata comes from one (idp.mdqUrl). */
  private readonly mdq: MdqSource | undefined;
  readonly findMember?: (id: string) => Promise<ProviderMember | undefined>;

  constructor(
    readonly name: string,
    private readonly settings: SamlProviderSettings,
    private readonly deps: SamlProviderDeps,
  ) {
    this.displayName = settings.displayName ?? name;
    this.acceptsUnsolicited = settings.allowIdpInitiated;
    const base = `${deps.publicUrl}/auth/${name}`;
    this.acsUrl = `${base}/callback`;
    this.sloUrl = `${base}/logout`;
    this.metadataUrl = `${base}/metadata`;
    this.entityId = settings.sp.entityId ?? this.metadataUrl;
    const sourceDeps: ConstructorParameters<typeof MetadataSource>[1] = { provider: name, displayName: this.displayName, log: deps.log };
    if (deps.fetch) sourceDeps.fetch = deps.fetch;
    if (deps.onMetadataRefreshFailure) sourceDeps.onRefreshFailure = deps.onMetadataRefreshFailure;
    this.source = new MetadataSource(settings.idp, sourceDeps);
    if (settings.idp.mdqUrl) {
      const mdqDeps: ConstructorParameters<typeof MdqSource>[1] = { provider: name, displayName: this.displayName, log: deps.log };
      if (deps.fetch) mdqDeps.fetch = deps.fetch;
      this.mdq = new MdqSource(
        {
          baseUrl: settings.idp.mdqUrl,
          signers: this.source.signingCertificates(),
          timeoutMs: settings.idp.timeoutMs,
          maxBytes: Math.min(settings.idp.maxMetadataBytes, 1024 * 1024),
          maxCacheSeconds: settings.idp.mdqMaxCacheSeconds ?? 6 * 3600,
          negativeCacheSeconds: 300,
          maxEntries: 10_000,
        },
        mdqDeps,
      );
      const mdq = this.mdq;
      this.findMember = async (id) => {
        const idp = await mdq.lookup(id);
        return idp ? memberOf(idp) : undefined;
      };
    }
  }

  /** Loads the IdP metadata (a failure is logged; the provider then answers 502 until it loads). MDQ: nothing to load ahead. */
  async start(): Promise<void> {
    if (!this.mdq) await this.source.start();
  }

  /** The IdP for a login or its answer: from MDQ (by the transaction's entityID), else from the metadata. */
  private async resolveIdp(entityId?: string): Promise<IdpMetadata> {
    if (!this.mdq) return this.idp(entityId);
    const found = entityId === undefined ? undefined : await this.mdq.lookup(entityId);
    if (!found) {
      throw new GatewayError('invalid_request', `${this.displayName}: this sign-in names no institution of the federation. ${startAgain}`, {
        detail: { provider: this.name, reason: entityId === undefined ? 'no member IdP bound to this login' : 'the MDQ service does not vouch for this IdP', entityId: entityId?.slice(0, 200) },
        level: 'warn',
      });
    }
    return found;
  }

  /**
   * Prefix of the session indexes: in a federation, SessionIndex and NameID values are only unique
   * per IdP, so they are qualified by its entityID (one member cannot end another member's sessions).
   */
  private indexQualifier(idp: IdpMetadata): string {
    return this.isFederation() ? `${idp.entityId} ` : '';
  }

  /** Whether logins name one member of a federation (aggregate or MDQ). */
  private isFederation(): boolean {
    return this.mdq !== undefined || this.source.isFederation();
  }

  /**
   * The IdP to talk to: the one of the metadata, or for a federation the member bound to the login
   * transaction (`entityId`, from startLogin's secrets). A federation without one, or with one that
   * is no longer a member, is refused.
   */
  private idp(entityId?: string): IdpMetadata {
    if (this.source.isFederation() && this.source.members()) {
      const member = entityId === undefined ? undefined : this.source.get(entityId);
      if (!member) {
        throw new GatewayError('invalid_request', `${this.displayName}: this sign-in names no institution of the federation. ${startAgain}`, {
          detail: { provider: this.name, reason: entityId === undefined ? 'no member IdP bound to this login' : 'the IdP is not (or no longer) a member', entityId: entityId?.slice(0, 200) },
          level: 'warn',
        });
      }
      return member;
    }
    const metadata = this.source.get();
    if (!metadata) {
      throw new GatewayError('idp_unavailable', `Sign-in with ${this.displayName} is not available right now. Please try again in a moment.`, {
        detail: { provider: this.name, reason: this.source.problem() },
      });
    }
    return metadata;
  }

  /** node-saml for one operation, configured from the current metadata. */
  private saml(idp: IdpMetadata, extra: Partial<SamlConfig> = {}): SAML {
    const { settings } = this;
    const signature = settings.requireSignature;
    const config: SamlConfig = {
      idpCert: idp.signingCertificates,
      issuer: this.entityId,
      audience: this.entityId,
      callbackUrl: this.acsUrl,
      entryPoint: idp.ssoRedirectUrl,
      idpIssuer: idp.entityId,
      identifierFormat: settings.nameIdFormat === 'unspecified' ? null : NAMEID_FORMATS[settings.nameIdFormat],
      wantAssertionsSigned: signature === 'assertion' || signature === 'both',
      wantAuthnResponseSigned: signature === 'response' || signature === 'both',
      acceptedClockSkewMs: settings.clockSkewSeconds * 1000,
      validateInResponseTo: ValidateInResponseTo.never,
      cacheProvider: NO_CACHE,
      decryptionPvk: settings.sp.privateKey,
      signatureAlgorithm: settings.signatureAlgorithm,
      disableRequestedAuthnContext: settings.authnContext.length === 0,
      authnContext: settings.authnContext,
      ...extra,
    };
    if (idp.sloRedirectUrl) config.logoutUrl = idp.sloRedirectUrl;
    return new SAML(config);
  }

  private signsAuthnRequests(idp: IdpMetadata): boolean {
    const mode = this.settings.signAuthnRequests;
    return mode === 'always' || (mode === 'auto' && idp.wantAuthnRequestsSigned);
  }

  transactionId(params: URLSearchParams): string | undefined {
    const values = params.getAll('RelayState');
    if (values.length !== 1) return undefined;
    const relay = values[0] as string;
    return RELAY_STATE.test(relay) ? relay : undefined;
  }

  members(): ReadonlyMap<string, ProviderMember> | undefined {
    const entities = this.source.members();
    if (!entities) return undefined;
    let members = this.memberCache.get(entities);
    if (!members) {
      members = new Map();
      for (const idp of entities.values()) members.set(idp.entityId, memberOf(idp));
      this.memberCache.set(entities, members);
    }
    return members;
  }

  async startLogin(request: LoginRequest): Promise<LoginStart> {
    const idp = await this.resolveIdp(request.member);
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const options: Partial<SamlConfig> = { generateUniqueId: () => requestId, forceAuthn: request.forceLogin === true };
    if (this.signsAuthnRequests(idp)) options.privateKey = this.settings.sp.privateKey;
    const redirectUrl = await this.saml(idp, options).getAuthorizeUrlAsync(request.transactionId, undefined, {});
    return { redirectUrl, secrets: this.isFederation() ? { requestId, entityId: idp.entityId } : { requestId } };
  }

  async finishLogin(finish: LoginFinish): Promise<LoginResult> {
    // A federation: only the member the person chose may answer this login (its Issuer, its keys).
    const idp = await this.resolveIdp(finish.secrets.entityId);
    const encoded = this.singleResponse(finish.params);
    const xml = Buffer.from(encoded, 'base64').toString('utf8');
    const refuse = (reason: string, extra: Record<string, unknown> = {}) =>
      new GatewayError('invalid_request', `The sign-in answer from ${this.displayName} could not be verified. ${startAgain}`, {
        detail: { provider: this.name, reason, ...extra },
        level: 'warn',
      });

    let envelope;
    try {
      envelope = readResponseEnvelope(screenDocument(xml));
    } catch (error) {
      throw refuse(error instanceof SamlDocumentError ? error.message : 'unreadable response', { bytes: xml.length });
    }
    if (envelope.status !== STATUS_SUCCESS) throw this.statusError(envelope.status, envelope.subStatus, envelope.statusMessage);
    if (envelope.assertions + envelope.encryptedAssertions !== 1) throw refuse(`the Response holds ${envelope.assertions + envelope.encryptedAssertions} assertions, not one`);
    if (this.settings.requireEncryptedAssertion && envelope.encryptedAssertions !== 1) throw refuse('the assertion is not encrypted (requireEncryptedAssertion)');
    if (envelope.destination !== undefined && envelope.destination !== this.acsUrl) throw refuse('Destination is not this ACS', { destination: envelope.destination.slice(0, 200) });
    // Undefined for an unsolicited response (IdP-initiated, only when allowIdpInitiated).
    const requestId = finish.secrets.requestId;
    if (envelope.inResponseTo !== undefined && envelope.inResponseTo !== requestId) throw refuse('InResponseTo names another request');

    let assertionXml: string;
    try {
      const { profile } = await this.saml(idp).validatePostResponseAsync({ SAMLResponse: encoded });
      const signed = profile?.getAssertionXml?.();
      if (!signed) throw new Error('no assertion');
      assertionXml = signed;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/expired|not yet valid/i.test(message)) {
        throw new GatewayError('login_expired', `Your sign-in at ${this.displayName} is no longer valid (it took too long, or the clocks disagree). ${startAgain}`, {
          detail: { provider: this.name, reason: message.slice(0, 200) },
          level: 'warn',
        });
      }
      throw refuse(message.slice(0, 200));
    }

    let assertion: AssertionContent;
    try {
      assertion = readAssertion(assertionXml);
    } catch (error) {
      throw refuse(error instanceof SamlDocumentError ? error.message : 'unreadable assertion');
    }
    const validUntil = this.checkAssertion(assertion, idp, requestId, refuse);

    const { claims, outOfScope } = attributeClaims(assertion.attributes, idp.scopes, this.settings.checkScopes);
    if (outOfScope.length > 0) this.deps.log.warn({ dropped: outOfScope.slice(0, 10), scopes: idp.scopes.map((scope) => scope.value) }, 'SAML scoped attribute values outside the IdP scopes were dropped');
    let identity;
    try {
      identity = samlIdentity(this.name, assertion.nameId, claims, this.settings.attributes, { emailsAuthoritative: this.settings.emailsAuthoritative });
    } catch (error) {
      if (!(error instanceof MissingIdError)) throw error;
      throw new GatewayError('idp_error', `${this.displayName} did not release the attribute that identifies you. Tell your administrator.`, {
        detail: { provider: this.name, reason: error.message, attributes: Object.keys(claims).slice(0, 50), nameIdFormat: assertion.nameId?.format },
      });
    }

    const sessionIndexes: string[] = [];
    const qualify = this.indexQualifier(idp);
    if (assertion.sessionIndex) sessionIndexes.push(`si:${qualify}${assertion.sessionIndex}`);
    if (assertion.nameId?.value) sessionIndexes.push(`nameid:${qualify}${assertion.nameId.value}`);
    const hint: LogoutHint = { nameId: assertion.nameId };
    if (this.isFederation()) hint.entityId = idp.entityId;
    if (assertion.sessionIndex) hint.sessionIndex = assertion.sessionIndex;
    return {
      identity,
      sessionIndexes,
      logoutHint: assertion.nameId ? JSON.stringify(hint) : undefined,
      replay: {
        id: `${idp.entityId} ${assertion.id}`,
        ttlSeconds: Math.max(60, Math.ceil((validUntil - Date.now()) / 1000) + this.settings.clockSkewSeconds),
      },
    } satisfies LoginResult;
  }

  /** The checks node-saml leaves to its caller; returns until when the assertion may be used (ms). */
  private checkAssertion(assertion: AssertionContent, idp: IdpMetadata, requestId: string | undefined, refuse: (reason: string, extra?: Record<string, unknown>) => GatewayError): number {
    if (assertion.issuer !== idp.entityId) throw refuse('the assertion Issuer is not the IdP', { issuer: assertion.issuer.slice(0, 200) });
    if (!assertion.hasAuthnStatement) throw refuse('the assertion has no AuthnStatement');
    if (!assertion.audiences.includes(this.entityId)) throw refuse('the assertion is for another audience');
    const now = Date.now();
    const skew = this.settings.clockSkewSeconds * 1000;
    let validUntil: number | undefined;
    const problems: string[] = [];
    for (const confirmation of assertion.confirmations) {
      if (confirmation.method !== BEARER) {
        problems.push('not bearer');
        continue;
      }
      if (confirmation.recipient !== this.acsUrl) {
        problems.push('Recipient is not this ACS');
        continue;
      }
      const notOnOrAfter = instant(confirmation.notOnOrAfter, 'SubjectConfirmationData NotOnOrAfter');
      const notBefore = instant(confirmation.notBefore, 'SubjectConfirmationData NotBefore');
      if (notOnOrAfter === undefined || now - skew >= notOnOrAfter) {
        problems.push('expired');
        continue;
      }
      if (notBefore !== undefined && now + skew < notBefore) {
        problems.push('not yet valid');
        continue;
      }
      // A login the gateway started must answer its AuthnRequest; an unsolicited one (IdP-initiated,
      // only when enabled) must answer none.
      const expected = requestId ?? (this.settings.allowIdpInitiated ? undefined : null);
      if (expected === null || confirmation.inResponseTo !== expected) {
        problems.push(confirmation.inResponseTo === undefined ? 'unsolicited (no InResponseTo)' : 'InResponseTo names another request');
        continue;
      }
      validUntil = notOnOrAfter;
      break;
    }
    if (validUntil === undefined) {
      if (problems.includes('expired') || problems.includes('not yet valid')) {
        throw new GatewayError('login_expired', `Your sign-in at ${this.displayName} is no longer valid (it took too long, or the clocks disagree). ${startAgain}`, {
          detail: { provider: this.name, reason: `no usable SubjectConfirmation: ${problems.join(', ')}` },
          level: 'warn',
        });
      }
      throw refuse(`no usable bearer SubjectConfirmation (${problems.join(', ') || 'none'})`);
    }
    const conditionsEnd = instant(assertion.notOnOrAfter, 'Conditions NotOnOrAfter');
    return Math.max(validUntil, conditionsEnd ?? 0);
  }

  private singleResponse(params: URLSearchParams): string {
    const values = params.getAll('SAMLResponse');
    const value = values[0];
    if (values.length !== 1 || value === undefined || value === '') {
      throw new GatewayError('invalid_request', `The answer from ${this.displayName} did not contain a SAML response. ${startAgain}`, {
        detail: { provider: this.name, reason: values.length > 1 ? 'more than one SAMLResponse' : 'no SAMLResponse' },
      });
    }
    if (value.length > Math.ceil((this.settings.maxResponseBytes * 4) / 3) + 4) {
      throw new GatewayError('payload_too_large', `The answer from ${this.displayName} is too large.`, {
        detail: { provider: this.name, reason: 'SAMLResponse larger than maxResponseBytes', length: value.length },
      });
    }
    if (!BASE64.test(value)) {
      throw new GatewayError('invalid_request', `The sign-in answer from ${this.displayName} could not be read. ${startAgain}`, {
        detail: { provider: this.name, reason: 'SAMLResponse is not base64' },
      });
    }
    return value;
  }

  private statusError(status: string, subStatus: string | undefined, message: string | undefined): GatewayError {
    const short = (value: string | undefined) => value?.replace(/^urn:oasis:names:tc:SAML:2\.0:status:/, '');
    const detail = { provider: this.name, status: short(status), subStatus: short(subStatus), statusMessage: message };
    const sub = short(subStatus);
    if (sub === 'AuthnFailed' || sub === 'RequestDenied' || sub === 'NoPassive' || sub === 'NoAuthnContext') {
      return new GatewayError('access_denied', `${this.displayName} did not sign you in${sub === 'NoAuthnContext' ? ' with the required method' : ''}. If you think this is wrong, contact your administrator.`, {
        detail,
        level: 'warn',
      });
    }
    return new GatewayError('idp_error', `${this.displayName} could not sign you in. Please try again; if it keeps happening, tell your administrator.`, { detail });
  }

  async logoutUrl(session: { logoutHint?: string }, returnUrl: string): Promise<string | undefined> {
    if (!this.settings.singleLogout || !session.logoutHint) return undefined;
    const hint = parseHint(session.logoutHint);
    if (!hint?.nameId) return undefined;
    const member = hint.entityId;
    const idp = this.mdq ? (member === undefined ? undefined : await this.mdq.lookup(member).catch(() => undefined)) : this.source.isFederation() ? (member === undefined ? undefined : this.source.get(member)) : this.source.get();
    if (!idp?.sloRedirectUrl) return undefined;
    const profile = {
      issuer: idp.entityId,
      nameID: hint.nameId.value,
      nameIDFormat: hint.nameId.format ?? NAMEID_FORMATS.unspecified,
      ...(hint.nameId.nameQualifier ? { nameQualifier: hint.nameId.nameQualifier } : {}),
      ...(hint.nameId.spNameQualifier ? { spNameQualifier: hint.nameId.spNameQualifier } : {}),
      ...(hint.sessionIndex ? { sessionIndex: hint.sessionIndex } : {}),
    };
    void returnUrl; // SAML returns to the SLO endpoint, which shows the signed-out page.
    return this.saml(idp, { privateKey: this.settings.sp.privateKey }).getLogoutUrlAsync(profile, '', {});
  }

  /**
   * The SLO endpoint (HTTP-Redirect): a LogoutRequest from the IdP ends the sessions it names and is
   * answered with a signed LogoutResponse; a LogoutResponse (to the gateway's own request) just ends
   * at the signed-out page.
   */
  async frontchannelLogout(rawQuery: string): Promise<FrontchannelLogout> {
    // A federation: the message's Issuer says which member's certificates must verify it (and the
    // Issuer checks below hold it to that member).
    const idp = this.isFederation() ? await this.resolveIdp(peekRedirectIssuer(rawQuery)) : this.idp();
    const refuse = (reason: string) =>
      new GatewayError('invalid_request', `This sign-out message from ${this.displayName} could not be verified.`, { detail: { provider: this.name, reason }, level: 'warn' });
    let message;
    try {
      message = readRedirectMessage(rawQuery, idp.signingCertificates);
    } catch (error) {
      throw refuse(error instanceof SamlDocumentError ? error.message : 'unreadable message');
    }
    if (message.kind === 'SAMLResponse') {
      let response;
      try {
        response = readLogoutResponse(message.root);
      } catch (error) {
        throw refuse(error instanceof SamlDocumentError ? error.message : 'unreadable LogoutResponse');
      }
      if (response.issuer !== idp.entityId) throw refuse('LogoutResponse Issuer is not the IdP');
      if (response.status !== STATUS_SUCCESS) this.deps.log.warn({ status: response.status }, 'SAML LogoutResponse without success: the IdP session may still be open');
      return { sessionIndexes: [] };
    }
    let request;
    try {
      request = readLogoutRequest(message.root);
    } catch (error) {
      throw refuse(error instanceof SamlDocumentError ? error.message : 'unreadable LogoutRequest');
    }
    if (request.issuer !== idp.entityId) throw refuse('LogoutRequest Issuer is not the IdP');
    const skew = this.settings.clockSkewSeconds * 1000;
    const notOnOrAfter = instant(request.notOnOrAfter, 'NotOnOrAfter');
    if (notOnOrAfter !== undefined && Date.now() - skew >= notOnOrAfter) throw refuse('LogoutRequest expired');
    const qualify = this.indexQualifier(idp);
    const sessionIndexes = request.sessionIndexes.length > 0 ? request.sessionIndexes.map((index) => `si:${qualify}${index}`) : request.nameId ? [`nameid:${qualify}${request.nameId}`] : [];
    if (sessionIndexes.length === 0) throw refuse('LogoutRequest names no session (no SessionIndex, no NameID)');
    const result: FrontchannelLogout = {
      sessionIndexes,
      replay: { id: `${idp.entityId} ${request.id}`, ttlSeconds: 3600 },
    };
    if (idp.sloResponseUrl) {
      const saml = this.saml(idp, { privateKey: this.settings.sp.privateKey, logoutUrl: idp.sloResponseUrl });
      result.redirectUrl = await saml.getLogoutResponseUrlAsync({ ID: request.id, issuer: idp.entityId, nameID: request.nameId ?? '', nameIDFormat: '' }, message.relayState ?? '', {}, true);
    }
    return result;
  }

  async backchannelLogout(): Promise<BackchannelLogout> {
    throw new GatewayError('unknown_provider', 'SAML single logout uses the HTTP-Redirect binding at /auth/<provider>/logout.', { detail: { provider: this.name } });
  }

  async metadata(): Promise<ProviderDocument> {
    return {
      contentType: 'application/samlmetadata+xml',
      body: spMetadataXml({
        entityId: this.entityId,
        acsUrl: this.acsUrl,
        sloUrl: this.sloUrl,
        certificates: this.deps.certificates,
        authnRequestsSigned: this.settings.signAuthnRequests !== 'never',
        wantAssertionsSigned: this.settings.requireSignature === 'assertion' || this.settings.requireSignature === 'both',
        nameIdFormats: this.settings.nameIdFormat === 'unspecified' ? [NAMEID_FORMATS.persistent, NAMEID_FORMATS.transient, NAMEID_FORMATS.email] : [NAMEID_FORMATS[this.settings.nameIdFormat]],
        displayName: this.displayName,
      }),
    };
  }

  async ready(): Promise<{ ok: boolean; detail?: string }> {
    if (this.mdq) return { ok: true };
    const problem = this.source.problem();
    return problem ? { ok: false, detail: problem } : { ok: true };
  }

  async close(): Promise<void> {
    this.source.close();
  }

  /** For tests and the bench: load the metadata again now. */
  refreshMetadata(): Promise<void> {
    return this.source.load();
  }
}

interface LogoutHint {
  nameId: NameId | undefined;
  /** The federation member the person signed in at. */
  entityId?: string;
  sessionIndex?: string;
}

function memberOf(idp: IdpMetadata): ProviderMember {
  return {
    id: idp.entityId,
    displayName: idp.displayName ?? hostOf(idp.entityId),
    aliases: idp.displayNames ?? [],
    domains: idp.scopes.filter((scope) => !scope.regexp).map((scope) => scope.value),
  };
}

function hostOf(entityId: string): string {
  try {
    return new URL(entityId).hostname || entityId;
  } catch {
    return entityId;
  }
}

function parseHint(raw: string): LogoutHint | undefined {
  try {
    const value = JSON.parse(raw) as LogoutHint;
    return typeof value.nameId?.value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
