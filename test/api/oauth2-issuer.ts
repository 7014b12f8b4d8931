/**
 * A real OAuth2 authorization server for the API tests: node-oidc-provider with the
 * client_credentials grant and RFC 9068 JWT access tokens for one resource (the gateway's API).
 * Backends get their access tokens from it exactly as they would from Keycloak or Entra ID.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

export interface OAuth2Issuer {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** An access token for this client (client_credentials grant), as a backend would get it. */
  accessToken(clientId: string, clientSecret: string, scope?: string): Promise<string>;
  /** Signs arbitrary claims with the issuer's real key: for hostile cases a correct server never produces. */
  sign(payload: JWTPayload): Promise<string>;
  stop(): Promise<void>;
}

export async function startOAuth2Issuer(clients: Array<{ clientId: string; clientSecret: string }>, audience = 'https://gateway.test/api'): Promise<OAuth2Issuer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid: `api-${port}`, alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: clients.map(({ clientId, clientSecret }) => ({
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    scopes: ['jitsi:api'],
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'jitsi:api', audience, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
  });
  const callback = provider.callback();
  server.on('request', callback);

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    audience,
    async accessToken(clientId, clientSecret, scope = 'jitsi:api') {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: audience }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!body.access_token) throw new Error(`token endpoint: ${response.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
      return body.access_token;
    },
    sign(payload) {
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'at+jwt' }).sign(privateKey);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
