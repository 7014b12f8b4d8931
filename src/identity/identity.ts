/**
 * The provider-neutral person that every identity provider (OIDC, CAS, the development IdP)
 * produces and that the policy and token code consume. Protocol details stay in src/idp/.
 */
export interface Identity {
  /** Name of the configured provider that authenticated the person. */
  provider: string;
  /** Stable id at that provider (OIDC `sub` or mapped claim, CAS user). Never empty. */
  id: string;
  name?: string;
  email?: string;
  /**
   * Whether the provider vouches for `email` (OIDC `email_verified: true` for the `email` claim, or
   * a provider whose addresses are declared authoritative). Only vouched-for addresses count as
   * identity in the policy (registry e-mails, emailDomain); absent means no.
   */
  emailVerified?: boolean;
  avatar?: string;
  /** Group / role names, deduplicated. */
  groups: string[];
  /** All claims or attributes as received, for policy rules matching on any mapped claim. */
  claims: Record<string, unknown>;
}
