import { z } from 'zod';
import { JITSI_FEATURES } from '../tokens/features.js';
import { baseUrlField, httpUrlField } from './fields.js';
import { providersSchema } from './providers.js';
import { policySchema } from './policy.js';
import { apiSchema } from './api.js';
import { uiSchema } from './ui.js';
import { gateSchema } from './gate.js';

/** Algorithms Prosody's token plugin accepts. No ES*, no EdDSA, never `none`. */
export const PROSODY_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512'] as const;
export type ProsodyAlgorithm = (typeof PROSODY_ALGORITHMS)[number];

const seconds = (what: string) =>
  z.number({ error: `must be a whole number of seconds (${what})` }).int().positive();

const httpUrl = baseUrlField('must be an absolute http(s) URL without query or fragment, e.g. https://meet.example.com');

/** Name used in URLs, metrics labels and env overrides: lowercase letters, digits, dashes. */
export const namePattern = /^[a-z][a-z0-9-]{0,62}$/;

const tenantName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase tenant name (letters, digits, . _ -); wildcards are not allowed');

export const keySchema = z.strictObject({
  /** Key id, in the token header; a new key always gets a new kid (Prosody caches keys per kid forever). */
  kid: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._:-]+$/, 'must use only letters, digits and . _ : -'),
  /**
   * next: published, not signing yet (publish before use); active: signs new tokens (exactly one);
   * retiring: published, no longer signing (keep until every token it signed has expired).
   */
  status: z.enum(['next', 'active', 'retiring']),
  /** PKCS#8 PEM (RS*). */
  privateKey: z.string().optional(),
  /** SPKI PEM (or publicKeyFile); derived from privateKey when absent (a `retiring` key may keep only its public key). */
  publicKey: z.string().optional(),
});
export type KeyConfig = z.infer<typeof keySchema>;

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
  url: httpUrl,
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

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port');

export const storeSchema = z
  .strictObject({
    /** memory: one process only (development, a single replica); redis: shared by every replica. */
    kind: z.enum(['memory', 'redis']).default('memory'),
    /** Prefix of every store key (several gateways may share one Redis). */
    prefix: z.string().max(64).default('jsg:'),
    redis: z
      .strictObject({
        /** redis://host:6379/0 or rediss:// (TLS); not used with sentinel or cluster. */
        url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        /** TLS to Redis (implied by rediss://). */
        tls: z.boolean().default(false),
        sentinel: z
          .strictObject({
            /** The monitored master's name. */
            name: z.string().min(1),
            nodes: z.array(hostPort).min(1),
            password: z.string().optional(),
          })
          .optional(),
        cluster: z.strictObject({ nodes: z.array(hostPort).min(1) }).optional(),
        /** Time limit of one Redis command. */
        commandTimeoutMs: z.number().int().min(50).max(60000).default(1000),
        /**
         * Operator and security state (room registry, invites, invite use counters) is acknowledged
         * only once this many replicas have it (Redis WAIT); see docs/store.md. Default: 1 replica
         * with sentinel or cluster, 0 with a single url; timeoutMs default min(500, commandTimeoutMs / 2).
         */
        replicatedWrites: z
          .strictObject({
            /** Replicas that must confirm each such write (0: do not wait). */
            replicas: z.number().int().min(0).max(10).optional(),
            /** How long to wait for them; beyond it the API answers 503 store_not_replicated. */
            timeoutMs: z.number().int().min(10).max(30000).optional(),
          })
          .optional(),
      })
      .optional(),
  })
  .default({ kind: 'memory', prefix: 'jsg:' });
export type StoreConfig = z.infer<typeof storeSchema>;

export const configSchema = z.strictObject({
  /** production (default) or demo: demo enables the development IdP and stand-in Jitsi page. */
  mode: z.enum(['production', 'demo']).default('production'),
  /** The gateway's public base URL, as browsers and IdPs see it (may include a path, e.g. /sso). */
  publicUrl: httpUrl,
  server: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Honour X-Forwarded-* from a reverse proxy. */
      trustProxy: z.boolean().default(false),
      /**
       * After SIGTERM: readiness answers 503 at once while the server keeps accepting for this long
       * (the time the endpoints controller and the load balancers need to stop sending), then drains.
       */
      shutdownDelaySeconds: z.number().int().min(0).max(300).default(5),
      /** After the delay: how long in-flight requests may take before their connections are cut. */
      shutdownGraceSeconds: z.number().int().min(0).max(300).default(20),
      /**
       * The management listener (/healthz, /readyz with ?verbose, /metrics) on its own port, for
       * probes and Prometheus only. Unset: no such listener, and the main port serves /metrics.
       */
      management: z
        .strictObject({
          /** Port of the management listener (e.g. 9090; env JSG_SERVER__MANAGEMENT__PORT); keep it private. */
          port: z.number().int().min(0).max(65535).optional(),
          /** Address the management listener binds to. */
          host: z.string().default('0.0.0.0'),
        })
        .prefault({}),
      /** Largest accepted request body (JSON API, back-channel logout). */
      maxBodyBytes: z.number().int().min(1024).max(10_000_000).default(65536),
    })
    .prefault({}),
  log: z
    .strictObject({
      /** Log level (JSON lines on stdout). */
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  store: storeSchema,
  session: z
    .strictObject({
      /** How long a gateway session lasts (further rooms need no new IdP round trip while it lives). */
      ttlSeconds: seconds('gateway session lifetime').default(8 * 3600),
      /** Name of the session cookie. */
      cookieName: z.string().regex(/^[A-Za-z0-9_-]+$/).default('jsg_session'),
      /** How long a person has to finish signing in at the IdP. */
      loginTimeoutSeconds: seconds('login transaction lifetime').max(3600).default(600),
      /** New login transactions one public client address may start per minute, per replica (0: no limit); see src/login/login-starts.ts. */
      loginStartsPerMinute: z.number().int().min(0).max(1_000_000).default(1200),
    })
    .prefault({}),
  /** The token service of Jitsi's inline sign-in (targets.<name>.sso; docs/jitsi.md). */
  tokenService: z
    .strictObject({
      /** Authorization codes live this long (single use). */
      codeTtlSeconds: seconds('authorization code lifetime').max(600).default(60),
      /** Refresh tokens live this long at most (also never beyond the gateway session); each use replaces them. */
      refreshTokenTtlSeconds: seconds('refresh token lifetime').max(86400).default(3600),
      /** Lifetime of the ID tokens handed to Jitsi's sso.html (it reads only their nonce). */
      idTokenTtlSeconds: seconds('ID token lifetime').max(3600).default(300),
      /** `iss` of ID tokens. Default: publicUrl. */
      issuer: httpUrl.optional(),
      /**
       * The gateway's own key for ID tokens (EC P-256 → ES256, RSA → RS256), published at
       * <publicUrl>/token-service/jwks.json. Unset: a key made at start-up (one replica only).
       */
      signingKey: z
        .strictObject({
          /** The key's id in the JWKS; a new key needs a new kid. */
          kid: keySchema.shape.kid,
          /** PKCS#8 PEM. */
          privateKey: z.string().min(1),
        })
        .optional(),
    })
    .prefault({}),
  targets: z.record(z.string().regex(namePattern, 'target names must be lowercase letters, digits, dashes'), targetSchema),
  /** Name of the target used when a request names none. Defaults to the only/first target. */
  defaultTarget: z.string().optional(),
  providers: providersSchema,
  policy: policySchema,
  api: apiSchema,
  ui: uiSchema,
  /** Forward auth for the reverse proxy in front of Jitsi (docs/jitsi.md). */
  gate: gateSchema,
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
