import type { Identity } from './identity.js';

/**
 * What a gateway session keeps of the claims: only those the policy can ask about later (claim
 * conditions of rules, wherever they are in `policy:`), not everything the IdP sent. A session
 * lives for hours in the store; one IdP answer with a 300 kB claim made every session of that
 * person a megabyte-sized Redis value.
 */

/** Top-level claim names the policy's claim conditions can look at (a path's first segment, and the whole name). */
export function claimNamesInPolicy(policy: unknown): ReadonlySet<string> {
  const names = new Set<string>();
  const visit = (node: unknown, depth: number): void => {
    if (depth > 12 || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'claims' && Array.isArray(value)) {
        for (const matcher of value) {
          const claim = (matcher as { claim?: unknown } | null)?.claim;
          if (typeof claim !== 'string') continue;
          names.add(claim);
          names.add(claim.split('.')[0] ?? claim);
        }
      } else visit(value, depth + 1);
    }
  };
  visit(policy, 0);
  return names;
}

const cache = new WeakMap<object, ReadonlySet<string>>();

/** claimNamesInPolicy, computed once per (immutable) policy configuration. */
export function claimNamesFor(policy: object): ReadonlySet<string> {
  let names = cache.get(policy);
  if (!names) cache.set(policy, (names = claimNamesInPolicy(policy)));
  return names;
}

/** The identity with only the claims in `keep`. */
export function withKeptClaims(identity: Identity, keep: ReadonlySet<string>): Identity {
  const claims: Record<string, unknown> = {};
  for (const name of keep) {
    if (Object.hasOwn(identity.claims, name)) Object.defineProperty(claims, name, { value: identity.claims[name], enumerable: true, writable: true, configurable: true });
  }
  return { ...identity, claims };
}

/** The largest amount of claims (JSON) a provider may send by default, and the bounds of the setting. */
export const DEFAULT_MAX_CLAIMS_BYTES = 65_536;
export const MAX_CLAIMS_BYTES_LIMIT = 1_048_576;
