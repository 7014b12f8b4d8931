import { z } from 'zod';
import { DEFAULT_MAX_CLAIMS_BYTES, MAX_CLAIMS_BYTES_LIMIT } from '../../identity/kept-claims.js';
import { baseUrlField, httpUrlField } from '../../settings/fields.js';

/**
 * Settings of one CAS provider (`providers.<name>` with `kind: cas`). Strict: an unknown key is a
 * configuration error, not silently ignored. See docs/cas.md for the reference.
 */

export const CAS_VERSIONS = ['3.0', '2.0', '1.0'] as const;
export type CasVersion = (typeof CAS_VERSIONS)[number];

/** Query parameters the gateway itself sets on `<cas>/login`; `loginParams` may not override them. */
const RESERVED_LOGIN_PARAMS = new Set(['service', 'renew', 'gateway', 'ticket', 'method']);

const casBaseUrl = baseUrlField('must be the absolute http(s) URL of the CAS server without query or fragment, e.g. https://cas.example.org/cas');

const returnUrl = httpUrlField('must be an absolute http(s) URL');

/**
 * YAML reads `version: 3.0` as the number 3 and `version: 2.0` as 2: accept those (and "3", "2", "1")
 * as the CAS protocol versions they obviously mean.
 */
const version = z.preprocess((value) => {
  if (typeof value === 'number' && [1, 2, 3].includes(value)) return `${value}.0`;
  if (typeof value === 'string' && /^[123]$/.test(value.trim())) return `${value.trim()}.0`;
  return value;
}, z.enum(CAS_VERSIONS, { error: 'must be one of "3.0", "2.0", "1.0" (the CAS protocol version)' }));

/**
 * Attribute mapping. Each value names a CAS attribute (without the `cas:` prefix); alternatives are
 * separated by `|` and the first one present wins. `cas:user` means the `<cas:user>` element itself.
 */
const attributeName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s|]+(\|[^\s|]+)*$/, 'must be an attribute name, or several separated by | (first present wins)');

export const casAttributesSchema = z.strictObject({
  /** Stable user id. Default: the `<cas:user>` element. */
  id: attributeName.default('cas:user'),
  name: attributeName.default('cn|displayName|name'),
  email: attributeName.default('mail|email'),
  /** URL of a picture; only http(s) URLs are used. No default. */
  avatar: attributeName.optional(),
  /** Multi-valued. */
  groups: attributeName.default('groups|memberOf'),
});

export const casProviderSchema = z
  .strictObject({
    kind: z.literal('cas'),
    /** Shown on the provider chooser. */
    displayName: z.string().min(1).max(200).optional(),
    /** A preset from providers/ (lemonldap-cas, apereo-cas) whose defaults apply under these settings. */
    preset: z.string().optional(),
    /** The CAS server's base URL, under which /login, /logout and the validation endpoints live. */
    baseUrl: casBaseUrl,
    /** Protocol version: 3.0 validates at /p3/serviceValidate (attributes), 2.0 at /serviceValidate, 1.0 at /validate. */
    version: version.default('3.0'),
    /** Always ask the CAS server for a fresh authentication (no single sign-on), and require it at validation. */
    renew: z.boolean().default(false),
    /**
     * Gateway mode: the CAS server never shows a login form; a person without a CAS session comes back
     * without a ticket and gets an "not signed in" (403 access_denied) answer.
     */
    gateway: z.boolean().default(false),
    /** Extra query parameters for `<baseUrl>/login` (e.g. `locale: de`, `authn_method: mfa-duo`). */
    loginParams: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'login parameter names must be letters, digits, _ . -'),
        z.string().max(1024),
      )
      .refine((params) => Object.keys(params).every((key) => !RESERVED_LOGIN_PARAMS.has(key)), {
        message: `must not set ${[...RESERVED_LOGIN_PARAMS].join(', ')} (use renew / gateway instead)`,
      })
      .default({}),
    /** Time limit of one ticket validation request (connect + answer). */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Validation answers larger than this are refused. */
    maxResponseBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024),
    attributes: casAttributesSchema.prefault({}),
    /**
     * The CAS server's e-mail attribute comes from the organisation's own directory: addresses count
     * for the policy (registry e-mails, emailDomain rules). CAS cannot say whether an address was
     * verified, so without this they do not.
     */
    emailsAuthoritative: z.boolean().default(false),
    /**
     * Most the IdP may say about a person, in bytes: the ID token, the userinfo answer (OIDC) or all
     * attributes (CAS). Beyond it the login is refused with a clear page (no session, no token).
     */
    maxClaimsBytes: z.number().int().min(4096).max(MAX_CLAIMS_BYTES_LIMIT).default(DEFAULT_MAX_CLAIMS_BYTES),
    /** Where the CAS server sends people after `<baseUrl>/logout` (default: the gateway's logout return URL). */
    logoutReturnUrl: returnUrl.optional(),
  })
  .refine((settings) => !(settings.gateway && settings.renew), {
    message: 'renew and gateway cannot both be true (CAS: "gateway" must not be combined with "renew")',
    path: ['gateway'],
  });

export type CasProviderSettings = z.output<typeof casProviderSchema>;
export type CasProviderInput = z.input<typeof casProviderSchema>;
export type CasAttributeMapping = z.output<typeof casAttributesSchema>;
