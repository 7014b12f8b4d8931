/**
 * The gateway's configuration: one schema, composed here; load.ts reads, merges and validates it.
 *
 * Layering, keep to it: config composes, concerns own. Provider kinds (listed in src/idp/kinds.ts),
 * tokens, keys, policy and store own the schema of their settings (src/<concern>/settings.ts) and
 * the checks on them and never import src/config/, not even a type; config imports them, and only
 * the layers above it (README, "Architecture": pages, session, mint, http, the features, cli) read
 * the composed Config, which is why the settings of those layers are written here. Field helpers
 * and the shape of a problem live in src/settings/, which imports nothing of ours.
 */
import { z } from 'zod';
import { keySchema } from '../keys/settings.js';
import { httpBaseUrl, wholeSeconds as seconds } from '../settings/fields.js';
import { storeSchema } from '../store/settings.js';
import { targetSchema } from '../tokens/settings.js';
import { providersSchema } from './providers.js';
import { policySchema } from '../policy/settings.js';
import { apiSchema } from './api.js';
import { uiSchema } from './ui.js';
import { gateSchema } from './gate.js';

/** Name used in URLs, metrics labels and env overrides: lowercase letters, digits, dashes. */
export const namePattern = /^[a-z][a-z0-9-]{0,62}$/;

export const configSchema = z.strictObject({
  /** production (default) or demo: demo enables the development IdP and stand-in Jitsi page. */
  mode: z.enum(['production', 'demo']).default('production'),
  /** The gateway's public base URL, as browsers and IdPs see it (may include a path, e.g. /sso). */
  publicUrl: httpBaseUrl,
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
      issuer: httpBaseUrl.optional(),
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
