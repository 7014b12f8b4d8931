/**
 * A real OpenID provider for tests: node-oidc-provider (the certified implementation) on
 * 127.0.0.1, configured per test: PKCE required, a `groups` claim, claims only in userinfo or also
 * in the ID token, private_key_jwt clients, back-channel logout, RP-initiated logout. Its login
 * page is a minimal form (GET/POST /interaction/:uid) that a scripted client or Chromium fills in;
 * consent is granted automatically (a first-party client).
 *
 * It issues code-flow ID tokens without `at_hash` (oidc-provider adds at_hash only in implicit and
 * hybrid responses), which is exactly the IdP behaviour the gateway must tolerate.
 *
 * `startTamperingProxy` stands in only for faults a correct IdP never produces (an ID token from
 * another issuer, for another audience, with another nonce): it forwards to the real provider and
 * re-signs the ID token of the token response with the provider's own key, changed as asked.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

export interface TestAccount {
  password: string;
  /** Claims besides `sub` (the account id): name, email, picture, groups, realm_access, ... */
  claims: Record<string, unknown>;
}

export interface TestClient {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** Public keys for private_key_jwt. */
  jwks?: { keys: JWK[] };
  [key: string]: unknown;
}

export interface OidcProviderOptions {
  clients: TestClient[];
  accounts?: Record<string, TestAccount>;
  /** true (oidc-provider's default): profile/email/groups claims only from userinfo; false: also in the ID token. */
  claimsOnlyInUserinfo?: boolean;
  /** Listen on this port (to bring a provider "back" where a gateway expects it). */
  port?: number;
  /** More claims per scope (added to the defaults; a new scope name becomes a scope), to shape the provider like a given IdP. */
  scopeClaims?: Record<string, string[]>;
  /** Back-channel logout offered (published as backchannel_logout_supported; default true). */
  backchannelLogout?: boolean;
}

export interface TestOidcProvider {
  issuer: string;
  port: number;
  provider: InstanceType<typeof Provider>;
  /** The provider's signing key (private JWK with kid), to forge tokens in hostile tests. */
  signingKey: JWK;
  /** Signs a JWT with the provider's own key (logout tokens, re-signed ID tokens). */
  sign(payload: JWTPayload, header?: { typ?: string; alg?: string }): Promise<string>;
  /** Requests the provider answered, by path (e.g. '/token'), for assertions on round trips. */
  hits: Map<string, number>;
  stop(): Promise<void>;
}

