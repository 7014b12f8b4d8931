import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { describeError, fail, ok, providerUrls, warn, type CheckResult } from '../check.js';
import { discoveryUrlFor, DiscoveryMismatchError, fetchDiscovery, resolveMetadata, UNREACHABLE_FIX, type ResolvedMetadata } from './discovery.js';
import { clientAuthRefused, oauthErrorOf } from './errors.js';
import { backchannelFetch } from './http.js';
import { clientAuthentication } from './provider.js';
import type { OidcProviderSettings } from './settings.js';

/** The ID token algorithms the gateway verifies (asymmetric only; see provider.ts). */
const ACCEPTED = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const KEY_TYPES: Record<string, string> = { R: 'RSA', P: 'RSA', E: 'EC' };

/**
 * Checks an OIDC provider the way a login would use it: discovery and issuer, endpoints, PKCE,
 * the JWKS and its algorithms, and the client authentication (a code grant with an invalid code:
 * invalid_grant means the IdP authenticated the client, invalid_client that it did not).
 */
export async function checkOidcProvider(name: string, settings: OidcProviderSettings, publicUrl: string, fetchImpl: typeof fetch = fetch): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const url = discoveryUrlFor(settings);
  let document: unknown;
  try {
    document = await fetchDiscovery(url, settings.timeoutMs, fetchImpl);
    results.push(ok('discovery', `read ${url}`));
  } catch (error) {
    results.push(fail('discovery', `${url}: ${describeError(error)}`, UNREACHABLE_FIX));
    return results;
  }
  let resolved: ResolvedMetadata;
  try {
    resolved = resolveMetadata(document, settings, url);
    results.push(ok('issuer', `the discovery document names ${settings.issuer}, as configured`));
  } catch (error) {
    results.push(fail('issuer and endpoints', describeError(error), error instanceof DiscoveryMismatchError ? error.fix : undefined));
    return results;
  }
  const metadata = resolved.metadata;
  const doc = document as Record<string, unknown>;
  results.push(ok('endpoints', `authorization ${metadata.authorization_endpoint}, token ${metadata.token_endpoint}, JWKS ${metadata.jwks_uri}`));
  if (settings.userinfo === 'always' && !metadata.userinfo_endpoint) {
    results.push(fail('userinfo endpoint', 'userinfo: always, but the IdP publishes no userinfo_endpoint', 'set userinfo: auto or never, or endpoints.userinfo'));
  }
  if (settings.logout === 'rp-initiated') {
    results.push(
      metadata.end_session_endpoint
        ? ok('logout', `RP-initiated logout at ${metadata.end_session_endpoint}`)
        : warn('logout', 'logout: rp-initiated, but the IdP publishes no end_session_endpoint: /logout ends only the gateway session', 'set logout: local (or endpoints.endSession)'),
    );
  }
  const pkce = doc.code_challenge_methods_supported;
  if (Array.isArray(pkce) && !pkce.includes('S256')) {
    results.push(fail('PKCE', `code_challenge_methods_supported is ${JSON.stringify(pkce)}, without S256`, 'enable PKCE with S256 for this client at the IdP'));
  }
  const methods = doc.token_endpoint_auth_methods_supported;
  if (Array.isArray(methods) && !methods.includes(settings.clientAuth)) {
    results.push(fail('client authentication method', `the IdP supports ${methods.join(', ')}, not clientAuth ${settings.clientAuth}`, `set clientAuth to one of ${methods.join(', ')} (the one the client is registered with)`));
  }
  results.push(await checkKeys(settings, metadata, doc, fetchImpl));
  results.push(await checkClientAuthentication(name, settings, resolved, publicUrl));
  return results;
}

