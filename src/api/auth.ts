import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { OAuth2Config } from '../config/api.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Identity } from '../identity/identity.js';
import { personKeyOf } from '../identity/person.js';
import type { Store } from '../store/store.js';
import type { ApiClient } from './clients.js';
import { SECRET_HASHING } from './hash-gate.js';
import { MAX_SECRET_LENGTH, sha256, verifySecret, type SecretHash } from './secrets.js';

/** scrypt checks per client and minute (all replicas together); further attempts are refused unhashed. */
export const MAX_SCRYPT_FAILURES_PER_MINUTE = 30;

/** How long a replica's successful scrypt check lets the other replicas skip theirs. */
const VERIFIED_MARK_SECONDS = 30 * 86_400;

const verifiedKey = (clientName: string) => `apiverified:${clientName}`;

/**
 * What the store keeps after a successful scrypt check: HMAC-SHA256 of the secret under a key
 * derived from the configured scrypt hash. A store dump alone gives nothing to guess against (the
 * key is in the configuration, not the store); a new secretHash gives a new key, so an old mark
 * never verifies a retired secret.
 */
function verifiedMark(hash: Extract<SecretHash, { kind: 'scrypt' }>, secret: string): string {
  const key = createHmac('sha256', hash.hash).update(hash.salt).update('jsg api secret verified v1').digest();
  return createHmac('sha256', key).update(secret, 'utf8').digest('base64url');
}

/**
 * Who is calling the API. Credentials, in order:
 * - `Authorization: Basic base64(<client>:<secret>)`: any client with a secretHash;
 * - `Authorization: Bearer <JWT>` when api.oauth2 is configured: an OAuth2 access token from that
 *   issuer (signature from its JWKS, iss, aud, exp), mapped to the client whose oauth2ClientId is
 *   its client_id/azp;
 * - `Authorization: Bearer <secret>`: the client whose sha256 secretHash (or already verified
 *   scrypt hash) matches.
 * Anything else is 401 with a WWW-Authenticate challenge.
 */
export class ApiAuthenticator {
  private readonly byOAuth2ClientId = new Map<string, ApiClient>();
  private readonly jwks: JWTVerifyGetKey | undefined;
  /** scrypt-hashed clients whose secret was verified once: SHA-256 of that secret. */
  private readonly verifiedDigests = new Map<string, Buffer>();
  private readonly dummy = randomBytes(32);
  /** Attempt counts per client and minute when there is no store (unit tests). */
  private readonly localAttempts = new Map<string, number>();

  private readonly store: Store | undefined;

