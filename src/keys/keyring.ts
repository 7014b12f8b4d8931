import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { ConfigIssue } from '../settings/issues.js';
import type { KeyConfig } from './settings.js';

/** A public key as Prosody fetches it: by `kid` from asap_key_server, or from the JWKS. */
export interface PublishedKey {
  kid: string;
  status: KeyConfig['status'];
  /** hex(sha256(kid)): Prosody requests `<asap_key_server>/<asapName>.pem`. */
  asapName: string;
  /** SPKI PEM, exactly what the asap endpoint serves. */
  pem: string;
  jwk: JsonWebKey & { kid: string; alg: string; use: 'sig' };
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

/**
 * The RS* keys of one Jitsi target: exactly one `active` key signs; `next` keys are published
 * before they sign, `retiring` keys stay published after they stop, so rotation has no gap.
 */
export interface Keyring {
  signing: SigningKey;
  published: PublishedKey[];
}

export const MIN_RSA_BITS = 2048;

export function asapName(kid: string): string {
  return createHash('sha256').update(kid, 'utf8').digest('hex');
}

/**
 * Builds the keyring of one target from its config, or reports every problem with its config path.
 * `path` is the config path of the keys array (e.g. "targets.meet.keys").
 */
export function loadKeyring(
  keys: readonly KeyConfig[],
  algorithm: string,
  path: string,
): { keyring?: Keyring; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const published: PublishedKey[] = [];
  let signing: SigningKey | undefined;
  if (keys.length === 0) {
    issues.push({
      path,
      problem: `${algorithm} needs at least one key`,
      fix: 'create one with `jitsi-sso-gateway keys generate` and add it with status: active and privateKeyFile',
    });
    return { issues };
  }
  const active = keys.filter((key) => key.status === 'active');
  if (active.length !== 1) {
    issues.push({
      path,
      problem: `exactly one key must have status "active" (found ${active.length})`,
      fix: 'mark the key that signs new tokens as active; use "next" for a key being introduced and "retiring" for the previous one',
    });
  }
  const seen = new Set<string>();
  keys.forEach((key, index) => {
    const keyPath = `${path}.${index}`;
    if (seen.has(key.kid)) {
      issues.push({ path: `${keyPath}.kid`, problem: `kid "${key.kid}" is used twice`, fix: 'every key needs its own kid; Prosody caches keys per kid forever' });
    }
    seen.add(key.kid);
    let privateKey: KeyObject | undefined;
    let publicKey: KeyObject | undefined;
    try {
      if (key.privateKey) {
        privateKey = createPrivateKey(key.privateKey);
        publicKey = createPublicKey(privateKey);
      } else if (key.publicKey) {
        publicKey = createPublicKey(key.publicKey);
      }
    } catch {
      issues.push({
        path: `${keyPath}.${key.privateKey ? 'privateKey' : 'publicKey'}`,
        problem: 'is not a readable PEM key',
        fix: 'use a PKCS#8 or PKCS#1 RSA private key (or SPKI public key) in PEM form, e.g. from `jitsi-sso-gateway keys generate`',
      });
      return;
    }
    if (!publicKey) {
      issues.push({ path: keyPath, problem: 'has neither privateKey nor publicKey', fix: 'set privateKeyFile (or publicKeyFile for a key that no longer signs)' });
      return;
    }
    if (publicKey.asymmetricKeyType !== 'rsa') {
      issues.push({
        path: keyPath,
        problem: `is a ${publicKey.asymmetricKeyType ?? 'non-RSA'} key; ${algorithm} needs an RSA key (Prosody accepts no EC or EdDSA keys)`,
        fix: 'generate an RSA key with `jitsi-sso-gateway keys generate`',
      });
      return;
    }
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      issues.push({ path: keyPath, problem: `RSA key has ${bits} bits`, fix: `use at least ${MIN_RSA_BITS} bits` });
      return;
    }
    if (key.status === 'active') {
      if (!privateKey) {
        issues.push({ path: `${keyPath}.privateKey`, problem: 'the active key needs its private key', fix: 'set privateKeyFile for the active key' });
        return;
      }
      signing = { kid: key.kid, privateKey };
    }
    const jwk = publicKey.export({ format: 'jwk' });
    published.push({
      kid: key.kid,
      status: key.status,
      asapName: asapName(key.kid),
      pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      jwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: key.kid, alg: algorithm, use: 'sig' },
    });
  });
  if (issues.length > 0 || !signing) return { issues };
  return { keyring: { signing, published }, issues };
}
