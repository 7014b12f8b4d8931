import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomBase64url } from '../security/random.js';
import type { Store } from '../store/store.js';

/**
 * Per-page tokens for the invite form. A token is `<issued>.<nonce>.<mac>`: the MAC (HMAC-SHA256
 * over the invite id, issue time and nonce) is keyed by a random key of the day that all replicas
 * share through the store (`invite-form-key:<day>`), so showing the page writes nothing per view.
 * A POST must bring the same token in the form and in the SameSite=Strict cookie, the MAC must
 * hold for this invite, the token must be younger than FORM_TTL_SECONDS, and its nonce is taken
 * once (`invite-form-used:<nonce>`): a form cannot be replayed.
 */
export const FORM_TTL_SECONDS = 900;
const DAY = 86400;
const TOKEN = /^(\d{1,12})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export class InviteFormTokens {
  private readonly keys = new Map<number, Buffer>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async issue(inviteId: string): Promise<string> {
    const issued = this.now();
    const nonce = randomBase64url(16);
    return `${issued}.${nonce}.${await this.mac(inviteId, issued, nonce)}`;
  }

  /** True once per valid token of this invite whose form and cookie copies agree. */
  async redeem(inviteId: string, formToken: string, cookieToken: string): Promise<boolean> {
    const match = TOKEN.exec(formToken);
    if (!match || !equal(formToken, cookieToken)) return false;
    const issued = Number(match[1]);
    const age = this.now() - issued;
    if (age < -60 || age > FORM_TTL_SECONDS) return false;
    const nonce = match[2] ?? '';
    if (!equal(match[3] ?? '', await this.mac(inviteId, issued, nonce))) return false;
    return this.store.putIfAbsent(`invite-form-used:${nonce}`, '1', FORM_TTL_SECONDS + 60);
  }

  private async mac(inviteId: string, issued: number, nonce: string): Promise<string> {
    const key = await this.key(Math.floor(issued / DAY));
    return createHmac('sha256', key).update(`${inviteId}.${issued}.${nonce}`).digest('base64url');
  }

  /** The day's key: the first replica to need it creates it; every replica caches it. */
  private async key(day: number): Promise<Buffer> {
    const cached = this.keys.get(day);
    if (cached) return cached;
    const name = `invite-form-key:${day}`;
    await this.store.putIfAbsent(name, randomBytes(32).toString('base64url'), 3 * DAY);
    const stored = await this.store.get(name);
    if (stored === null) throw new Error('invite form key vanished from the store');
    const key = Buffer.from(stored, 'base64url');
    this.keys.set(day, key);
    for (const known of this.keys.keys()) if (known < day - 2) this.keys.delete(known);
    return key;
  }
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