  constructor(
    private readonly clients: ReadonlyMap<string, ApiClient>,
    private readonly oauth2: OAuth2Config | undefined,
    options: { jwks?: JWTVerifyGetKey; store?: Store } = {},
  ) {
    this.store = options.store;
    for (const client of clients.values()) {
      if (client.config.oauth2ClientId !== undefined) this.byOAuth2ClientId.set(client.config.oauth2ClientId, client);
    }
    this.jwks =
      options.jwks ??
      (oauth2 ? createRemoteJWKSet(new URL(oauth2.jwksUrl), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 }) : undefined);
  }

  /**
   * The client these credentials name. A bearer secret (what backends send on every request) is
   * checked synchronously and its client returned, without a promise; Basic credentials and access
   * tokens give a promise. Wrong credentials throw the 401 GatewayError (synchronously).
   */
  authenticate(authorization: string | undefined): ApiClient | Promise<ApiClient> {
    if (!authorization) throw unauthorized('API credentials are missing: send Authorization: Bearer <secret or access token> or Basic.', 'missing');
    const space = authorization.indexOf(' ');
    const scheme = authorization.slice(0, space).toLowerCase();
    const credentials = authorization.slice(space + 1).trim();
    if (space < 0 || credentials.length === 0 || credentials.length > 8192) throw unauthorized('The Authorization header is malformed.', 'malformed');
    if (scheme === 'basic') return this.basic(credentials);
    if (scheme === 'bearer') {
      if (this.oauth2 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credentials)) return this.accessToken(credentials);
      return this.bearerSecret(credentials);
    }
    throw unauthorized('Unsupported authorization scheme: use Bearer or Basic.', 'scheme');
  }

  private async basic(credentials: string): Promise<ApiClient> {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw unauthorized('The Basic credentials are malformed.', 'malformed');
    const client = this.clients.get(decoded.slice(0, colon));
    const secret = decoded.slice(colon + 1);
    if (!client?.secretHash) {
      timingSafeEqual(sha256(secret), this.dummy); // same work whether or not the client exists
      throw unauthorized('The API credentials are wrong.', 'wrong_secret');
    }
    if (await this.verify(client, secret)) return client;
    throw unauthorized('The API credentials are wrong.', 'wrong_secret', client.name);
  }

  private bearerSecret(secret: string): ApiClient {
    if (secret.length > MAX_SECRET_LENGTH) throw unauthorized('The API credentials are wrong.', 'wrong_secret');
    const digest = sha256(secret);
    let found: ApiClient | undefined;
    // Compare with every client (no early exit), so timing says nothing about which one matched.
    for (const client of this.clients.values()) {
      const expected = client.secretHash?.kind === 'sha256' ? client.secretHash.digest : this.verifiedDigests.get(client.name);
      const equal = timingSafeEqual(digest, expected ?? this.dummy);
      if (equal && expected !== undefined && found === undefined) found = client;
    }
    if (found) return found;
    throw unauthorized('The API credentials are wrong.', 'wrong_secret');
  }

  private async verify(client: ApiClient, secret: string): Promise<boolean> {
    const hash = client.secretHash;
    if (!hash) return false;
    if (hash.kind === 'sha256') return verifySecret(secret, hash);
    const digest = sha256(secret);
    const known = this.verifiedDigests.get(client.name);
    if (known && timingSafeEqual(known, digest)) return true;
    // Verified by another replica (or before a restart): a keyed fast hash in the store. The right
    // secret is never refused because of someone else's wrong ones.
    if (await this.verifiedElsewhere(client.name, hash, secret)) {
      this.verifiedDigests.set(client.name, digest);
      // Every replica that adopts the mark renews it: a client in use keeps it.
      await this.store?.put(verifiedKey(client.name), verifiedMark(hash, secret), VERIFIED_MARK_SECONDS);
      return true;
    }
    // scrypt is deliberately slow: a bounded number run at once in this process (beyond: 429 at
    // once), and each check reserves its place in the client's budget BEFORE it starts, so
    // concurrent requests cannot all read "under the limit" and all hash.
    const release = SECRET_HASHING.tryEnter();
    if (!release) {
      throw new GatewayError('rate_limited', 'Too many sign-ins are being checked right now; try again in a second.', {
        detail: { client: client.name, reason: 'hashing_busy' },
        retryAfterSeconds: 1,
      });
    }
    try {
      const attempts = await this.reserveAttempt(client.name);
      if (attempts > MAX_SCRYPT_FAILURES_PER_MINUTE) {
        throw new GatewayError('rate_limited', 'Too many failed sign-ins for this API client; try again in a minute.', {
          level: 'warn',
          detail: { client: client.name, reason: 'attempts_used_up' },
          retryAfterSeconds: 60,
        });
      }
      const ok = await verifySecret(secret, hash);
      if (ok) {
        this.verifiedDigests.set(client.name, digest);
        await this.store?.put(verifiedKey(client.name), verifiedMark(hash, secret), VERIFIED_MARK_SECONDS);
      }
      return ok;
    } finally {
      release();
    }
  }

  /** Counts one scrypt check for this client in the current minute (store-wide), returning the count. */
  private async reserveAttempt(clientName: string): Promise<number> {
    const window = Math.floor(Date.now() / 60_000);
    if (this.store) return this.store.increment(`authfail:${clientName}:${window}`, 61);
    const key = `${clientName}:${window}`;
    const count = (this.localAttempts.get(key) ?? 0) + 1;
    if (this.localAttempts.size > 1000) this.localAttempts.clear();
    this.localAttempts.set(key, count);
    return count;
  }

  private async verifiedElsewhere(clientName: string, hash: Extract<SecretHash, { kind: 'scrypt' }>, secret: string): Promise<boolean> {
    if (!this.store) return false;
    const stored = await this.store.get(verifiedKey(clientName));
    if (stored === null) return false;
    const expected = Buffer.from(verifiedMark(hash, secret), 'base64url');
    const actual = Buffer.from(stored, 'base64url');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  private async accessToken(token: string): Promise<ApiClient> {
    const oauth2 = this.oauth2;
    const jwks = this.jwks;
    if (!oauth2 || !jwks) throw unauthorized('OAuth2 access tokens are not accepted here.', 'oauth2_off');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: oauth2.issuer,
        audience: oauth2.audience,
        algorithms: oauth2.algorithms,
        clockTolerance: oauth2.clockToleranceSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof TypeError && !(error instanceof joseErrors.JOSEError))) {
        throw new GatewayError('idp_unavailable', 'The access token cannot be checked right now: the identity provider does not answer.', {
          level: 'warn',
          detail: { reason: error.message },
        });
      }
      const reason = error instanceof joseErrors.JOSEError ? error.code : 'invalid';
      throw unauthorized('The access token is not valid here (signature, issuer, audience or expiry).', reason);
    }
    if (oauth2.requiredScope !== undefined) {
      const scope = typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? payload.scp : [];
      if (!scope.includes(oauth2.requiredScope)) throw unauthorized(`The access token lacks the scope "${oauth2.requiredScope}".`, 'scope');
    }
    const clientId = oauth2.clientIdClaims.map((claim) => payload[claim]).find((value): value is string => typeof value === 'string');
    const client = clientId === undefined ? undefined : this.byOAuth2ClientId.get(clientId);
    if (!client) {
      throw new GatewayError('forbidden', 'The access token belongs to no configured API client.', { detail: { clientIdLength: clientId?.length ?? 0 } });
    }
    return client;
  }
}

