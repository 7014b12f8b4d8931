import { GatewayError } from '../errors/gateway-error.js';
import { isPublicAddress, limitKey } from '../security/client-address.js';

/**
 * A cap on new login transactions per client address and minute (`session.loginStartsPerMinute`).
 * Each transaction is a store entry that lives `session.loginTimeoutSeconds`. Without a cap, one
 * client hammering /login could fill Redis with them.
 *
 * - Only public addresses are counted (src/security/client-address.ts). Behind a proxy without
 *   `server.trustProxy`, every request seems to come from the proxy, so nothing is limited rather
 *   than everyone at once.
 * - The count is kept in this process, in fixed one-minute windows: with N replicas an address
 *   gets up to N times the limit. The limit is a guard against one noisy source, not an exact
 *   quota, and the check costs no store round trip.
 * - People with a gateway session never reach this check: their tokens need no transaction.
 * - The default (1,200 a minute) leaves room for a whole office behind one NAT address joining
 *   an all-hands meeting.
 */
export class LoginStartLimiter {
  /** Addresses tracked per window at most; beyond, new addresses pass uncounted (memory stays bounded). */
  static readonly MAX_TRACKED = 100_000;
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 when `address` has started `perMinute` logins in this minute already. */
  check(address: string | undefined): void {
    if (this.perMinute === 0 || address === undefined || !isPublicAddress(address)) return;
    const window = Math.floor(this.now() / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const key = limitKey(address);
    const count = (this.counts.get(key) ?? 0) + 1;
    if (count > this.perMinute) {
      throw new GatewayError('rate_limited', 'Too many sign-ins were started from your network in the last minute. Please wait a minute, then open the meeting link again.', {
        retryAfterSeconds: 60 - Math.floor((this.now() % 60_000) / 1000),
        detail: { reason: 'login starts per minute', address: key, limit: this.perMinute },
      });
    }
    if (count === 1 && this.counts.size >= LoginStartLimiter.MAX_TRACKED) return;
    this.counts.set(key, count);
  }
}
