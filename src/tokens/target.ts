import { randomBytes } from 'node:crypto';
import type { TargetConfig, ProsodyAlgorithm } from './settings.js';
import type { Keyring } from '../keys/keyring.js';
import { GatewayError } from '../errors/gateway-error.js';
import { buildClaims, claimsSerializer, type JitsiClaims, type TokenUser } from './claims.js';
import { filterFeatures } from './features.js';
import { backendSafeRoomName, normalizeTenant, RoomNameError } from './room.js';
import { hmacSigner, rsaSigner, type JwtSigner } from './signer.js';

/**
 * Token ids: 96 random bits chosen once per process, then a counter. Unique across processes and
 * restarts without a random draw per token (jti is an identifier for audit, not a secret).
 */
const JTI_PREFIX = randomBytes(12).toString('base64url');
let jtiCounter = 0;
export function nextJti(): string {
  jtiCounter = (jtiCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${JTI_PREFIX}.${jtiCounter.toString(36)}`;
}

/** A room people can be sent to: always checked against the target's configuration. */
export interface RoomLocation {
  target: string;
  /** Backend-safe room name. */
  room: string;
  /** Lowercase tenant, when the room lives under /tenant/room. */
  tenant?: string | undefined;
}

export interface TokenRequest {
  location: RoomLocation;
  user: TokenUser;
  features?: Readonly<Record<string, unknown>> | undefined;
  /** Requested lifetime; defaults to the target's tokenTtlSeconds, capped at maxTokenTtlSeconds. */
  ttlSeconds?: number | undefined;
}

export interface IssuedToken {
  token: string;
  claims: JitsiClaims;
}

/**
 * One Jitsi deployment (one Prosody virtual host): where people go, how its tokens look, and the
 * signer built once from its secret or active key.
 */
export class JitsiTarget {
  readonly signer: JwtSigner;
  readonly allowedFeatures: ReadonlySet<string>;
  readonly issuer: string;
  private readonly tenants: ReadonlySet<string>;
  private readonly serialize: (claims: JitsiClaims) => string;

  constructor(
    readonly name: string,
    readonly config: TargetConfig,
    readonly keyring: Keyring | undefined,
  ) {
    const algorithm = config.algorithm as ProsodyAlgorithm;
    if (algorithm.startsWith('HS')) {
      if (!config.secret) throw new Error(`target ${name}: ${algorithm} without secret`);
      this.signer = hmacSigner(algorithm as 'HS256', config.secret);
    } else {
      if (!keyring) throw new Error(`target ${name}: ${algorithm} without keys`);
      this.signer = rsaSigner(algorithm as 'RS256', keyring.signing.kid, keyring.signing.privateKey);
    }
    this.allowedFeatures = new Set(config.features);
    this.tenants = new Set(config.tenants);
    this.issuer = config.issuer ?? config.appId;
    this.serialize = claimsSerializer(this.issuer, config.audience);
  }

  /** Normalizes and checks a room and tenant from untrusted input. Throws GatewayError 400. */
  locate(room: string, tenant?: string | undefined): RoomLocation {
    let safe: string;
    try {
      safe = backendSafeRoomName(room);
    } catch (error) {
      const reason = error instanceof RoomNameError ? error.message : 'invalid room name';
      throw new GatewayError('invalid_room', `This room name cannot be used: ${reason}.`, {
        detail: { target: this.name, roomLength: typeof room === 'string' ? room.length : 0 },
      });
    }
    if (tenant === undefined || tenant === '') {
      if (!this.config.rootRooms) {
        throw new GatewayError('unknown_tenant', 'Rooms on this Jitsi server must be opened under a tenant (…/tenant/room).', {
          detail: { target: this.name },
        });
      }
      return { target: this.name, room: safe };
    }
    const lower = typeof tenant === 'string' ? normalizeTenant(tenant) : '';
    if (!this.tenants.has(lower)) {
      throw new GatewayError('unknown_tenant', 'This tenant is not served by this login gateway.', {
        detail: { target: this.name, tenantLength: String(tenant).length },
      });
    }
    return { target: this.name, room: safe, tenant: lower };
  }

  /** The meeting URL with the token in the hash (never in the query), plus Jitsi hash parameters. */
  joinUrl(location: RoomLocation, token: string | undefined, hashParams: ReadonlyArray<[string, string]> = []): string {
    const path = location.tenant ? `${encodeURIComponent(location.tenant)}/${location.room}` : location.room;
    const parts: string[] = [];
    if (token !== undefined) parts.push(`jwt=%22${token}%22`);
    for (const [key, value] of hashParams) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
    return `${this.config.url}/${path}${parts.length > 0 ? `#${parts.join('&')}` : ''}`;
  }

  /** Lifetime actually used: the request's (or the default), never above the cap. */
  ttlFor(requested: number | undefined): number {
    const ttl = requested ?? this.config.tokenTtlSeconds;
    return Math.max(1, Math.min(Math.floor(ttl), this.config.maxTokenTtlSeconds));
  }

  issue(request: TokenRequest, nowSeconds = Math.floor(Date.now() / 1000)): IssuedToken {
    const { location } = request;
    if (location.target !== this.name) throw new Error('location belongs to another target');
    if (location.room === '*' || location.room === '' || location.tenant === '*') {
      throw new GatewayError('invalid_room', 'Tokens are only issued for one named room.');
    }
    const claims = buildClaims({
      issuer: this.issuer,
      audience: this.config.audience,
      sub: location.tenant ?? this.config.xmppDomain,
      room: location.room,
      tenant: location.tenant,
      group: this.config.group,
      user: request.user,
      features: filterFeatures(request.features, this.allowedFeatures),
      now: nowSeconds,
      ttlSeconds: this.ttlFor(request.ttlSeconds),
      nbfSkewSeconds: this.config.nbfSkewSeconds,
      jti: nextJti(),
    });
    return { token: this.signer.signJson(this.serialize(claims)), claims };
  }
}
