import { z } from 'zod';
import { httpUrlField } from '../../settings/fields.js';

/**
 * Settings of one SAML 2.0 provider (`providers.<name>` with `kind: saml`). Strict: an unknown key
 * is a configuration error. See docs/saml.md for the reference.
 */

const absoluteUrl = (what: string) => httpUrlField(`must be the absolute http(s) URL of ${what}`, { fragment: false, credentials: false });

/** Where the IdP's metadata comes from: exactly one of url, file, xml. */
export const samlIdpSchema = z
  .strictObject({
    /** Fetched at start-up and refreshed in the background; a failed refresh keeps the last good copy. */
    metadataUrl: absoluteUrl('the IdP metadata').optional(),
    /** A metadata file on disk (read at start-up). */
    metadataFile: z.string().min(1).optional(),
    /** The metadata XML itself. */
    metadata: z.string().min(1).optional(),
    /**
     * Base URL of a federation's MDQ service (metadata query protocol): each IdP's metadata is
     * fetched on demand from `<mdqUrl>/entities/<url-encoded entityID>`, must be signed by the
     * federation certificate, and is cached until its validUntil / cacheDuration. The IdP comes from
     * the login URL's `entityID` (a portal or an external discovery service).
     */
    mdqUrl: absoluteUrl('the MDQ service').optional(),
    /** Longest time an MDQ answer is kept, whatever its cacheDuration says (default 6 hours). */
    mdqMaxCacheSeconds: z.number().int().min(60).max(7 * 86400).optional(),
    /**
     * PEM certificate(s) of the federation (or whoever signs the metadata): when set, the metadata
     * must carry a valid signature by one of them, and unsigned or expired metadata is refused.
     */
    metadataSigningCertificates: z.array(z.string().min(1)).min(1).max(4).optional(),
    /** Files holding those certificates. */
    metadataSigningCertificateFiles: z.array(z.string().min(1)).min(1).max(4).optional(),
    /** The IdP's entityID: picks one IdP out of an aggregate. Left out for a signed aggregate of several IdPs: the provider serves them all (a federation, docs/saml.md). */
    entityId: z.string().min(1).max(1024).optional(),
    /** How often metadataUrl is fetched again. */
    refreshSeconds: z.number().int().min(60).max(7 * 86400).default(3600),
    /** Time limit of one metadata download. */
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** Metadata larger than this is refused. */
    maxMetadataBytes: z
      .number()
      .int()
      .min(4096)
      .max(256 * 1024 * 1024)
      .default(5 * 1024 * 1024),
  })
  .refine((idp) => [idp.metadataUrl, idp.metadataFile, idp.metadata, idp.mdqUrl].filter((value) => value !== undefined).length === 1, {
    message: 'set exactly one of metadataUrl, metadataFile, metadata, mdqUrl',
  })
  .refine((idp) => idp.mdqUrl === undefined || idp.metadataSigningCertificates !== undefined || idp.metadataSigningCertificateFiles !== undefined, {
    message: 'mdqUrl needs the federation certificate (metadataSigningCertificates or metadataSigningCertificateFiles): every answer must be signed',
  })
  .refine((idp) => idp.mdqUrl === undefined || idp.entityId === undefined, {
    message: 'mdqUrl serves every IdP of the federation: leave entityId out',
  });

/**
 * The gateway as SAML service provider. The key signs AuthnRequests (when wanted), LogoutRequests and
 * LogoutResponses, and decrypts encrypted assertions; its certificate is published in the SP
 * metadata at `<publicUrl>/auth/<name>/metadata`.
 */
export const samlSpSchema = z.strictObject({
  /** Default: the SP metadata URL, `<publicUrl>/auth/<name>/metadata`. */
  entityId: z.string().min(1).max(1024).optional(),
  /** PKCS#8 or PKCS#1 PEM RSA private key (or privateKeyFile). */
  privateKey: z.string().min(1),
  /** PEM certificate of that key (or certificateFile). */
  certificate: z.string().min(1).optional(),
  /** A file holding the PEM certificate. */
  certificateFile: z.string().min(1).optional(),
  /** A second certificate announced in the metadata for a key rollover (the IdP learns it before it is used). */
  nextCertificate: z.string().min(1).optional(),
  /** A file holding the next PEM certificate. */
  nextCertificateFile: z.string().min(1).optional(),
});