async function checkKeys(settings: OidcProviderSettings, metadata: client.ServerMetadata, doc: Record<string, unknown>, fetchImpl: typeof fetch): Promise<CheckResult> {
  const advertised = Array.isArray(doc.id_token_signing_alg_values_supported) ? (doc.id_token_signing_alg_values_supported as unknown[]).filter((alg): alg is string => typeof alg === 'string') : undefined;
  const wanted = settings.idTokenAlg ? [settings.idTokenAlg] : ACCEPTED;
  const usable = advertised ? advertised.filter((alg) => wanted.includes(alg)) : wanted;
  if (advertised && usable.length === 0) {
    return fail('ID token algorithms', `the IdP signs ID tokens with ${advertised.join(', ')}; the gateway accepts ${wanted.join(', ')}`, settings.idTokenAlg ? 'set idTokenAlg to one the IdP offers' : 'configure the IdP to sign ID tokens with RS256');
  }
  const jwksUri = String(metadata.jwks_uri);
  let keys: Array<Record<string, unknown>>;
  try {
    const response = await fetchImpl(jwksUri, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(settings.timeoutMs) });
    if (response.status !== 200) {
      await response.body?.cancel();
      return fail('JWKS', `${jwksUri} answered HTTP ${response.status}`, UNREACHABLE_FIX);
    }
    const body = (await response.json()) as { keys?: unknown };
    keys = Array.isArray(body.keys) ? (body.keys as Array<Record<string, unknown>>) : [];
  } catch (error) {
    return fail('JWKS', `${jwksUri}: ${describeError(error)}`, UNREACHABLE_FIX);
  }
  const signing = keys.filter((key) => key.use === undefined || key.use === 'sig');
  const fits = signing.filter((key) => usable.some((alg) => (key.alg === undefined || key.alg === alg) && (alg.startsWith('Ed') ? key.kty === 'OKP' : key.kty === KEY_TYPES[alg[0] ?? ''])));
  if (fits.length === 0) {
    return fail('JWKS', `${jwksUri} has ${keys.length} key(s), none for ${usable.join(', ')}`, 'the IdP must publish the public key it signs ID tokens with at its jwks_uri');
  }
  const kids = fits.map((key) => (typeof key.kid === 'string' ? key.kid : '(no kid)')).join(', ');
  return ok('JWKS', `${fits.length} signing key(s) (${kids}) for ${usable.join(', ')} at ${jwksUri}`);
}

async function checkClientAuthentication(name: string, settings: OidcProviderSettings, resolved: ResolvedMetadata, publicUrl: string): Promise<CheckResult> {
  const what = 'client authentication';
  const metadata: Partial<client.ClientMetadata> = {};
  if (settings.clientSecret && settings.clientAuth !== 'private_key_jwt') metadata.client_secret = settings.clientSecret;
  const config = new client.Configuration(resolved.metadata, settings.clientId, metadata, await clientAuthentication(settings));
  config.timeout = settings.timeoutMs / 1000;
  config[client.customFetch] = backchannelFetch;
  if (resolved.insecure) client.allowInsecureRequests(config);
  const code = `jsg-providers-check-${randomBytes(12).toString('hex')}`;
  try {
    await client.genericGrantRequest(config, 'authorization_code', {
      code,
      redirect_uri: providerUrls(publicUrl, name).callback,
      code_verifier: randomBytes(32).toString('base64url'),
    });
    return fail(what, 'the token endpoint accepted an invalid authorization code', 'this IdP is not safe to use: it issues tokens for codes it never issued');
  } catch (error) {
    const oauthError = oauthErrorOf(error);
    const status = (error as { status?: unknown }).status;
    if (oauthError === 'invalid_grant') return ok(what, `the IdP authenticated client ${settings.clientId} with ${settings.clientAuth} (it answered invalid_grant to a deliberately invalid code)`);
    if (oauthError === 'invalid_client' || status === 401) {
      const refused = clientAuthRefused(settings);
      return fail(what, `${refused.problem}: it answered ${oauthError ?? `HTTP ${String(status)}`} to a code grant`, refused.fix);
    }
    if (oauthError) {
      return warn(what, `the token endpoint answered ${oauthError}${error instanceof client.ResponseBodyError && error.error_description ? ` (${error.error_description.slice(0, 200)})` : ''}, neither invalid_grant nor invalid_client`, 'check at the IdP that the client may use the authorization code grant');
    }
    return fail(what, `the token endpoint could not be asked: ${describeError(error)}`, UNREACHABLE_FIX);
  }
}
