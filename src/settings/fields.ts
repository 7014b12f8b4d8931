/**
 * The vocabulary settings are written in, shared by src/config/ and the concerns whose settings it
 * composes (provider kinds, tokens, keys, policy, store): field helpers here, the shape of a
 * problem in issues.ts. It imports nothing of the gateway's own, so every side may import it.
 */
import { z } from 'zod';

export interface HttpUrlRules {
  /** Allow a query string (default true). */
  query?: boolean;
  /** Allow a fragment (default true). */
  fragment?: boolean;
  /** Allow user:password@ (default true). */
  credentials?: boolean;
}

/** Whether `value` is an absolute http(s) URL obeying `rules`. */
export function isHttpUrl(value: string, rules: HttpUrlRules = {}): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (rules.query === false && url.search) return false;
  if (rules.fragment === false && url.hash) return false;
  if (rules.credentials === false && (url.username || url.password)) return false;
  return true;
}

/** A config field holding an absolute http(s) URL. */
export const httpUrlField = (message: string, rules: HttpUrlRules = {}) => z.string().refine((value) => isHttpUrl(value, rules), message);

/** A base URL other URLs are built from: no query, fragment or credentials; trailing slashes removed. */
export const baseUrlField = (message: string) =>
  httpUrlField(message, { query: false, fragment: false, credentials: false }).transform((value) => value.replace(/\/+$/, ''));

/** A base URL in the gateway's own settings (publicUrl, a target's url). */
export const httpBaseUrl = baseUrlField('must be an absolute http(s) URL without query or fragment, e.g. https://meet.example.com');

/** A positive whole number of seconds; `what` names the setting in the message. */
export const wholeSeconds = (what: string) => z.number({ error: `must be a whole number of seconds (${what})` }).int().positive();
