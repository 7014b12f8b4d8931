import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Pure: the gate pass, the cookie the reverse proxy's check reads on every request to a Jitsi
 * host (page, assets, each BOSH poll). It is signed, not stored: the check answers from it alone,
 * without a store round trip, while it is fresh.
 *
 *   value = base64url(JSON [1, target, sessionId, issuedAt, expiresAt, provider, user]) "." base64url(HMAC-SHA256)
 *
 * - bound to one Jitsi host: `target` is inside the MAC, and the check compares it with the target
 *   its own URL names, so a pass for another Jitsi host (or copied under another cookie name) fails;
 * - bound to one gateway session: `sessionId` is the store id of the session (the SHA-256 of the
 *   session cookie, never the cookie itself); when the pass is older than `recheckSeconds` the
 *   check looks the session up once and issues a new pass, or refuses when the session ended;
 * - `expiresAt` is the session's own end: never accepted after it, whatever the age;
 * - `provider` and `user` only name the person in the proxy's access log (response headers).
 *
 * The HMAC key is derived from gate.cookieSecret (HKDF-SHA256), so the secret itself is never
 * used as a key elsewhere.
 */

export interface GatePass {
  /** Name of the target (Jitsi host) the pass is for. */
  target: string;
  /** Store id of the gateway session. */
  sessionId: string;
  /** Seconds since the epoch when this pass was signed (after a store check). */
  issuedAt: number;
  /** The gateway session's end, seconds since the epoch. */
  expiresAt: number;
  provider: string;
  /** The person's id at the provider, for the access log (cut to MAX_USER_LENGTH). */
  user: string;
}

/** Longest cookie value the check reads; anything longer is refused unread. */
export const MAX_PASS_LENGTH = 1024;
export const MAX_USER_LENGTH = 200;
const MAC_LENGTH = 43; // base64url of 32 bytes

export class GatePassSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'jitsi-sso-gateway gate pass v1', 32));
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  sign(pass: GatePass): string {
    const user = pass.user.length > MAX_USER_LENGTH ? `${pass.user.slice(0, MAX_USER_LENGTH - 1)}…` : pass.user;
    const payload = Buffer.from(JSON.stringify([1, pass.target, pass.sessionId, pass.issuedAt, pass.expiresAt, pass.provider, user]), 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The pass when the value is well-formed and its MAC is right; undefined otherwise. Times are not checked here. */
  verify(value: string): GatePass | undefined {
    if (value.length > MAX_PASS_LENGTH) return undefined;
    const dot = value.length - MAC_LENGTH - 1;
    if (dot <= 0 || value.charCodeAt(dot) !== 46 /* . */) return undefined;
    const payload = value.slice(0, dot);
    const expected = Buffer.from(this.mac(payload), 'utf8');
    const given = Buffer.from(value.slice(dot + 1), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined; // signed by us, so never in practice
    }
    if (!Array.isArray(fields) || fields.length !== 7 || fields[0] !== 1) return undefined;
    const [, target, sessionId, issuedAt, expiresAt, provider, user] = fields as unknown[];
    if (typeof target !== 'string' || typeof sessionId !== 'string' || typeof provider !== 'string' || typeof user !== 'string') return undefined;
    if (!Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresAt)) return undefined;
    return { target, sessionId, issuedAt: issuedAt as number, expiresAt: expiresAt as number, provider, user };
  }
}

/**
 * Every value of cookie `name` in a Cookie header, in order (a browser can send the same name
 * twice, e.g. a cookie tossed from a parent domain besides the host's own): the check accepts the
 * request when any of them is a valid pass. A scan, not a parse of the whole header: it runs on
 * every proxied request.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (!header) return values;
  const limit = Math.min(header.length, 8192);
  let from = 0;
  while (from < limit) {
    const at = header.indexOf(name, from);
    if (at < 0 || at >= limit) break;
    const end = at + name.length;
    let before = at - 1;
    while (before >= 0 && header.charCodeAt(before) === 32) before -= 1;
    const startsPair = before < 0 || header.charCodeAt(before) === 59; /* ; */
    if (startsPair && header.charCodeAt(end) === 61 /* = */) {
      const semicolon = header.indexOf(';', end + 1);
      const stop = semicolon < 0 ? header.length : semicolon;
      values.push(header.slice(end + 1, stop).trim());
      from = stop + 1;
    } else {
      from = end;
    }
  }
  return values;
}
