import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { verifyIdTokenSignature } from '../../../src/idp/oidc/id-token-signature.js';

const ALL = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

async function signer(alg: string, kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const sign = (claims: Record<string, unknown> = { sub: 'ada' }, header: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg, kid, ...header }).setIssuedAt().sign(privateKey);
  return { jwk, sign };
}

const codeOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(client.ClientError);
  return (error as client.ClientError).code;
};

describe('verifyIdTokenSignature (node:crypto, cached KeyObjects)', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'])('accepts a genuine %s token, twice (cached key)', async (alg) => {
    const { jwk, sign } = await signer(alg, `k-${alg}`);
    const keys = createLocalJWKSet({ keys: [jwk] });
    await verifyIdTokenSignature(await sign(), keys, ALL);
    await verifyIdTokenSignature(await sign({ sub: 'bob' }), keys, ALL);
  });

  it('refuses a token signed by a key the IdP does not publish under that kid', async () => {
    const published = await signer('RS256', 'k1');
    const attacker = await signer('RS256', 'k1');
    expect(await codeOf(verifyIdTokenSignature(await attacker.sign(), createLocalJWKSet({ keys: [published.jwk] }), ALL))).toBe('OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('refuses an unknown kid', async () => {
    const published = await signer('RS256', 'k1');
    const other = await signer('RS256', 'k2');
    expect(await codeOf(verifyIdTokenSignature(await other.sign(), createLocalJWKSet({ keys: [published.jwk] }), ALL))).toBe('OAUTH_KEY_SELECTION_FAILED');
  });

  it('refuses a tampered payload', async () => {
    const { jwk, sign } = await signer('ES256', 'k1');
    const [header, , signature] = (await sign()).split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${signature}`;
    expect(await codeOf(verifyIdTokenSignature(forged, createLocalJWKSet({ keys: [jwk] }), ALL))).toBe('OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('refuses an alg outside the allow-list, alg none, HS256 and crit headers', async () => {
    const { jwk, sign } = await signer('RS256', 'k1');
    const keys = createLocalJWKSet({ keys: [jwk] });
    expect(await codeOf(verifyIdTokenSignature(await sign(), keys, ['ES256']))).toBe('OAUTH_JWT_ALG_NOT_SUPPORTED');
    const none = `${Buffer.from('{"alg":"none","kid":"k1"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    expect(await codeOf(verifyIdTokenSignature(none, keys, ALL))).toBe('OAUTH_JWT_ALG_NOT_SUPPORTED');
    const hs = `${Buffer.from('{"alg":"HS256","kid":"k1"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.AAAA`;
    expect(await codeOf(verifyIdTokenSignature(hs, keys, [...ALL, 'HS256']))).toBe('OAUTH_JWT_ALG_NOT_SUPPORTED');
    expect(await codeOf(verifyIdTokenSignature(await sign({ sub: 'x' }, { crit: ['b64'], b64: true }), keys, ALL))).toBe('OAUTH_JWT_ALG_NOT_SUPPORTED');
    expect(await codeOf(verifyIdTokenSignature('a.b', keys, ALL))).toBe('OAUTH_PARSE_ERROR');
  });

  it('refuses a key whose type does not fit the alg in the header', async () => {
    const rsa = await signer('RS256', 'k1');
    const ec = await signer('ES256', 'k1');
    // An ES256 header pointing at a published RSA key (no alg on the JWK so jose cannot filter it).
    const { alg: _alg, ...rsaJwk } = rsa.jwk;
    const token = await ec.sign();
    const code = await codeOf(verifyIdTokenSignature(token, createLocalJWKSet({ keys: [rsaJwk] }), ALL));
    expect(['OAUTH_KEY_SELECTION_FAILED', 'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED']).toContain(code);
  });
});