function unauthorized(message: string, reason: string, client?: string): GatewayError {
  return new GatewayError('unauthorized', message, {
    detail: { reason, ...(client ? { client } : {}) },
    challenge: ['Bearer', 'Basic'],
  });
}

/**
 * Requests per minute per client, counted in the store (so every replica shares the budget) in
 * fixed one-minute windows. Over the limit: 429 with Retry-After.
 */
/** Requests per minute for a person managing invites with a gateway session. */
export const PERSON_RATE_LIMIT_PER_MINUTE = 60;

/**
 * A person's invite requests (the API and the invite page, src/api/invite-manager.ts) share one
 * fixed window per minute in the store, across all replicas. Over the limit: 429.
 */
export async function enforcePersonRateLimit(store: Store, identity: Identity): Promise<void> {
  const window = Math.floor(Date.now() / 60_000);
  const count = await store.increment(`ratelimit:person:${personKeyOf(identity)}:${window}`, 61);
  if (count > PERSON_RATE_LIMIT_PER_MINUTE) throw new GatewayError('rate_limited', 'Too many requests; try again in a minute.', { retryAfterSeconds: 60 });
}

export async function enforceRateLimit(store: Store, client: ApiClient, nowMs = Date.now()): Promise<void> {
  const window = Math.floor(nowMs / 60_000);
  const count = await store.increment(`ratelimit:api:${client.name}:${window}`, 61);
  if (count > client.config.rateLimitPerMinute) {
    const retryAfter = Math.max(1, 60 - Math.floor((nowMs % 60_000) / 1000));
    throw new GatewayError('rate_limited', `Too many requests: this API client may send ${client.config.rateLimitPerMinute} per minute.`, {
      level: 'warn',
      detail: { client: client.name },
      retryAfterSeconds: retryAfter,
    });
  }
}
