import { GatewayError } from '../errors/gateway-error.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';

/**
 * Pure: where a person goes back to after signing in at the gate, and which meeting that is.
 *
 * The return URL (`rd`) comes from the browser (the proxy fills it in, but anyone can write a
 * sign-in link), so it is an open-redirect attempt until proven otherwise: it is resolved against
 * the target's URL, and only accepted when the result is on exactly the target's origin, under the
 * target's path, without user info. Tricks that the WHATWG URL parser turns into another origin
 * (`//evil.example`, `/\evil.example`, `https://meet.example.com@evil.example`,
 * `https://meet.example.com.evil.example`) fail the origin comparison; other schemes fail it too.
 */

export const MAX_RETURN_URL_LENGTH = 2048;

/**
 * Top-level paths of Jitsi Meet web that are not rooms (its nginx serves them as files or proxies
 * them): a return URL there goes back without a token.
 */
const JITSI_PATHS: ReadonlySet<string> = new Set([
  'static', 'libs', 'css', 'images', 'sounds', 'fonts', 'lang', 'connection_optimization', 'http-bind', 'xmpp-websocket',
  'colibri-ws', 'colibri-relay-ws', '_api', '_unlock', 'conference-request', 'room-census', 'about', 'sso', 'welcome',
]);

const bad = (message: string, detail: Record<string, unknown>) => new GatewayError('invalid_request', message, { detail, level: 'info' });

/** The checked return URL (absolute, without fragment). Missing: the target's own URL. */
export function checkReturnUrl(target: JitsiTarget, raw: string | undefined): URL {
  const base = new URL(`${target.config.url}/`);
  if (raw === undefined || raw === '') return new URL(target.config.url);
  if (raw.length > MAX_RETURN_URL_LENGTH) throw bad('This sign-in link is too long.', { rdLength: raw.length });
  // Control characters (CR/LF in particular) are refused before the parser silently drops them.
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw bad('This sign-in link does not lead back to the meeting server.', { reason: 'control characters' });
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw bad('This sign-in link does not lead back to the meeting server.', { reason: 'unparseable' });
  }
  const basePath = base.pathname;
  if (url.origin !== base.origin || url.username !== '' || url.password !== '' || !(`${url.pathname}/`.startsWith(basePath) || url.pathname === basePath)) {
    throw bad('This sign-in link does not lead back to the meeting server.', { reason: 'other origin or path', target: target.name });
  }
  url.hash = '';
  return url;
}

/** The meeting a return URL names (`/<room>` or `/<tenant>/<room>` under the target's URL), if any. */
export function roomOf(target: JitsiTarget, url: URL): RoomLocation | undefined {
  const basePath = new URL(`${target.config.url}/`).pathname;
  const rest = url.pathname.slice(basePath.length);
  const segments = rest.split('/');
  if (segments.at(-1) === '') segments.pop(); // a trailing slash
  let room: string;
  let tenant: string | undefined;
  try {
    if (segments.length === 1) {
      room = decodeURIComponent(segments[0] as string);
      if (JITSI_PATHS.has(room.toLowerCase()) || room.includes('.')) return undefined;
    } else if (segments.length === 2) {
      tenant = decodeURIComponent(segments[0] as string);
      room = decodeURIComponent(segments[1] as string);
      if (room.includes('.')) return undefined; // /tenant/config.js and the like
    } else {
      return undefined;
    }
    return target.locate(room, tenant);
  } catch {
    return undefined; // malformed escapes, room names Jitsi cannot have, tenants not served: no token
  }
}
