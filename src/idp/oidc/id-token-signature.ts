import { constants, KeyObject, verify, type VerifyKeyObjectInput } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';

/**
 * Verification of an ID token's signature against the IdP's JWKS with node:crypto, for the
 * authorization code flow. openid-client (with the non-repudiation check off for the code
 * exchange) still checks everything else (iss, aud, azp, exp, iat, nonce, alg against the client's
 * / the IdP's allowed algorithms); this adds the signature, as `enableNonRepudiationChecks` did,
 * but without WebCrypto's per-call job dispatch: a synchronous crypto.verify with a KeyObject
 * converted once per JWKS key (jose's remote JWKS set selects the key by kid, kty, alg and use,
 * caches the imported key per JWK and refetches the JWKS, rate-limited, on an unknown kid).
 *
 * Failures are thrown as openid-client ClientErrors with the codes openid-client itself would use
 * (OAUTH_KEY_SELECTION_FAILED, OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED, ...), so idpFailure
 * renders them as before.
 */

interface AlgorithmSpec {
  /** Digest for crypto.verify (null: EdDSA). */
  hash: string | null;
  /** Acceptable asymmetricKeyType values of the key. */
  keyTypes: readonly string[];
  namedCurve?: string;
  pss?: true;
}

const ALGORITHMS: Record<string, AlgorithmSpec> = {
  RS256: { hash: 'sha256', keyTypes: ['rsa'] },
  RS384: { hash: 'sha384', keyTypes: ['rsa'] },
  RS512: { hash: 'sha512', keyTypes: ['rsa'] },
  PS256: { hash: 'sha256', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  PS384: { hash: 'sha384', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  PS512: { hash: 'sha512', keyTypes: ['rsa', 'rsa-pss'], pss: true },
  ES256: { hash: 'sha256', keyTypes: ['ec'], namedCurve: 'prime256v1' },
  ES384: { hash: 'sha384', keyTypes: ['ec'], namedCurve: 'secp384r1' },
  ES512: { hash: 'sha512', keyTypes: ['ec'], namedCurve: 'secp521r1' },
  EdDSA: { hash: null, keyTypes: ['ed25519', 'ed448'] },
  Ed25519: { hash: null, keyTypes: ['ed25519'] },
};

/** KeyObjects by the key jose returned (jose caches its imported keys per JWK and alg). */
const keyObjects = new WeakMap<object, KeyObject>();

function fail(message: string, code: string, cause?: unknown): never {
  const error = new client.ClientError(message, { cause });
  error.code = code;
  throw error;
}

function toKeyObject(key: unknown): KeyObject {
  if (key instanceof KeyObject) return key;
  if (typeof key !== 'object' || key === null) fail('the JWKS did not yield a usable key', 'OAUTH_KEY_SELECTION_FAILED');
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    keyObject = KeyObject.from(key as CryptoKey);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/** Decodes the protected header of a compact JWS (throws a ClientError when it is not one). */
function protectedHeader(parts: string[]): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
  } catch (error) {
    fail('failed to parse the JWT header', 'OAUTH_PARSE_ERROR', error);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the JWT header must be a JSON object', 'OAUTH_PARSE_ERROR');
  return header as Record<string, unknown>;
}

export async function verifyIdTokenSignature(jwt: string, keys: JWTVerifyGetKey, allowed: readonly string[]): Promise<void> {
  const parts = jwt.split('.');
  if (parts.length !== 3) fail('the ID token is not a compact JWS', 'OAUTH_PARSE_ERROR');
  const header = protectedHeader(parts);
  const alg = header.alg;
  const spec = typeof alg === 'string' && allowed.includes(alg) ? ALGORITHMS[alg] : undefined;
  if (!spec) fail(`unexpected JWT "alg" header parameter ${JSON.stringify(alg)}`, 'OAUTH_JWT_ALG_NOT_SUPPORTED');
  if (header.crit !== undefined) fail('unsupported JWS "crit" header parameter', 'OAUTH_JWT_ALG_NOT_SUPPORTED');
  let key: KeyObject;
  try {
    key = toKeyObject(await keys(header as Parameters<JWTVerifyGetKey>[0], { payload: parts[1] ?? '', signature: parts[2] ?? '' }));
  } catch (error) {
    if (error instanceof client.ClientError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_JWKS_TIMEOUT') fail('the JWKS request timed out', 'OAUTH_TIMEOUT', error);
    if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') {
      fail(`no key in the JWKS fits the ID token (kid ${JSON.stringify(header.kid ?? null)}, alg ${alg as string})`, 'OAUTH_KEY_SELECTION_FAILED', error);
    }
    fail('the JWKS could not be loaded', 'OAUTH_RESPONSE_IS_NOT_CONFORM', error);
  }
  if (key.type !== 'public' || !spec.keyTypes.includes(key.asymmetricKeyType ?? '') || (spec.namedCurve && key.asymmetricKeyDetails?.namedCurve !== spec.namedCurve)) {
    fail(`the selected key does not fit "alg" ${alg as string}`, 'OAUTH_KEY_SELECTION_FAILED');
  }
  const input: VerifyKeyObjectInput = { key };
  if (spec.pss) {
    input.padding = constants.RSA_PKCS1_PSS_PADDING;
    input.saltLength = constants.RSA_PSS_SALTLEN_DIGEST;
  } else if (spec.namedCurve) {
    input.dsaEncoding = 'ieee-p1363';
  }
  let valid = false;
  try {
    valid = verify(spec.hash, Buffer.from(`${parts[0]}.${parts[1]}`, 'latin1'), input, Buffer.from(parts[2] ?? '', 'base64url'));
  } catch (error) {
    fail('JWT signature verification failed', 'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED', error);
  }
  if (!valid) fail('JWT signature verification failed', 'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED');
}
