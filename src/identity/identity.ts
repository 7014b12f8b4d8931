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
  avatar?: string;
  /** Group / role names, deduplicated. */
  groups: string[];
  /** All claims or attributes as received, for policy rules matching on any mapped claim. */
  claims: Record<string, unknown>;
}