export const DEFAULT_ACCOUNTS: Record<string, TestAccount> = {
  alice: {
    password: 'alice-password',
    claims: {
      name: 'Alice Example',
      email: 'alice@example.com',
      email_verified: true,
      picture: 'https://images.example.com/alice.png',
      groups: ['staff', 'moderators'],
      realm_access: { roles: ['teacher', 'offline_access'] },
    },
  },
  bob: {
    password: 'bob-password',
    claims: { name: 'Bob Example', email: 'bob@example.com', email_verified: true, groups: ['staff'], realm_access: { roles: [] } },
  },
};

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(uid: string, client: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<h1>Test IdP</h1><p>Sign in to continue to <b>${escapeHtml(client)}</b></p>${error ? `<p id="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label>User <input name="login" id="login"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button type="submit" id="submit">Sign in</button></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit" id="cancel">Cancel</button></form></body></html>`;
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const accounts = options.accounts ?? DEFAULT_ACCOUNTS;
  const hits = new Map<string, number>();
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (!handler) {
      res.statusCode = 503;
      res.end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const scopeClaims: Record<string, string[]> = {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'picture'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
    roles: ['realm_access'],
  };
  for (const [scope, claims] of Object.entries(options.scopeClaims ?? {})) scopeClaims[scope] = [...(scopeClaims[scope] ?? []), ...claims];
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid: `test-${port}`, alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: options.clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    pkce: { required: () => true },
    // Everything here is on 127.0.0.1: without its SSRF guard (which refuses loopback addresses)
    // the provider can deliver back-channel logout tokens to the gateway under test.
    fetch: (url: string, options: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _guard, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
    conformIdTokenClaims: options.claimsOnlyInUserinfo ?? true,
    claims: scopeClaims,
    scopes: ['offline_access', ...Object.keys(scopeClaims)],
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: options.backchannelLogout ?? true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx: { body: string }, form: string) {
          ctx.body = `<!doctype html><html><body>${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" id="logout-yes">Yes, sign me out</button></body></html>`;
        },
        async postLogoutSuccessSource(ctx: { body: string }) {
          ctx.body = '<!doctype html><html><body><p>Signed out at the IdP</p></body></html>';
        },
      },
    },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, async claims() { return { sub, ...account.claims }; } };
    },
    async loadExistingGrant(ctx: any) {
      const clientId = ctx.oidc.client.clientId;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(clientId);
      const grant = (grantId && (await ctx.oidc.provider.Grant.find(grantId))) || new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(String(ctx.oidc.params.scope ?? 'openid'));
      await grant.save();
      ctx.oidc.session.grantIdFor(clientId, grant.jti);
      return grant;
    },
    async renderError(ctx: { type: string; body: string }, out: Record<string, string>) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html><body><h1>IdP error</h1><pre>${escapeHtml(JSON.stringify(out))}</pre></body></html>`;
    },
  });
  // oidc-provider warns about development defaults once per process; keep test output readable.
  provider.on('server_error', (_ctx: unknown, error: Error) => console.error('oidc-provider server_error', error));
  provider.on('backchannel.error', (_ctx: unknown, error: Error) => console.error('oidc-provider backchannel.error', error.message));
  const callback = provider.callback();

  handler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(path);
    if (!match) {
      callback(req, res);
      return;
    }
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        const uid = match[1] ?? '';
        if (details.uid !== uid) throw new Error('interaction mismatch');
        if (req.method === 'GET' && !match[2]) {
          res.setHeader('content-type', 'text/html; charset=utf-8');
          res.end(loginPage(uid, String(details.params.client_id)));
          return;
        }
        if (req.method === 'POST' && match[2] === '/abort') {
          await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person cancelled' }, { mergeWithLastSubmission: false });
          return;
        }
        if (req.method === 'POST' && match[2] === '/login') {
          const form = await readForm(req);
          const login = form.get('login') ?? '';
          const account = accounts[login];
          if (!account || account.password !== form.get('password')) {
            res.statusCode = 200;
            res.setHeader('content-type', 'text/html; charset=utf-8');
            res.end(loginPage(uid, String(details.params.client_id), 'Wrong user or password'));
            return;
          }
          await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
          return;
        }
        res.statusCode = 405;
        res.end();
      } catch (error) {
        res.statusCode = 400;
        res.setHeader('content-type', 'text/plain');
        res.end(`interaction failed: ${(error as Error).message}`);
      }
    })();
  };

  const key = await importJWK(signingKey, 'RS256');
  return {
    issuer,
    port,
    provider,
    signingKey,
    hits,
    async sign(payload, header = {}) {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: header.alg ?? 'RS256', kid: signingKey.kid, ...(header.typ ? { typ: header.typ } : {}) })
        .sign(key);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TamperingProxy {
  url: string;
  /** Changes applied to the `id_token` claims of token responses; `undefined` values remove the claim. */
  setIdTokenChanges(changes: Record<string, unknown> | undefined): void;
  /**
   * Forges the ID token in transit without the IdP's key: `foreign-key` re-signs it with another
   * RSA key under the IdP's kid; `tampered-payload` changes a claim and keeps the IdP's signature.
   */
  setIdTokenForgery(forgery: 'foreign-key' | 'tampered-payload' | undefined): void;
  stop(): Promise<void>;
}

/** An HTTP proxy to the provider that can re-sign the ID token in token responses (see above). */
export async function startTamperingProxy(idp: TestOidcProvider): Promise<TamperingProxy> {
  let changes: Record<string, unknown> | undefined;
  let forgery: 'foreign-key' | 'tampered-payload' | undefined;
  const foreignKey = (await generateKeyPair('RS256')).privateKey;
  const upstream = new URL(idp.issuer);
  const server = createServer((req, res) => {
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          void (async () => {
            let body = Buffer.concat(chunks);
            const path = (req.url ?? '').split('?')[0];
            if (forgery && path === '/token' && answer.statusCode === 200) {
              const json = JSON.parse(body.toString('utf8')) as { id_token?: string };
              if (json.id_token) {
                const header = decodeProtectedHeader(json.id_token);
                const claims = { ...decodeJwt(json.id_token), name: 'Mallory' };
                if (forgery === 'foreign-key') {
                  json.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid, typ: header.typ ?? 'JWT' }).sign(foreignKey);
                } else {
                  const [head, , signature] = json.id_token.split('.');
                  json.id_token = `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
                }
                body = Buffer.from(JSON.stringify(json));
              }
            } else if (changes && path === '/token' && answer.statusCode === 200) {
              const json = JSON.parse(body.toString('utf8')) as { id_token?: string };
              if (json.id_token) {
                const claims: Record<string, unknown> = { ...decodeJwt(json.id_token) };
                for (const [name, value] of Object.entries(changes)) {
                  if (value === undefined) delete claims[name];
                  else claims[name] = value;
                }
                const header = decodeProtectedHeader(json.id_token);
                json.id_token = await idp.sign(claims as JWTPayload, { alg: header.alg ?? 'RS256' });
                body = Buffer.from(JSON.stringify(json));
              }
            }
            const headers = { ...answer.headers };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
            res.end(body);
          })();
        });
      },
    );
    forward.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    setIdTokenChanges(next) {
      changes = next;
    },
    setIdTokenForgery(next) {
      forgery = next;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
