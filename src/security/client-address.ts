import { BlockList, isIP } from 'node:net';

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

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
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
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
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
