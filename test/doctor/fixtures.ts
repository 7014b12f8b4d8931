import { createHmac, generateKeyPairSync, sign as rsaSign, type KeyObject } from 'node:crypto';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createTargets } from '../../src/tokens/targets.js';
import type { JitsiTarget } from '../../src/tokens/target.js';

export const SECRET = 'dGhpcyBpcyBhIHRlc3Qgc2VjcmV0IG9mIDQ4IGJ5dGVzIQ-x7Kq9';
export const APP_ID = 'meet-gateway';
export const XMPP_DOMAIN = 'meet.jitsi';
export const KID = 'jsg-test-2026:a';

/** One RSA key for the whole file: generating keys is slow. */
export const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const rsaPrivatePem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
export const rsaPublicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();

const target = (algorithm: 'HS256' | 'RS256') => ({
  url: 'https://meet.example.com',
  xmppDomain: XMPP_DOMAIN,
  appId: APP_ID,
  audience: 'jitsi',
  tenants: ['sales'],
  algorithm,
  ...(algorithm === 'HS256' ? { secret: SECRET } : { keys: [{ kid: KID, status: 'active', privateKey: rsaPrivatePem }] }),
});

export function gatewayConfig(algorithm: 'HS256' | 'RS256', publicUrl = 'http://127.0.0.1:8080'): Config {
  return parseConfig({ publicUrl, log: { level: 'silent' }, server: { shutdownGraceSeconds: 1 }, targets: { meet: target(algorithm) } }).config;
}

export function jitsiTarget(algorithm: 'HS256' | 'RS256'): JitsiTarget {
  const found = createTargets(gatewayConfig(algorithm)).get('meet');
  if (!found) throw new Error('no target');
  return found;
}

export function issue(target: JitsiTarget, room: string, tenant?: string, now?: number): string {
  const location = target.locate(room, tenant);
  return target.issue({ location, user: { id: 'u-1', name: 'Ada', email: 'ada@example.com', moderator: true, affiliation: 'owner' } }, now).token;
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Signs any header and payload with HMAC (the header's alg only picks the hash when HS*). */
export function hsToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const hash = header.alg === 'HS384' ? 'sha384' : header.alg === 'HS512' ? 'sha512' : 'sha256';
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

export function rsToken(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject = rsa.privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${rsaSign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

export function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  return `${b64(header)}.${b64(payload)}.${signature}`;
}
