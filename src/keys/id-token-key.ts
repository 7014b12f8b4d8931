import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { randomBase64url } from '../security/random.js';
import type { ConfigIssue } from '../settings/issues.js';

/**
 * The token service's own ID-token key (`tokenService.signingKey`, src/token-service/id-token.ts
 * signs with it): EC P-256 (ES256) or RSA of at least 2048 bits (RS256).
 */
export interface IdTokenKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyObject;
  jwk: JsonWebKey & { kid: string; alg: string; use: 'sig' };
}

/** Reads the configured key, or reports why it cannot sign. */
export function readIdTokenKey(config: { kid: string; privateKey: string }, path: string): { key?: IdTokenKey; issues: ConfigIssue[] } {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(config.privateKey);
  } catch {
    return { issues: [{ path: `${path}.privateKey`, problem: 'is not a readable PEM private key', fix: 'use a PKCS#8 EC P-256 or RSA private key, e.g. `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`' }] };
  }
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return { key: idTokenKey(config.kid, 'ES256', privateKey), issues: [] };
  if (privateKey.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return { key: idTokenKey(config.kid, 'RS256', privateKey), issues: [] };
  return { issues: [{ path: `${path}.privateKey`, problem: `is a ${privateKey.asymmetricKeyType ?? 'unknown'} key the token service cannot sign ID tokens with`, fix: 'use an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)' }] };
}

/** A key made at start-up: fine for one replica; replicas each make their own. */
export function ephemeralIdTokenKey(): IdTokenKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return idTokenKey(`ephemeral-${randomBase64url(9)}`, 'ES256', privateKey);
}

function idTokenKey(kid: string, alg: IdTokenKey['alg'], privateKey: KeyObject): IdTokenKey {
  const { d: _private, ...publicJwk } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kid, alg, privateKey, jwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

