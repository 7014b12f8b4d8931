import { z } from 'zod';
import { keySchema } from '../keys/settings.js';
import { httpBaseUrl, httpUrlField, wholeSeconds as seconds } from '../settings/fields.js';
import { JITSI_FEATURES } from './features.js';

/**
 * Settings of one Jitsi target (`targets.<name>`): where its people go, what Prosody's token plugin
 * accepts and how tokens for it are signed (src/tokens/target.ts). src/config/schema.ts composes
 * them under `targets`; checks across fields and targets (secret strength, keyring) are in checks.ts.
 */

/** Algorithms Prosody's token plugin accepts. No ES*, no EdDSA, never `none`. */
export const PROSODY_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512'] as const;
export type ProsodyAlgorithm = (typeof PROSODY_ALGORITHMS)[number];

const tenantName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase tenant name (letters, digits, . _ -); wildcards are not allowed');

const httpsUrl = httpUrlField('must be an absolute https URL without fragment or credentials, e.g. https://meet.example.com/static/sso.html', {
  fragment: false,
  credentials: false,
}).refine((value) => value.startsWith('https://'), 'must use https: Jitsi calls the token service and its sso.html over https only');

const webOrigin = z
  .string()
  .regex(/^https:\/\/[^/?#@\s]+$/, 'must be a web origin such as https://meet.example.com (https, no path, no trailing slash)');

/** One Jitsi web client of the token service; Jitsi's request names none of this, so config must. */
export const ssoClientSchema = z.strictObject({
  /** Jitsi's `config.sso.clientId`. */
  clientId: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, 'must be 1-128 letters, digits or . _ ~ -'),
  /** Where the code goes: Jitsi's sso.html. Default: <origin of url>/static/sso.html. */
  redirectUri: httpsUrl.optional(),
  /** Origins whose sso.html may call /token for this client. Default: the origin of redirectUri. */
  origins: z.array(webOrigin).min(1).optional(),
});
export type SsoClientConfig = z.infer<typeof ssoClientSchema>;

export const targetSchema = z.strictObject({
  /** Public base URL of the Jitsi Meet web frontend; the only place people are sent to. */
  url: httpBaseUrl,
  /** Prosody's XMPP domain (e.g. meet.jitsi): the token's `sub` for rooms without a tenant. */
  xmppDomain: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be a lowercase DNS name such as meet.jitsi; wildcards are not allowed'),
  /** Tenants (the first path segment of /tenant/room URLs) people may use. */
  tenants: z.array(tenantName).default([]),
  /** Whether rooms without a tenant (https://meet/room) are allowed. */
  rootRooms: z.boolean().default(true),
  /** Prosody's app_id; the token's `iss` unless `issuer` is set. */
  appId: z.string().min(1),
  /** Must be listed in Prosody's asap_accepted_issuers (default: the app_id). */
  issuer: z.string().min(1).optional(),
  /** Must be in Prosody's asap_accepted_audiences. */
  audience: z.string().min(1).default('jitsi'),
  /** Token signing algorithm, one Prosody accepts: HS256/384/512 (secret) or RS256/384/512 (keys). */
  algorithm: z.string().default('HS256'),
  /** HS*: Prosody's app_secret. */
  secret: z.string().optional(),
  /** RS*: the keyring. */
  keys: z.array(keySchema).default([]),
  /** Lifetime of tokens minted for people signing in. */
  tokenTtlSeconds: seconds('token lifetime').default(600),
  /** Longest lifetime any token for this target may have (policy rules and API clients included). */
  maxTokenTtlSeconds: seconds('token lifetime cap').default(3600),
  /** How far in the past `nbf` is set: Prosody checks nbf with zero clock skew. */
  nbfSkewSeconds: z.number().int().min(0).max(600).default(30),
  /** Feature keys tokens for this target may carry (subset of Jitsi's known keys). */
  features: z.array(z.enum(JITSI_FEATURES)).default([...JITSI_FEATURES]),
  /** Optional `context.group`. */
  group: z.string().min(1).optional(),
  /** Cache-Control max-age of the JWKS (Prosody refreshes at max-age - 60 s). */
  jwksMaxAgeSeconds: seconds('JWKS max-age').min(120).default(3600),
  /** URL scheme of the mobile apps for deep links (Jitsi Meet's own apps: org.jitsi.meet). */
  appScheme: z.string().regex(/^[a-z][a-z0-9+.-]*$/).default('org.jitsi.meet'),
  /**
   * Jitsi's own inline sign-in (`config.sso`, `static/sso.html`): this target's web client is a
   * public OAuth client of the gateway's token service (src/token-service/).
   */
  sso: ssoClientSchema.optional(),
});
export type TargetConfig = z.infer<typeof targetSchema>;
