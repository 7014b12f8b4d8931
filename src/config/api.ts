import { z } from 'zod';
import { httpUrlField } from '../settings/fields.js';
import { roomPattern, tenantOrRoot } from '../policy/settings.js';
import { JITSI_FEATURES } from '../tokens/features.js';

/**
 * API clients for backends: the token API, the room registry and invites (docs/api.md). A client
 * authenticates with a secret whose hash is configured here (never the secret itself), or with an
 * OAuth2 access token from `api.oauth2.issuer` whose client id is `oauth2ClientId`.
 */

export const API_OPERATIONS = ['tokens', 'rooms', 'invites'] as const;
export type ApiOperation = (typeof API_OPERATIONS)[number];

/** `sha256:<64 hex>` or `scrypt:<N>:<r>:<p>:<salt base64url>:<hash base64url>`. */
export const SECRET_HASH_PATTERN = /^(sha256:[0-9a-f]{64}|scrypt:\d{1,8}:\d{1,3}:\d{1,3}:[A-Za-z0-9_-]{16,128}:[A-Za-z0-9_-]{32,256})$/;

const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits, dashes');
const seconds = z.number().int().positive();

export const apiClientSchema = z
  .strictObject({
    description: z.string().max(200).optional(),
    /** Hash of the client's secret: sha256:<hex of SHA-256(secret)> or scrypt:N:r:p:salt:hash. */
    secretHash: z
      .string()
      .trim()
      .regex(SECRET_HASH_PATTERN, 'must be sha256:<64 lowercase hex digits> or scrypt:<N>:<r>:<p>:<salt>:<hash> (base64url); never the secret itself')
      .optional(),
    /** The client id (azp / client_id claim) of OAuth2 access tokens that act as this client. */
    oauth2ClientId: z.string().min(1).max(200).optional(),
    /** What the client may do; default all three. */
    operations: z.array(z.enum(API_OPERATIONS)).min(1).default([...API_OPERATIONS]),
    /** Targets the client may use; absent: every target. */
    targets: z.array(name).min(1).optional(),
    /** Tenants the client may use ("-": rooms without a tenant); absent: every tenant of its targets. */
    tenants: z.array(tenantOrRoot).min(1).optional(),
    /** Room-name globs the client may use; default every room. */
    rooms: z.array(roomPattern).min(1).default(['*']),
    /** May ask for moderator tokens and moderator invites, and register moderators for rooms. */
    mayIssueModerator: z.boolean().default(false),
    /** May set lobbyBypass: true in tokens and invites. Default: as mayIssueModerator. */
    mayBypassLobby: z.boolean().optional(),
    /**
     * Features the client may turn on (`true`) in tokens and invites; turning one off is always
     * allowed. Default: every feature when mayIssueModerator, none otherwise.
     */
    features: z.array(z.enum(JITSI_FEATURES)).max(JITSI_FEATURES.length).optional(),
    /** Longest token lifetime it may ask for (the target's maxTokenTtlSeconds caps it too). */
    maxTtlSeconds: seconds.max(86400).default(600),
    /** Requests per minute (fixed window, shared by all replicas through the store). */
    rateLimitPerMinute: z.number().int().min(1).max(1_000_000).default(600),
  })
  .superRefine((client, ctx) => {
    if (client.secretHash === undefined && client.oauth2ClientId === undefined) {
      ctx.addIssue({ code: 'custom', message: 'needs secretHash (or secretHashFile) or oauth2ClientId to authenticate' });
    }
  });
export type ApiClientConfig = z.infer<typeof apiClientSchema>;

const httpsUrl = httpUrlField('must be an absolute http(s) URL');

export const oauth2Schema = z.strictObject({
  /** The `iss` of accepted access tokens, exactly. */
  issuer: z.string().min(1),
  /** Where the issuer publishes its signing keys. */
  jwksUrl: httpsUrl,
  /** Required `aud` of the access tokens (the gateway's resource identifier at the IdP). */
  audience: z.string().min(1),
  /** Claims holding the client id, first present wins. */
  clientIdClaims: z.array(z.string().min(1)).min(1).default(['client_id', 'azp']),
  /** When set, the token's `scope` must include it. */
  requiredScope: z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/).optional(),
  algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
  /** Allowed clock difference for exp/nbf of access tokens. */
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
});
export type OAuth2Config = z.infer<typeof oauth2Schema>;

export const apiSchema = z
  .strictObject({
    clients: z.record(name, apiClientSchema).default({}),
    oauth2: oauth2Schema.optional(),
    rooms: z
      .strictObject({
        /** How long a registered room lives when the request names no expiry. */
        defaultTtlSeconds: seconds.default(30 * 86400),
        maxTtlSeconds: seconds.max(400 * 86400).default(400 * 86400),
      })
      .prefault({}),
    invites: z
      .strictObject({
        defaultTtlSeconds: seconds.default(86400),
        /** Longest time an invite link stays valid. */
        maxTtlSeconds: seconds.max(30 * 86400).default(7 * 86400),
        maxUses: z.number().int().min(1).max(100_000).default(1000),
        /** Lifetime of guest tokens minted from invites (capped by the target's maxTokenTtlSeconds). */
        guestTokenTtlSeconds: seconds.max(86400).optional(),
      })
      .prefault({}),
  })
  .superRefine((api, ctx) => {
    for (const [clientName, client] of Object.entries(api.clients)) {
      if (client.oauth2ClientId !== undefined && api.oauth2 === undefined) {
        ctx.addIssue({ code: 'custom', path: ['clients', clientName, 'oauth2ClientId'], message: 'needs api.oauth2 (issuer, jwksUrl, audience) to verify access tokens' });
      }
    }
    const byClientId = new Map<string, string>();
    for (const [clientName, client] of Object.entries(api.clients)) {
      if (client.oauth2ClientId === undefined) continue;
      const other = byClientId.get(client.oauth2ClientId);
      if (other) ctx.addIssue({ code: 'custom', path: ['clients', clientName, 'oauth2ClientId'], message: `is also the oauth2ClientId of client ${other}` });
      byClientId.set(client.oauth2ClientId, clientName);
    }
    if (api.rooms.defaultTtlSeconds > api.rooms.maxTtlSeconds) {
      ctx.addIssue({ code: 'custom', path: ['rooms', 'defaultTtlSeconds'], message: 'is above rooms.maxTtlSeconds' });
    }
    if (api.invites.defaultTtlSeconds > api.invites.maxTtlSeconds) {
      ctx.addIssue({ code: 'custom', path: ['invites', 'defaultTtlSeconds'], message: 'is above invites.maxTtlSeconds' });
    }
  })
  .prefault({});
export type ApiConfig = z.infer<typeof apiSchema>;