/**
 * Attribute mapping. Each value names attributes, alternatives separated by `|` (first present wins).
 * Names are friendly names (`mail`, `eduPersonPrincipalName`), which also match the standard OIDs
 * (`urn:oid:…`) and the attribute's own FriendlyName, or exact attribute Names (e.g. AD FS claim
 * URIs). `nameid` is the Subject's NameID unless it is transient; `nameid:any` includes transient.
 */
const attributeSpec = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[^\s|]+(\|[^\s|]+)*$/, 'must be an attribute name, or several separated by | (first present wins)');

export const samlAttributesSchema = z.strictObject({
  /** Stable person id; `nameid` is a persistent (or e-mail) NameID, never a transient one. */
  id: attributeSpec.default('subject-id|pairwise-id|eduPersonPrincipalName|eduPersonTargetedID|nameid'),
  /** Display name; `a+b` joins two attributes with a space. */
  name: attributeSpec.default('displayName|cn|givenName+sn'),
  email: attributeSpec.default('mail|email'),
  /** URL of a picture (only http(s) URLs are used). */
  avatar: attributeSpec.optional(),
  /** Multi-valued: group names for policy rules. */
  groups: attributeSpec.default('isMemberOf|groups|memberOf'),
});

export const NAMEID_FORMATS = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

export const samlProviderSchema = z.strictObject({
  kind: z.literal('saml'),
  /** Shown on the provider chooser and in messages. */
  displayName: z.string().min(1).max(200).optional(),
  /** A preset from providers/ (shibboleth, adfs, entra-id-saml, ...) whose defaults apply under these settings. */
  preset: z.string().optional(),
  /** The identity provider: where its metadata comes from. */
  idp: samlIdpSchema,
  /** The gateway as service provider: its key and certificate. */
  sp: samlSpSchema,
  /**
   * Which signature a response must carry: `assertion` (the assertion itself signed; the usual and
   * safest), `response` (the whole Response signed), `both`, or `either`.
   */
  requireSignature: z.enum(['assertion', 'response', 'both', 'either']).default('assertion'),
  /** Refuse assertions that are not encrypted to the SP's key. */
  requireEncryptedAssertion: z.boolean().default(false),
  /** Sign AuthnRequests: `auto` when the IdP metadata says WantAuthnRequestsSigned. */
  signAuthnRequests: z.enum(['auto', 'always', 'never']).default('auto'),
  /** Signature algorithm of what the gateway signs. */
  signatureAlgorithm: z.enum(['sha256', 'sha512']).default('sha256'),
  /** NameIDPolicy Format asked for; `unspecified` leaves it to the IdP. */
  nameIdFormat: z.enum(['persistent', 'transient', 'email', 'unspecified']).default('unspecified'),
  /** RequestedAuthnContext class references (none: the IdP decides). */
  authnContext: z.array(z.string().min(1).max(512)).max(10).default([]),
  /** Leeway for NotBefore / NotOnOrAfter, in seconds. */
  clockSkewSeconds: z.number().int().min(0).max(600).default(60),
  /**
   * Accept responses no AuthnRequest asked for (IdP-initiated SSO): they open a gateway session and
   * land on the default Jitsi target. Off: refused. On, anyone who can make the IdP send a response
   * can sign a browser in as themselves (login CSRF): enable only when an IdP portal needs it.
   */
  allowIdpInitiated: z.boolean().default(false),
  /** Check scoped attribute values (eduPersonPrincipalName, …) against the metadata's shibmd:Scope. */
  checkScopes: z.boolean().default(true),
  /** SAMLResponse form posts larger than this are refused (413). */
  maxResponseBytes: z
    .number()
    .int()
    .min(8 * 1024)
    .max(1536 * 1024)
    .default(512 * 1024),
  /** Which attributes become the person's id, name, e-mail, avatar and groups (docs/saml.md). */
  attributes: samlAttributesSchema.prefault({}),
  /**
   * The IdP's e-mail attribute comes from the organisation's own directory: addresses count for the
   * policy (registry e-mails, emailDomain rules). SAML cannot say whether an address was verified,
   * so without this they do not.
   */
  emailsAuthoritative: z.boolean().default(false),
  /** Send a LogoutRequest to the IdP when a person signs out of the gateway. */
  singleLogout: z.boolean().default(true),
});

export type SamlProviderSettings = z.output<typeof samlProviderSchema>;
export type SamlProviderInput = z.input<typeof samlProviderSchema>;
export type SamlAttributeMapping = z.output<typeof samlAttributesSchema>;
