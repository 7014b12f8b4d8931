import { isIP } from 'node:net';

/**
 * Who is on the other end of a request, for per-address limits.
 *
 * - Behind a trusted reverse proxy (`server.trustProxy`), the client is the last entry of
 *   X-Forwarded-For: the address the proxy itself saw. Earlier entries come from the client and
 *   can be anything, so they are never used. Koa's `ctx.ip` takes the first entry, so it is not
 *   used here.
 * - Otherwise the client is the TCP peer.
 *
 * An address is only worth limiting when it is public. A private, loopback or link-local address
 * is usually a proxy or a load balancer (the sidecar's 127.0.0.1, an ingress pod) that speaks for
 * many people, and throttling it would throttle all of them.
 */

/**
 * Not public (by hand rather than with node:net's BlockList, whose check builds a native
 * SocketAddress per call and cost a quarter of GET /login's throughput): IPv4 0/8, 10/8,
 * 100.64/10 (carrier-grade NAT), 127/8, 169.254/16, 172.16/12, 192.168/16; IPv6 ::, ::1 and the
 * rest of ::/16, fc00::/7 (unique local), fe80::/10 (link-local).
 */
function privateIpv4(address: string): boolean {
  const [a = 0, b = 0] = address.split('.', 2).map(Number);
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

function privateIpv6(address: string): boolean {
  if (address.startsWith('::')) return true;
  const first = Number.parseInt(address.slice(0, address.indexOf(':')), 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; anything that is not an IP address → undefined. */
export function normalizeAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let address = raw.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) address = mapped[1] ?? address;
  return isIP(address) === 0 ? undefined : address.toLowerCase();
}

/** The client's address as described above, or undefined when it cannot be told. */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string | undefined {
  if (!trustProxy) return normalizeAddress(peer);
  if (!forwardedFor) return normalizeAddress(peer);
  const entries = forwardedFor.split(',');
  return normalizeAddress(entries[entries.length - 1]);
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !privateIpv4(address);
  if (family === 6) return !privateIpv6(address.toLowerCase());
  return false;
}

/**
 * What a per-address limit counts: an IPv4 address, or the /64 network of an IPv6 address (one
 * subscriber usually holds a whole /64, so single IPv6 addresses would be free for the taking).
 */
export function limitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.padStart(4, '0'))
    .join(':')}::/64`;
}
