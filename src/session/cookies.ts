import { createHash } from 'node:crypto';
import { randomBase64url } from '../security/random.js';

/**
 * The gateway's cookies: HttpOnly, SameSite=Lax (the IdP's redirect back is a top-level GET, which
 * Lax cookies accompany), Secure when publicUrl is https, Path = the gateway's base path. Values are
 * random 256-bit strings; the store only ever sees their SHA-256, so a store dump holds no live
 * cookie.
 */

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface CookieOptions {
  secure: boolean;
  path: string;
}

/** Where the gateway is served: its cookies are Secure on https and scoped to its path. */
export interface CookieScope {
  publicUrl: string;
  basePath: string;
}

export function cookieOptions(services: CookieScope): CookieOptions {
  return { secure: services.publicUrl.startsWith('https:'), path: services.basePath || '/' };
}

export function serializeCookie(name: string, value: string, maxAgeSeconds: number, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`, 'HttpOnly', 'SameSite=Lax'];
  if (maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export const clearCookie = (name: string, options: CookieOptions) => serializeCookie(name, '', 0, options);

/** Parses a Cookie header; the first occurrence of a name wins (the most specific path). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.slice(0, 8192).split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name !== '' && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** A new random cookie value (256 bits). */
export const randomValue = () => randomBase64url(32);

/** Whether a value has the shape of the gateway's random cookie values. */
export const isCookieValue = (value: string) => COOKIE_VALUE.test(value);

/** The value of `name` when it looks like one the gateway set, else undefined. */
export function gatewayCookie(cookies: ReadonlyMap<string, string>, name: string): string | undefined {
  const value = cookies.get(name);
  return value !== undefined && COOKIE_VALUE.test(value) ? value : undefined;
}

/** What the store keeps instead of a cookie value or handle. */
export const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
