import { z } from 'zod';
import { DEFAULT_MAX_CLAIMS_BYTES, MAX_CLAIMS_BYTES_LIMIT } from '../../identity/kept-claims.js';
import { httpUrlField } from '../../settings/fields.js';
import { claimMappingSchema } from '../../identity/mapping.js';

/**
 * Settings of one OpenID Connect provider (`providers.<name>` with `kind: oidc`). Strict: an
 * unknown key is a configuration error. See docs/oidc.md for the reference.
 */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopback(url: string): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

const absoluteUrl = (what: string) => httpUrlField(`must be the absolute http(s) URL of the ${what}`, { fragment: false, credentials: false });

const baseUrl = (what: string) =>
  absoluteUrl(what)
    .refine((value) => !new URL(value).search, 'must not have a query')
    .transform((value) => value.replace(/\/+$/, ''));

/** Parameters the gateway sets itself on the authorization request; authParams may not override them. */
export const RESERVED_AUTH_PARAMS = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'acr_values',
  'request',
  'request_uri',
]);

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export const oidcEndpointsSchema = z.strictObject({
  /** Browser-facing authorization endpoint. */
  authorization: absoluteUrl('authorization endpoint').optional(),
  /** Server-to-server endpoints (token, userinfo, JWKS): default from discovery. */
  token: absoluteUrl('token endpoint').optional(),
  userinfo: absoluteUrl('userinfo endpoint').optional(),
  jwks: absoluteUrl('JWKS').optional(),
  /** Browser-facing RP-initiated logout endpoint. */
  endSession: absoluteUrl('end-session endpoint').optional(),
});

