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