export const oidcProviderSchema = z
  .strictObject({
    kind: z.literal('oidc'),
    /** Shown on the provider chooser and in messages ("Sign-in at Acme SSO failed"). */
    displayName: z.string().min(1).max(200).optional(),
    /** A preset from providers/ (keycloak, entra-id, google, ...) whose defaults apply under these settings. */
    preset: z.string().optional(),
    /**
     * The issuer identifier exactly as the IdP puts it in `iss` (e.g. https://sso.example.com/realms/acme);
     * compared character by character, a trailing slash included.
     */
    issuer: absoluteUrl('issuer').refine((value) => !new URL(value).search, 'must not have a query'),
    /** The client id registered at the IdP. */
    clientId: z.string().min(1).max(512),
    /** client_secret_basic / client_secret_post: the client secret (or clientSecretFile). */
    clientSecret: z.string().min(1).optional(),
    /** How the gateway authenticates at the token endpoint. */
    clientAuth: z.enum(CLIENT_AUTH_METHODS).default('client_secret_basic'),
    /** private_key_jwt: PKCS#8 PEM private key (or privateKeyFile); its public key is registered at the IdP. */
    privateKey: z.string().min(1).optional(),
    /** private_key_jwt: `kid` of the registered public key, when the IdP needs it. */
    privateKeyId: z.string().min(1).max(256).optional(),
    /** private_key_jwt: signing algorithm of the client assertion. */
    privateKeyAlg: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']).default('RS256'),
    /** Requested scopes; `openid` is always included. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'must be a scope token (no spaces or quotes)'))
      .max(50)
      .default(['openid', 'profile', 'email']),
    /** OIDC `prompt` (e.g. login, select_account, consent). */
    prompt: z
      .string()
      .regex(/^(none|login|consent|select_account)( (none|login|consent|select_account))*$/, 'must be none, login, consent, select_account or several separated by spaces')
      .optional(),
    /** OIDC `acr_values`, in order of preference. */
    acrValues: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/)).max(20).optional(),
    /** Extra authorization request parameters (e.g. `hd: example.com` for Google, `kc_idp_hint`). */
    authParams: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'parameter names must be letters, digits, _ . -'), z.string().max(1024))
      .refine((params) => Object.keys(params).every((key) => !RESERVED_AUTH_PARAMS.has(key)), {
        message: `must not set ${[...RESERVED_AUTH_PARAMS].join(', ')} (use scopes, prompt, acrValues)`,
      })
      .default({}),
    /**
     * When to call the userinfo endpoint: `auto` when a mapped claim is missing from the ID token,
     * `always`, or `never`.
     */
    userinfo: z.enum(['auto', 'always', 'never']).default('auto'),
    /** Claim paths for the identity (see docs/oidc.md, "Claim mapping"). */
    claims: claimMappingSchema.prefault({}),
    /**
     * The IdP's e-mail addresses are its organisation's own (a corporate directory): they count for
     * the policy even without `email_verified: true`. Default: only addresses with
     * `email_verified: true` match registry e-mails and emailDomain rules.
     */
    emailsAuthoritative: z.boolean().default(false),
    /**
     * Most the IdP may say about a person, in bytes: the ID token, the userinfo answer (OIDC) or all
     * attributes (CAS). Beyond it the login is refused with a clear page (no session, no token).
     */
    maxClaimsBytes: z.number().int().min(4096).max(MAX_CLAIMS_BYTES_LIMIT).default(DEFAULT_MAX_CLAIMS_BYTES),
    /** Where to read the discovery document (default `<issuer>/.well-known/openid-configuration`). */
    discoveryUrl: absoluteUrl('discovery document').optional(),
    /**
     * Split horizon: the IdP's base URL as the gateway reaches it (e.g. http://keycloak:8080/realms/acme).
     * Replaces the issuer prefix in the discovery URL and in every server-to-server endpoint
     * (token, userinfo, JWKS); browser-facing endpoints keep the public URL.
     */
    backchannelUrl: baseUrl('IdP as the gateway reaches it').optional(),
    /** Explicit endpoint URLs, applied after discovery and backchannelUrl. */
    endpoints: oidcEndpointsSchema.optional(),
    /** Allow plain-http IdP URLs other than 127.0.0.1/localhost (e.g. an in-cluster backchannelUrl). */
    allowHttp: z.boolean().default(false),
    /** Time limit of one request to the IdP (discovery, token, userinfo, JWKS). */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** How often the discovery document is refreshed in the background. */
    discoveryRefreshSeconds: z.number().int().min(60).max(7 * 86400).default(3600),
    /** Allowed clock difference for ID token and logout token times. */
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** ID token signing algorithm the client registered (default RS256, as OIDC says). */
    idTokenAlg: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']).optional(),
    /**
     * What /logout does at the IdP: `rp-initiated` sends the browser to the end-session endpoint
     * (when the IdP has one) with id_token_hint and post_logout_redirect_uri; `local` ends only the
     * gateway session.
     */
    logout: z.enum(['rp-initiated', 'local']).default('rp-initiated'),
  })
  .superRefine((settings, ctx) => {
    if ((settings.clientAuth === 'client_secret_basic' || settings.clientAuth === 'client_secret_post') && !settings.clientSecret) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: `is required for clientAuth ${settings.clientAuth} (or set clientSecretFile)` });
    }
    if (settings.clientAuth === 'private_key_jwt' && !settings.privateKey) {
      ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'is required for clientAuth private_key_jwt (PKCS#8 PEM; or set privateKeyFile)' });
    }
    if (settings.clientAuth !== 'private_key_jwt' && settings.privateKey) {
      ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'is only used with clientAuth private_key_jwt' });
    }
    if (!settings.allowHttp) {
      const urls: Array<[string, string | undefined]> = [
        ['issuer', settings.issuer],
        ['discoveryUrl', settings.discoveryUrl],
        ['backchannelUrl', settings.backchannelUrl],
        ...Object.entries(settings.endpoints ?? {}).map(([key, value]): [string, string | undefined] => [`endpoints.${key}`, value]),
      ];
      for (const [path, url] of urls) {
        if (url && url.startsWith('http:') && !isLoopback(url)) {
          ctx.addIssue({ code: 'custom', path: path.split('.'), message: 'is plain http; use https, or set allowHttp: true for an in-cluster address' });
        }
      }
    }
  });

export type OidcProviderSettings = z.output<typeof oidcProviderSchema>;
export type OidcProviderInput = z.input<typeof oidcProviderSchema>;
